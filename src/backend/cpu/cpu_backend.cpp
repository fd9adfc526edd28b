#include "backend/cpu/cpu_backend.h"

#include <cblas.h>

#include <algorithm>
#include <mutex>
#include <exception>
#include <cmath>
#include <cstring>

#include "util/parallel.h"
#include "util/check.h"

namespace selfens::cpu {

namespace {

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return hardware_threads();
}

// Rows per parallel chunk below which element-wise ops run inline.
constexpr int64_t kMinParallelRows = 8;
constexpr int64_t kMinParallelChoices = 4;

}  // namespace

CpuBackend::CpuBackend(const BackendOptions& options)
    : pool_(resolve_threads(options.threads)),
      isa_(parse_quant_isa(options.cpu_isa)),
      int8_(options.cpu_int8),
      round_(options.cpu_round16) {
  openblas_set_num_threads(1);  // threads come from the pool (see matmul)
}

CpuBackend::~CpuBackend() = default;

Tensor CpuBackend::upload_weight(const HostTensor& host) {
  return upload_host(host, host.shape.size() == 2 && round_.table);
}

Tensor CpuBackend::upload_linear_weight(const HostTensor& host) {
  Tensor t = upload_host(host, round_.weights);
  layer_weights_.insert(t.data);
  return t;
}

// With round_ active, products read fp32 copies (rounded or not) through
// BLAS, never the GGUF blocks: the rounding is the only difference a part
// makes (SELFENS_CPU_ROUND16_AT=none measures that path's own noise).
Tensor CpuBackend::upload_host(const HostTensor& host, bool rounded) {
  SELFENS_CHECK(!host.shape.empty() && host.shape.size() <= 2, "weights are 1-D or 2-D");
  Tensor t;
  if (rounded) {
    widened_.push_back(host.data.empty() ? fp32_values(host) : host.data);
    round_.apply(widened_.back().data(), widened_.back().size(), "the weights");
    t.data = widened_.back().data();
  } else if (host.data.empty() && !host.bf16.empty()) {
    widened_.push_back(fp32_values(host));
    t.data = widened_.back().data();
  } else {
    t.data = const_cast<float*>(host.data.data());  // aliased, never written
  }
  t.rows = host.shape.size() == 2 ? host.shape[0] : 1;
  t.cols = host.shape.back();
  if (!round_.active() && !host.blocks.empty() && quant_block_bytes(host.block_type) > 0 &&
      t.cols % 32 == 0) {
    SELFENS_CHECK(int64_t(host.blocks.size()) ==
                      t.rows * (t.cols / 32) * quant_block_bytes(host.block_type),
                  "weight blocks size");
    quant_[t.data] = pack_quant_weight(host.block_type, host.blocks.data(), t.rows, t.cols);
  }
  return t;
}

Tensor CpuBackend::alloc(int64_t rows, int64_t cols) {
  Tensor t;
  t.data = new float[size_t(rows) * size_t(cols)];
  t.rows = rows;
  t.cols = cols;
  return t;
}

void CpuBackend::release(Tensor& t) {
  delete[] t.f32();
  t = Tensor{};
}

// Choices in parallel (a sampled one costs a pass over the vocabulary; the
// confidence job makes a hundred per prompt and step). A worker's error is
// rethrown here.
std::vector<int32_t> CpuBackend::choose_tokens(const Tensor& logits, const ChoicePlan& plan) {
  const std::span<const float> all{logits.f32(), size_t(logits.rows * logits.cols)};
  std::vector<int32_t> out(plan.choices.size());
  std::exception_ptr error;
  std::mutex error_mu;
  pool_.parallel_for(int64_t(out.size()), [&](int64_t b, int64_t e) {
    try {
      choose_tokens_host_range(all, int32_t(logits.cols), plan, size_t(b), size_t(e), out);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
    }
  }, kMinParallelChoices);
  if (error) std::rethrow_exception(error);
  return out;
}

void CpuBackend::download(const Tensor& src, std::span<float> dst) {
  SELFENS_CHECK(dst.size() == size_t(src.rows * src.cols), "download size mismatch");
  std::memcpy(dst.data(), src.data, dst.size() * sizeof(float));
}

void CpuBackend::upload(std::span<const float> src, Tensor& dst) {
  SELFENS_CHECK(src.size() == size_t(dst.rows * dst.cols), "upload size mismatch");
  std::memcpy(dst.data, src.data(), src.size() * sizeof(float));
}

void CpuBackend::embed(const Tensor& table, std::span<const int32_t> tokens, Tensor& out) {
  SELFENS_CHECK(out.cols == table.cols && int64_t(tokens.size()) <= out.rows, "embed shapes");
  for (size_t i = 0; i < tokens.size(); ++i) {
    SELFENS_REQUIRE(tokens[i] >= 0 && tokens[i] < table.rows,
                    "forward: token id " + std::to_string(tokens[i]) +
                        " outside the vocabulary [0, " + std::to_string(table.rows) + ")");
    std::memcpy(out.f32() + i * out.cols, table.f32() + tokens[i] * table.cols,
                size_t(table.cols) * sizeof(float));
  }
}

void CpuBackend::rmsnorm(const Tensor& x, const Tensor& w, float eps, Tensor& out) {
  const int64_t d = x.cols;
  SELFENS_CHECK(w.cols == d && out.cols == d, "rmsnorm shapes");
  pool_.parallel_for(x.rows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x.f32() + r * d;
      float* o = out.f32() + r * d;
      float ss = 0.0f;
      for (int64_t i = 0; i < d; ++i) ss += xr[i] * xr[i];
      const float inv = 1.0f / std::sqrt(ss / float(d) + eps);
      for (int64_t i = 0; i < d; ++i) o[i] = w.f32()[i] * (xr[i] * inv);
    }
  }, kMinParallelRows);
}

void CpuBackend::matmul(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& out) {
  const int64_t n = x.rows, in = x.cols, nout = w.rows;
  SELFENS_CHECK(w.cols == in && out.cols == nout && out.rows >= n, "matmul shapes");
  auto q = n <= cpu_block_rows_limit() ? quant_.find(w.data) : quant_.end();
  if (q != quant_.end()) {
    // Few rows: read the GGUF blocks, not the fp32 copy (see quant_matvec.h).
    const int64_t chunks = std::min<int64_t>(pool_.size() * 4, (nout + 31) / 32);
    const int64_t per = (nout + chunks - 1) / chunks;
    // Per product, shared by every chunk: x's block sums, or x in int8.
    const Int8Rows xq = int8_ ? quantize_rows_int8(x.f32(), n, in) : Int8Rows{};
    const std::vector<float> xsum = int8_ ? std::vector<float>{} : quant_block_sums(x.f32(), n, in);
    pool_.parallel_for(chunks, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const int64_t o0 = c * per, o1 = std::min(nout, (c + 1) * per);
        if (int8_)
          quant_matvec_int8(q->second, xq, o0, o1, out.f32(), nout, isa_);
        else
          quant_matvec(q->second, x.f32(), xsum.data(), n, o0, o1, out.f32(), nout, isa_);
      }
    });
    add_bias(bias, n, out);
    return;
  }
  const float* xin = product_input(x, w, n);
  // Each pool thread multiplies a slice of the output features with a
  // single-threaded BLAS call: no BLAS worker threads spin between calls, and
  // a row's result does not depend on the other rows of the batch.
  const int64_t slices = std::min<int64_t>(pool_.size(), (nout + 63) / 64);
  const int64_t per = ((nout + slices - 1) / slices + 15) / 16 * 16;
  pool_.parallel_for(slices, [&](int64_t b, int64_t e) {
    for (int64_t sl = b; sl < e; ++sl) {
      const int64_t o0 = sl * per, cnt = std::min(per, nout - o0);
      if (cnt <= 0) continue;
      const float* ws = w.f32() + o0 * in;
      if (n == 1) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, int(cnt), int(in), 1.0f, ws, int(in), xin, 1,
                    0.0f, out.f32() + o0, 1);
      } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(cnt), int(in), 1.0f,
                    xin, int(in), ws, int(in), 0.0f, out.f32() + o0, int(nout));
      }
    }
  });
  add_bias(bias, n, out);
}

const float* CpuBackend::product_input(const Tensor& x, const Tensor& w, int64_t n) {
  if (!round_.active()) return x.f32();  // the default: no lookup per product
  const bool layer = layer_weights_.count(w.data) != 0;
  if (!(layer ? round_.inputs : round_.head)) return x.f32();
  rounded_x_.assign(x.f32(), x.f32() + n * x.cols);
  round_.apply(rounded_x_.data(), rounded_x_.size(),
               layer ? "the layers' product inputs" : "the output head's input");
  return rounded_x_.data();
}

void CpuBackend::add_bias(const Tensor* bias, int64_t n, Tensor& out) {
  if (bias == nullptr || bias->empty()) return;
  const int64_t nout = out.cols;
  SELFENS_CHECK(bias->cols == nout, "bias shape");
  for (int64_t r = 0; r < n; ++r) {
    float* o = out.f32() + r * nout;
    for (int64_t i = 0; i < nout; ++i) o[i] += bias->f32()[i];
  }
}

void CpuBackend::rope(Tensor& q, Tensor& k, int n_heads, int n_kv_heads,
                      std::span<const float> inv_freq, std::span<const int32_t> positions) {
  const int half = int(inv_freq.size());
  const int hd = 2 * half;
  SELFENS_CHECK(q.cols == int64_t(n_heads) * hd && k.cols == int64_t(n_kv_heads) * hd &&
                    int64_t(positions.size()) == q.rows,
                "rope shapes");
  pool_.parallel_for(q.rows, [&](int64_t b, int64_t e) {
    std::vector<float> cs(static_cast<size_t>(hd));  // cos [half] then sin [half]
    for (int64_t r = b; r < e; ++r) {
      for (int i = 0; i < half; ++i) {
        // fp32 angle, as HF computes inv_freq @ position in float32.
        const float ang = float(positions[size_t(r)]) * inv_freq[size_t(i)];
        cs[size_t(i)] = std::cos(ang);
        cs[size_t(half + i)] = std::sin(ang);
      }
      auto rotate = [&](float* x, int heads) {
        for (int h = 0; h < heads; ++h) {
          float* v = x + int64_t(h) * hd;
          for (int i = 0; i < half; ++i) {
            const float a = v[i], c = v[i + half];
            v[i] = a * cs[size_t(i)] - c * cs[size_t(half + i)];
            v[i + half] = c * cs[size_t(i)] + a * cs[size_t(half + i)];
          }
        }
      };
      rotate(q.f32() + r * q.cols, n_heads);
      rotate(k.f32() + r * k.cols, n_kv_heads);
    }
  }, kMinParallelRows);
}

void CpuBackend::silu_mul(Tensor& gate, const Tensor& up) {
  const int64_t d = gate.cols;
  SELFENS_CHECK(up.cols == d && up.rows >= gate.rows, "silu_mul shapes");
  pool_.parallel_for(gate.rows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      float* g = gate.f32() + r * d;
      const float* u = up.f32() + r * d;
      for (int64_t i = 0; i < d; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
    }
  }, kMinParallelRows);
}

void CpuBackend::add(Tensor& x, const Tensor& y) {
  SELFENS_CHECK(x.cols == y.cols && y.rows >= x.rows, "add shapes");
  const int64_t n = x.rows * x.cols;
  float* a = x.f32();
  const float* b = y.f32();
  for (int64_t i = 0; i < n; ++i) a[i] += b[i];
}

void CpuBackend::gather_rows(const Tensor& x, std::span<const int32_t> rows, Tensor& out) {
  SELFENS_CHECK(out.cols == x.cols && out.rows >= int64_t(rows.size()), "gather shapes");
  for (size_t i = 0; i < rows.size(); ++i) {
    SELFENS_CHECK(rows[i] >= 0 && rows[i] < x.rows, "gather row out of range");
    std::memcpy(out.f32() + i * out.cols, x.f32() + rows[i] * x.cols,
                size_t(x.cols) * sizeof(float));
  }
}

}  // namespace selfens::cpu
