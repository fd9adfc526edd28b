#pragma once
// Errors inside the library throw; the CLI catches at the top, prints one
// line and returns the error's exit code. Never exit() in the library.
#include <stdexcept>
#include <string>

namespace selfens {

// Exit codes of the CLI (documented in README.md).
enum class ExitCode : int {
  kOk = 0,
  kInternal = 1,   // a bug: an invariant failed
  kBadInput = 2,   // bad file, option, data or model: the user can fix it
  kInterrupted = 130,
};

// An error the user can fix: bad file, option, data set, model name.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An invariant of the library failed (a bug, not the user's fault).
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_internal(const char* file, int line, const std::string& msg);

}  // namespace selfens

// Invariant check: throws InternalError with file and line.
#define SELFENS_CHECK(cond, msg)                                  \
  do {                                                            \
    if (!(cond)) ::selfens::throw_internal(__FILE__, __LINE__,    \
                                           std::string(msg));     \
  } while (0)

// Input check: throws InputError with the message (which should name the
// file, line or field at fault).
#define SELFENS_REQUIRE(cond, msg)                                \
  do {                                                            \
    if (!(cond)) throw ::selfens::InputError(std::string(msg));   \
  } while (0)
