#pragma once
// CPU backend: fp32 everywhere, OpenBLAS sgemm for the matrix products, a
// small thread pool for attention and element-wise work.
//
// KV store layout, per (layer, page) two blocks of n_kv_heads * head_dim *
// page_size floats:
//   K block [n_kv_heads][head_dim][page_size]  (transposed: the score loop
//            runs over the page's tokens, contiguous, and vectorizes)
//   V block [n_kv_heads][page_size][head_dim]  (the output loop runs over d)
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backend/backend.h"
#include "backend/backend_options.h"
#include "backend/cpu/quant_matvec.h"
#include "backend/cpu/thread_pool.h"

namespace selfens::cpu {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendOptions& options);  // options.threads <= 0: all cores
  ~CpuBackend() override;

  std::string name() const override { return "cpu"; }
  Tensor upload_weight(const HostTensor& host) override;
  Tensor upload_linear_weight(const HostTensor& host) override;  // a layer's matrix
  Tensor alloc(int64_t rows, int64_t cols) override;
  void release(Tensor& t) override;
  void download(const Tensor& src, std::span<float> dst) override;
  void upload(std::span<const float> src, Tensor& dst) override;
  // Logits are host memory here: choose without a copy.
  std::vector<int32_t> choose_tokens(const Tensor& logits, const ChoicePlan& plan) override;

  void init_kv(const KvShape& shape) override;
  void write_kv(int layer, const Tensor& k, const Tensor& v,
                std::span<const KvSlot> slots) override;
  void read_kv(int layer, std::span<const KvSlot> slots, std::span<float> k,
               std::span<float> v) override;

  void embed(const Tensor& table, std::span<const int32_t> tokens, Tensor& out) override;
  void rmsnorm(const Tensor& x, const Tensor& w, float eps, Tensor& out) override;
  void matmul(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& out) override;
  void rope(Tensor& q, Tensor& k, int n_heads, int n_kv_heads, std::span<const float> inv_freq,
            std::span<const int32_t> positions) override;
  void silu_mul(Tensor& gate, const Tensor& up) override;
  void add(Tensor& x, const Tensor& y) override;
  void gather_rows(const Tensor& x, std::span<const int32_t> rows, Tensor& out) override;
  void attention(int layer, const Tensor& q, int n_heads, const AttentionBatch& plan,
                 Tensor& out) override;

 private:
  void add_bias(const Tensor* bias, int64_t n, Tensor& out);  // out[r] += bias (if any)
  Tensor upload_host(const HostTensor& host, bool rounded);  // a weight, rounded by round_ or not
  // x, or its first n rows rounded into rounded_x_ when round_ says so for w.
  const float* product_input(const Tensor& x, const Tensor& w, int64_t n);
  float* k_block(int layer, int32_t page) const;  // [n_kv_heads][head_dim][page_size]
  float* v_block(int layer, int32_t page) const;  // [n_kv_heads][page_size][head_dim]
  // One query row and head over its group's segments (online softmax).
  void attend_one(int layer, const float* q, int kv_head, const AttentionBatch& plan,
                  const AttnGroup& group, int32_t self_limit, float* out) const;

  ThreadPool pool_;
  QuantIsa isa_;  // of the few-row products from GGUF blocks
  bool int8_;     // those products with int8 activations (BackendOptions::cpu_int8)
  Round16 round_;  // BackendOptions::cpu_round16 (off: fp32 everywhere)
  std::unordered_set<const void*> layer_weights_;  // upload_linear_weight's, by data pointer
  std::vector<float> rounded_x_;                   // product_input's rounded rows
  // fp32 copies of weights the host held as bf16 (HostTensor::bf16), or
  // rounded by round_.
  std::vector<std::vector<float>> widened_;
  // Weights with GGUF Q4_1 / Q8_0 blocks, by their fp32 data pointer.
  std::unordered_map<const void*, QuantWeight> quant_;
  KvShape kv_shape_;
  std::unique_ptr<float[]> kv_;  // [n_layers][n_pages][2][block], see above
  size_t block_floats_ = 0;      // n_kv_heads * head_dim * page_size
};

}  // namespace selfens::cpu
