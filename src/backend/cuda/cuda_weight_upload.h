#pragma once
// Bf16WeightUploader: puts host weights on the device as bf16 bits, from
// fp32 values (rounded) or from a mapped file's bf16 bytes (copied).
//
// Loading a 3B model used to round 3.2 billion floats on one thread and
// copy them from pageable memory (seconds, before the first question).
// Here host threads fill one chunk of one of two pinned buffers while the
// copy of the other runs on the stream.
#include <cuda_runtime.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "backend/cuda/cuda_half.h"

namespace selfens::cuda {

// fp32 -> the 16-bit type `half` names, round to nearest even (NaN stays NaN).
uint16_t to_half_bits(float f, Half16 half);

// Puts weights on the device in the 16-bit type `half` names.
class Bf16WeightUploader {
 public:
  Bf16WeightUploader(cudaStream_t stream, Half16 half);
  ~Bf16WeightUploader();
  Bf16WeightUploader(const Bf16WeightUploader&) = delete;
  Bf16WeightUploader& operator=(const Bf16WeightUploader&) = delete;

  // Enqueues the copy of round(src[0, n)) to dst on the stream; src may be
  // freed on return (it has been read), dst is written in stream order.
  void upload(const float* src, size_t n, uint16_t* dst);
  // The same from bf16 values, 2 little-endian bytes each (any alignment):
  // copied as they are in the bf16 mode, rounded to fp16 in the fp16 mode.
  void upload_bf16(const uint8_t* src, size_t n, uint16_t* dst);

 private:
  // fill(begin, len, out) writes values [begin, begin + len) to out.
  using Fill = std::function<void(size_t, size_t, uint16_t*)>;
  void upload_chunks(size_t n, uint16_t* dst, const Fill& fill);

  static constexpr size_t kChunk = size_t{16} << 20;  // elements: 32 MiB of bf16
  cudaStream_t stream_;
  Half16 half_;
  std::array<uint16_t*, 2> pinned_{};
  std::array<cudaEvent_t, 2> copied_{};
  int next_ = 0;
};

}  // namespace selfens::cuda
