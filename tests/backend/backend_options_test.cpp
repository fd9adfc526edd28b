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

// Switches with a few values (SELFENS_CUDA_BF16_FFN: 0, 1, 2) and the CPU's
// rounding diagnostic (SELFENS_CPU_ROUND16 / _AT) fail as early, named.
TEST(BackendOptions, ValuesOutsideASwitchsSetAreInputErrors) {
  auto error_of = [](const char* name, const char* value) {
    setenv(name, value, 1);
    std::string e;
    try {
      backend_options_from_environment();
    } catch (const InputError& x) {
      e = x.what();
    }
    unsetenv(name);
    return e;
  };
  setenv("SELFENS_CUDA_BF16_FFN", "2", 1);
  EXPECT_EQ(backend_options_from_environment().cuda_bf16_ffn, 2);
  unsetenv("SELFENS_CUDA_BF16_FFN");
  EXPECT_NE(error_of("SELFENS_CUDA_BF16_FFN", "3").find("SELFENS_CUDA_BF16_FFN: expected 0, 1 or 2"),
            std::string::npos);
  EXPECT_NE(error_of("SELFENS_CPU_ROUND16", "bf8").find("SELFENS_CPU_ROUND16: expected bf16 or fp16"),
            std::string::npos);
  setenv("SELFENS_CPU_ROUND16", "bf16", 1);
  EXPECT_NE(error_of("SELFENS_CPU_ROUND16_AT", "kv,v").find("unknown part 'v'"), std::string::npos);
  unsetenv("SELFENS_CPU_ROUND16");
}

}  // namespace
}  // namespace selfens
