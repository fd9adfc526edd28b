// Helpers of gpu_backend_check (see gpu_check.h).
#include <cuda_runtime.h>

#include <algorithm>
#include <cfloat>
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
  if (dt == DType::kBF16 || dt == DType::kFp8) return bf16_to_fp32(fp32_to_bf16(f));
  return f;
}

float round_e4m3(float f) {
  if (!std::isfinite(f)) return f;
  const float a = std::fabs(f);
  if (a == 0.0f) return f;
  // 3 mantissa bits; below 2^-6 the subnormals' fixed step 2^-9.
  const int e = std::max(int(std::floor(std::log2(a))), -6);
  const float quantum = std::ldexp(1.0f, e - 3);
  const float q = std::min(std::nearbyint(a / quantum) * quantum, 448.0f);  // ties to even
  return std::copysign(q, f);
}

std::vector<float> quantize_rows_e4m3(std::vector<float>& m, int64_t rows, int64_t cols) {
  std::vector<float> scales(size_t(rows), 1.0f);
  for (int64_t r = 0; r < rows; ++r) {
    float* row = m.data() + r * cols;
    float amax = 0.0f;
    for (int64_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(row[c]));
    const float scale = amax > 448.0f * FLT_MIN ? amax / 448.0f : 1.0f, inv = 1.0f / scale;
    for (int64_t c = 0; c < cols; ++c) row[c] = round_e4m3(row[c] * inv);
    scales[size_t(r)] = scale;
  }
  return scales;
}

std::string dtype_name(DType dt) {
  return dt == DType::kBF16 ? "bf16" : dt == DType::kF16 ? "fp16" : dt == DType::kFp8 ? "fp8" : "f32";
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
