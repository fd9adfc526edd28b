#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"
#ifdef SELFENS_HAVE_CUDA
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_device.h"
#endif
#include "util/check.h"

#include <unistd.h>

namespace selfens {

void Backend::add_rmsnorm(Tensor& x, const Tensor& y, const Tensor& w, float eps, Tensor& out) {
  add(x, y);
  rmsnorm(x, w, eps, out);
}

void Backend::matmul_add(const Tensor& x, const Tensor& w, Tensor& out, Tensor& scratch) {
  SELFENS_CHECK(!scratch.empty() && scratch.cols == out.cols && scratch.rows >= x.rows,
                "matmul_add scratch shape");
  Tensor product = scratch.first_rows(x.rows);
  matmul(x, w, nullptr, product);
  Tensor rows = out.first_rows(x.rows);  // out may have more rows than x (as matmul's may)
  add(rows, product);
}

void Backend::feed_forward(const Tensor& h, const Tensor& w_gate, const Tensor& w_up,
                           const Tensor& w_down, Tensor& gate, Tensor& up, Tensor& out,
                           bool accumulate) {
  matmul(h, w_gate, nullptr, gate);
  matmul(h, w_up, nullptr, up);
  // silu(gate) * up, read by the down product only (h's rows of gate: it may have more).
  Tensor act = gate.first_rows(h.rows).for_products();
  silu_mul(act, up);
  if (!accumulate) return matmul(act, w_down, nullptr, out);
  // up is free once silu_mul has read it: the down product's scratch (when
  // it is wide enough; a backend that adds in its products needs none).
  Tensor scratch = up.cols >= out.cols ? Tensor{up.data, h.rows, out.cols, up.dtype} : Tensor{};
  matmul_add(act, w_down, out, scratch);
}

void Backend::copy_from(Backend& from, const Tensor& src, Tensor& dst) {
  std::vector<float> host(size_t(src.rows) * size_t(src.cols));
  from.download(src, host);
  upload(host, dst);
}

std::vector<int32_t> Backend::choose_tokens(const Tensor& logits, const ChoicePlan& plan) {
  std::vector<float> host(size_t(logits.rows) * size_t(logits.cols));
  download(logits, host);
  return choose_tokens_host(host, int32_t(logits.cols), plan);
}

namespace {

// The CUDA device kinds: their weight type and the arithmetic a run records.
struct CudaKind {
  const char* name;
  DType dtype;
  const char* precision;
};
constexpr CudaKind kCudaKinds[] = {
    {"cuda", DType::kBF16, "bf16"},       // the default on a GPU
    {"cuda-fp16", DType::kF16, "fp16"},   // 11 significant bits; range to 65504
    {"cuda-fp8", DType::kFp8, "fp8"},     // Hopper's fp8 products; bf16 elsewhere
    {"cuda-f32", DType::kF32, "fp32"},    // the CPU's predictions
};
const CudaKind* cuda_kind(const std::string& kind) {
  for (const CudaKind& k : kCudaKinds)
    if (kind == k.name) return &k;
  return nullptr;
}
const char* kKindList = "auto, cpu, cuda, cuda-fp16, cuda-fp8 or cuda-f32";

}  // namespace

std::string cuda_device_kind(DType dtype) {
  for (const CudaKind& k : kCudaKinds)
    if (k.dtype == dtype) return k.name;
  SELFENS_CHECK(false, "cuda_device_kind: no kind of that type");
  return "";
}

std::unique_ptr<Backend> make_backend(const std::string& kind, const BackendOptions& options) {
  if (kind == "cpu") return std::make_unique<cpu::CpuBackend>(options);
  if (kind == "auto") {  // the GPU (bf16) when one is usable, else the CPU
#ifdef SELFENS_HAVE_CUDA
    if (cuda::device_count() > 0) return make_cuda_backend(DType::kBF16, options);
#endif
    return std::make_unique<cpu::CpuBackend>(options);
  }
#ifdef SELFENS_HAVE_CUDA
  if (const CudaKind* k = cuda_kind(kind)) return make_cuda_backend(k->dtype, options);
#endif
  SELFENS_REQUIRE(cuda_kind(kind) == nullptr,
                  "backend: the CUDA backend is not available in this build");
  throw InputError("backend: unknown device '" + kind + "' (expected " + kKindList + ")");
}

std::unique_ptr<Backend> make_backend(const std::string& kind, int threads) {
  BackendOptions o = backend_options_from_environment();
  o.threads = threads;
  return make_backend(kind, o);
}

int gpu_count() {
#ifdef SELFENS_HAVE_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

bool backend_keeps_bf16_weights(const std::string& kind) {
#ifdef SELFENS_HAVE_CUDA
  const CudaKind* k = cuda_kind(kind);
  return (k != nullptr && k->dtype != DType::kF32) || (kind == "auto" && cuda::device_count() > 0);
#else
  (void)kind;
  return false;
#endif
}

DeviceMemory device_memory(const std::string& kind, int gpu) {
  DeviceMemory m;
  m.device = resolve_backend_kind(kind);
#ifdef SELFENS_HAVE_CUDA
  if (m.device != "cpu") {
    m.description = cuda::describe_device(gpu);
    m.bytes = cuda::device_memory_bytes(gpu);
    const CudaKind* k = cuda_kind(m.device);
    // cuda-fp8 counts 2 as bf16 does: its embeddings stay bf16, and its
    // layers' 1 byte a value is less than that (the fit checks stay safe).
    m.bytes_per_parameter = k->dtype == DType::kF32 ? 4 : 2;
    // cuda-fp8 is counted as bf16 (above): the message says so.
    m.weight_type = k->dtype == DType::kFp8 ? "bf16 (fp8 counted as bf16)" : k->precision;
    m.gpus = cuda::device_count();
    for (int i = 0; i < m.gpus; ++i) m.all_gpus_bytes += cuda::device_memory_bytes(i);
    return m;
  }
#endif
  (void)gpu;
  m.description = "this machine's RAM";
  m.bytes = int64_t(::sysconf(_SC_PHYS_PAGES)) * int64_t(::sysconf(_SC_PAGESIZE));
  m.bytes_per_parameter = 4;  // the CPU computes from fp32 copies of every weight
  return m;
}

std::string resolve_backend_kind(const std::string& kind) {
  if (kind == "cpu") return kind;
  if (kind == "auto") return backend_keeps_bf16_weights(kind) ? "cuda" : "cpu";
#ifdef SELFENS_HAVE_CUDA
  if (cuda_kind(kind) != nullptr) return kind;
#endif
  SELFENS_REQUIRE(cuda_kind(kind) == nullptr,
                  "backend: the CUDA backend is not available in this build (--device " + kind + ")");
  throw InputError("--device: unknown device '" + kind + "' (expected " + kKindList + ")");
}

std::string backend_precision(const std::string& resolved_kind, const BackendOptions& options) {
  const CudaKind* k = cuda_kind(resolved_kind);
  std::string p = k != nullptr ? k->precision : "fp32";
  if (k == nullptr) {  // the CPU
    if (options.cpu_int8) p += ", int8 few-row activations";
    if (options.cpu_round16.active()) p += ", " + options.cpu_round16.describe();
  } else if (k->dtype != DType::kF32) {  // the 16-bit and fp8 modes' switches
    if (options.cuda_kv_f32) p += ", fp32 K/V";
    if (options.cuda_decode_attention && !options.cuda_kv_f32) p += ", fp32 decode attention";
    if (options.cuda_bf16_ffn == 1) p += ", 16-bit gate/up";
    if (options.cuda_bf16_ffn == 2) p += ", 16-bit gate/up in prefill";
    if (options.cuda_fp8_fast_accum && k->dtype == DType::kFp8) p += ", fast fp8 accumulation";
  }
  return p;
}

}  // namespace selfens
