// The --device kinds: each resolves (or, without CUDA, fails with a clear
// input error naming it), an unknown one lists the kinds, and the precision
// a result file records follows the kind.
#include <gtest/gtest.h>

#include <string>

#include "backend/backend.h"
#include "common/error_of.h"

namespace selfens {
namespace {

std::string input_error_of(const std::string& kind) {
  return test::error_of([&] { resolve_backend_kind(kind); });
}

TEST(DeviceKind, PrecisionFollowsTheKind) {
  EXPECT_EQ(cuda_device_kind(DType::kBF16), "cuda");
  EXPECT_EQ(cuda_device_kind(DType::kF16), "cuda-fp16");
  EXPECT_EQ(cuda_device_kind(DType::kF32), "cuda-f32");
  EXPECT_EQ(cuda_device_kind(DType::kFp8), "cuda-fp8");
  EXPECT_EQ(backend_precision("cpu"), "fp32");
  EXPECT_EQ(backend_precision("cuda"), "bf16");
  EXPECT_EQ(backend_precision("cuda-fp16"), "fp16");
  EXPECT_EQ(backend_precision("cuda-f32"), "fp32");
  EXPECT_EQ(backend_precision("cuda-fp8"), "fp8");
}

TEST(DeviceKind, EveryKindResolvesOrSaysWhyNot) {
  EXPECT_EQ(resolve_backend_kind("cpu"), "cpu");
  for (const std::string kind : {"cuda", "cuda-fp16", "cuda-fp8", "cuda-f32"}) {
    if (gpu_count() > 0) {
      EXPECT_EQ(resolve_backend_kind(kind), kind);
      continue;
    }
    const std::string e = input_error_of(kind);
#ifndef SELFENS_HAVE_CUDA
    EXPECT_NE(e.find("not available in this build"), std::string::npos) << e;
    EXPECT_NE(e.find(kind), std::string::npos) << e;
#endif
  }
  const std::string e = input_error_of("cuda-f16");
  EXPECT_NE(e.find("unknown device 'cuda-f16'"), std::string::npos) << e;
  EXPECT_NE(e.find("cuda-fp16"), std::string::npos) << e;
  EXPECT_FALSE(backend_keeps_bf16_weights("cpu"));
}

}  // namespace
}  // namespace selfens
