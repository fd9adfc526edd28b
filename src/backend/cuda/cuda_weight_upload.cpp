#include "backend/cuda/cuda_weight_upload.h"

#include <algorithm>
#include <cstring>

#include "backend/cuda/cuda_check.h"
#include "model/dequant.h"
#include "util/parallel.h"

namespace selfens::cuda {

uint16_t to_half_bits(float f, Half16 half) {
  return half == Half16::kFp16 ? fp32_to_fp16(f) : fp32_to_bf16(f);
}

namespace {
constexpr size_t kMinPart = size_t{1} << 16;  // values per thread at least
}  // namespace

Bf16WeightUploader::Bf16WeightUploader(cudaStream_t stream, Half16 half)
    : stream_(stream), half_(half) {
  for (int b = 0; b < 2; ++b) {
    CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&pinned_[b]), kChunk * sizeof(uint16_t)));
    CUDA_CHECK(cudaEventCreateWithFlags(&copied_[b], cudaEventDisableTiming));
  }
}

Bf16WeightUploader::~Bf16WeightUploader() {
  // No throwing here: the buffers may still be the source of queued copies.
  for (int b = 0; b < 2; ++b) {
    if (copied_[b] != nullptr) {
      cudaEventSynchronize(copied_[b]);
      cudaEventDestroy(copied_[b]);
    }
    if (pinned_[b] != nullptr) cudaFreeHost(pinned_[b]);
  }
}

void Bf16WeightUploader::upload(const float* src, size_t n, uint16_t* dst) {
  upload_chunks(n, dst, [src, half = half_](size_t begin, size_t len, uint16_t* out) {
    parallel_ranges(len, kMinPart, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) out[i] = to_half_bits(src[begin + i], half);
    });
  });
}

void Bf16WeightUploader::upload_bf16(const uint8_t* src, size_t n, uint16_t* dst) {
  upload_chunks(n, dst, [src, half = half_](size_t begin, size_t len, uint16_t* out) {
    parallel_ranges(len, kMinPart, [&](size_t b, size_t e) {
      if (half == Half16::kBf16) {
        std::memcpy(out + b, src + 2 * (begin + b), 2 * (e - b));
        return;
      }
      for (size_t i = b; i < e; ++i) {  // bf16 file values, rounded to fp16
        uint16_t h;
        std::memcpy(&h, src + 2 * (begin + i), 2);
        out[i] = fp32_to_fp16(bf16_to_fp32(h));
      }
    });
  });
}

void Bf16WeightUploader::upload_chunks(size_t n, uint16_t* dst, const Fill& fill) {
  for (size_t done = 0; done < n; done += kChunk) {
    const size_t len = std::min(kChunk, n - done);
    const int b = next_;
    next_ ^= 1;
    CUDA_CHECK(cudaEventSynchronize(copied_[b]));  // its last copy has left the buffer
    fill(done, len, pinned_[b]);
    CUDA_CHECK(cudaMemcpyAsync(dst + done, pinned_[b], len * sizeof(uint16_t),
                               cudaMemcpyHostToDevice, stream_));
    CUDA_CHECK(cudaEventRecord(copied_[b], stream_));
  }
}

}  // namespace selfens::cuda
