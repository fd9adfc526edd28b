#pragma once
// The CUDA backend (compiled only when SELFENS_HAVE_CUDA): weights on the
// device as bf16 (default) or fp32, activations and the paged KV store in
// fp32, matrix products through cuBLAS, own kernels for the rest.
//
//   auto be = make_cuda_backend(DType::kBF16);  // throws InputError without a GPU
#include <memory>

#include "backend/backend.h"

namespace selfens {

// weight_dtype: kBF16 (tensor-core GEMMs, fp32 accumulate) or kF32 (exact
// fp32 GEMMs with TF32 off, matches the CPU backend to ~1e-4). 1-D weights
// (norms, biases) stay fp32 either way. Uses CUDA device 0.
// options: graphs, profiling, device sampling, cascade and split settings.
std::unique_ptr<Backend> make_cuda_backend(
    DType weight_dtype = DType::kBF16,
    const BackendOptions& options = backend_options_from_environment());

}  // namespace selfens
