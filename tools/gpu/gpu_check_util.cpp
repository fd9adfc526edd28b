// Helpers of gpu_backend_check (see gpu_check.h).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "backend/cuda/cuda_check.h"
#include "gpu_check.h"
#include "model/dequant.h"

namespace selfens::gpucheck {

bool Report::check(const std::string& name, double max_err, double tol,
                   const nlohmann::json& extra) {
  const bool ok = std::isfinite(max_err) && max_err <= tol;
  if (!ok) ++failures;
  std::printf("%s %-60s max_err %.3g (tol %.1g)\n", ok ? "PASS" : "FAIL", name.c_str(), max_err,
              tol);
  std::fflush(stdout);
  nlohmann::json j = extra;
  j["name"] = name;
  j["max_err"] = std::isfinite(max_err) ? max_err : -1.0;
  j["tol"] = tol;
  j["pass"] = ok;
  results.push_back(j);
  return ok;
}

void Report::info(const std::string& name, const nlohmann::json& values) {
  std::printf("INFO %-60s %s\n", name.c_str(), values.dump().c_str());
  std::fflush(stdout);
  nlohmann::json j = values;
  j["name"] = name;
  j["info"] = true;
  results.push_back(j);
}

std::vector<float> randv(std::mt19937& rng, size_t n, float a) {
  std::uniform_real_distribution<float> u(-a, a);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

float round_half(float f, DType dt) {
  if (dt == DType::kF16) return fp16_to_fp32(fp32_to_fp16(f));
  if (dt == DType::kBF16) return bf16_to_fp32(fp32_to_bf16(f));
  return f;
}

std::string dtype_name(DType dt) {
  return dt == DType::kBF16 ? "bf16" : dt == DType::kF16 ? "fp16" : "f32";
}

void round_half(std::vector<float>& v, DType dt) {
  for (float& x : v) x = round_half(x, dt);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    if (!(d <= m)) m = std::isnan(d) ? INFINITY : d;
  }
  return m;
}

Tensor to_backend(Backend& b, const std::vector<float>& host, int64_t rows, int64_t cols) {
  SELFENS_CHECK(host.size() == size_t(rows * cols), "to_backend size");
  Tensor t = b.alloc(rows, cols);
  if (b.name() == "cpu")
    std::memcpy(t.data, host.data(), host.size() * sizeof(float));
  else {
    CUDA_CHECK(cudaMemcpy(t.data, host.data(), host.size() * sizeof(float),
                          cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaDeviceSynchronize());  // the backend's stream does not wait on this one
  }
  return t;
}

std::vector<float> to_host(Backend& b, const Tensor& t) {
  std::vector<float> v(size_t(t.rows * t.cols));
  b.download(t, v);
  return v;
}

}  // namespace selfens::gpucheck
