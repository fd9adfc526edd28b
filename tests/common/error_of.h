#pragma once
// The InputError message of `f()`, or "" when it does not throw: how tests
// check the one-line errors selfens promises.
#include <string>

#include "util/check.h"

namespace selfens::test {

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace selfens::test
