#pragma once
// Shared helpers of gpu_backend_check: a results log (printed and kept for
// JSON), random data, host <-> backend copies for activations.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.h"

namespace selfens::gpucheck {

struct Report {
  nlohmann::json results = nlohmann::json::array();
  int failures = 0;
  // Records one check: prints "PASS|FAIL name: max_err (tol)" and keeps it.
  bool check(const std::string& name, double max_err, double tol,
             const nlohmann::json& extra = nlohmann::json::object());
  // Records a measurement that has no pass/fail (bf16 end-to-end numbers).
  void info(const std::string& name, const nlohmann::json& values);
};

std::vector<float> randv(std::mt19937& rng, size_t n, float a = 1.0f);
// The nearest value of dt's 16-bit type (bf16 or fp16, ties to even) as
// fp32; fp32 values (dt kF32) stay as they are; kFp8 (whose activations and
// embeddings are bf16) rounds to bf16.
float round_half(float f, DType dt);
void round_half(std::vector<float>& v, DType dt);
// The nearest fp8 E4M3 value (ties to even, saturating at +-448), as fp32.
float round_e4m3(float f);
// What --device cuda-fp8 makes of a matrix [rows, cols]: each row scaled so
// its largest magnitude is 448, rounded to E4M3 in place; returns the scales.
std::vector<float> quantize_rows_e4m3(std::vector<float>& m, int64_t rows, int64_t cols);
// "f32", "bf16", "fp16" or "fp8".
std::string dtype_name(DType dt);
double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b);

// An fp32 activation [rows, cols] on `b` holding `host` (cudaMemcpy for cuda).
Tensor to_backend(Backend& b, const std::vector<float>& host, int64_t rows, int64_t cols);
std::vector<float> to_host(Backend& b, const Tensor& t);

// Op-level checks of `gpu` against `cpu` on random data (gpu_op_checks.cpp,
// gpu_attention_check.cpp). gpu_dtype: the weight dtype `gpu` was made with.
void run_op_checks(Report& r, Backend& cpu, Backend& gpu, DType gpu_dtype);
void run_attention_checks(Report& r);

// End-to-end: a model on two Engines (cpu and cuda / cuda-f32), prompt +
// greedy steps (gpu_e2e_check.cpp). model: a path, or "synthetic:smollm2" /
// "synthetic:hd128" for random-weight models of those shapes.
void run_e2e_checks(Report& r, const std::string& model, DType gpu_dtype, int steps);

}  // namespace selfens::gpucheck
