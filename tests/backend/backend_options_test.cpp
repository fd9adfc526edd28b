// The SELFENS_* switches of BackendOptions: defaults when unset, values when
// set, and a clear input error (exit status 2) naming a malformed one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "backend/backend_options.h"
#include "util/check.h"

namespace selfens {
namespace {

TEST(BackendOptions, FromTheEnvironment) {
  unsetenv("SELFENS_HOLD_FINISHED");
  unsetenv("SELFENS_CPU_INT8");
  BackendOptions o = backend_options_from_environment();
  EXPECT_EQ(o.hold_finished, -1);
  EXPECT_FALSE(o.cpu_int8);
  setenv("SELFENS_HOLD_FINISHED", "0", 1);
  setenv("SELFENS_CPU_INT8", "1", 1);
  o = backend_options_from_environment();
  EXPECT_EQ(o.hold_finished, 0);
  EXPECT_TRUE(o.cpu_int8);
  unsetenv("SELFENS_HOLD_FINISHED");
  unsetenv("SELFENS_CPU_INT8");
}

TEST(BackendOptions, AMalformedValueIsAnInputErrorNamingIt) {
  setenv("SELFENS_HOLD_FINISHED", "yes", 1);
  try {
    backend_options_from_environment();
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("SELFENS_HOLD_FINISHED"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'yes'"), std::string::npos) << e.what();
  }
  unsetenv("SELFENS_HOLD_FINISHED");
}

}  // namespace
}  // namespace selfens
