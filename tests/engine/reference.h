#pragma once
// Random-weight test models and a plain reference forward pass: explicit
// token sequence, explicit positions, an explicit dense mask and score bias,
// straightforward loops in double precision.
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "model/loader.h"
#include "model/model.h"

namespace selfens::test {

struct TinySpec {
  bool bias = false;          // Qwen2-style q/k/v biases
  bool tied = false;          // tied embeddings
  bool llama3_rope = false;   // llama3 rope scaling
  int layers = 2;
  uint32_t seed = 1;
};

inline HostTensor random_tensor(std::mt19937& rng, std::vector<int64_t> shape, float scale,
                                float offset = 0.0f) {
  HostTensor t;
  t.shape = std::move(shape);
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  std::uniform_real_distribution<float> u(-scale, scale);
  t.data.resize(size_t(n));
  for (float& v : t.data) v = offset + u(rng);
  return t;
}

inline std::shared_ptr<Model> make_tiny_model(const TinySpec& spec) {
  auto m = std::make_shared<Model>();
  ModelConfig& c = m->config;
  c.architecture = spec.bias ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
  c.vocab_size = 97;
  c.hidden_size = 64;
  c.intermediate_size = 96;
  c.num_layers = spec.layers;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 16;
  c.max_position_embeddings = 512;
  c.rms_norm_eps = 1e-5f;
  c.rope_theta = 10000.0f;
  c.tie_word_embeddings = spec.tied;
  c.attention_bias = spec.bias;
  c.eos_token_ids = {};
  if (spec.llama3_rope) {
    c.rope_scaling.type = "llama3";
    c.rope_scaling.factor = 8.0f;
    c.rope_scaling.low_freq_factor = 1.0f;
    c.rope_scaling.high_freq_factor = 4.0f;
    c.rope_scaling.original_max_position_embeddings = 64;  // spans all three bands
  }
  std::mt19937 rng(spec.seed);
  const int64_t d = c.hidden_size, q = 64, kv = 32, ff = c.intermediate_size;
  const float sd = std::sqrt(3.0f / float(d)), sf = std::sqrt(3.0f / float(ff));
  ModelWeights& w = m->weights;
  w.tok_embeddings = random_tensor(rng, {c.vocab_size, d}, 1.0f);
  for (int l = 0; l < c.num_layers; ++l) {
    LayerWeights L;
    L.attn_norm = random_tensor(rng, {d}, 0.2f, 1.0f);
    L.wq = random_tensor(rng, {q, d}, 2.0f * sd);  // sharper attention
    L.wk = random_tensor(rng, {kv, d}, 2.0f * sd);
    L.wv = random_tensor(rng, {kv, d}, sd);
    if (spec.bias) {
      L.bq = random_tensor(rng, {q}, 0.5f);
      L.bk = random_tensor(rng, {kv}, 0.5f);
      L.bv = random_tensor(rng, {kv}, 0.5f);
    }
    L.wo = random_tensor(rng, {d, q}, sd);
    L.ffn_norm = random_tensor(rng, {d}, 0.2f, 1.0f);
    L.w_gate = random_tensor(rng, {ff, d}, sd);
    L.w_up = random_tensor(rng, {ff, d}, sd);
    L.w_down = random_tensor(rng, {d, ff}, sf);
    w.layers.push_back(std::move(L));
  }
  w.final_norm = random_tensor(rng, {d}, 0.2f, 1.0f);
  if (!spec.tied) w.lm_head = random_tensor(rng, {c.vocab_size, d}, sd);
  m->name = "tiny";
  return m;
}

struct RefOutput {
  std::vector<std::vector<float>> logits;          // [n][vocab]
  std::vector<std::vector<std::vector<float>>> k;  // [layer][n][kv_heads*head_dim] after RoPE
  std::vector<std::vector<std::vector<float>>> v;  // [layer][n][kv_heads*head_dim]
};

using Mat = std::vector<std::vector<double>>;

inline Mat ref_linear(const Mat& x, const HostTensor& w, const HostTensor& b) {
  const size_t out = size_t(w.shape[0]), in = size_t(w.shape[1]);
  Mat y(x.size(), std::vector<double>(out, 0.0));
  for (size_t r = 0; r < x.size(); ++r)
    for (size_t o = 0; o < out; ++o) {
      double s = b.empty() ? 0.0 : b.data[o];
      for (size_t i = 0; i < in; ++i) s += double(w.data[o * in + i]) * x[r][i];
      y[r][o] = s;
    }
  return y;
}

inline Mat ref_rmsnorm(const Mat& x, const HostTensor& w, double eps) {
  Mat y = x;
  for (auto& row : y) {
    double ss = 0;
    for (double v : row) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / double(row.size()) + eps);
    for (size_t i = 0; i < row.size(); ++i) row[i] = row[i] * inv * w.data[i];
  }
  return y;
}

// RoPE frequencies from the model loader's llama3 rule (independent of the
// engine's own implementation).
inline std::vector<double> ref_inv_freq(const ModelConfig& c) {
  std::vector<double> f(size_t(c.head_dim / 2));
  for (int i = 0; i < c.head_dim / 2; ++i) {
    f[size_t(i)] = std::pow(double(c.rope_theta), -2.0 * i / c.head_dim);
    if (c.rope_scaling.type == "llama3") f[size_t(i)] /= llama3_rope_divisor(c, i);
  }
  return f;
}

inline void ref_rope(Mat& x, int heads, int hd, const std::vector<int>& pos,
                     const std::vector<double>& inv) {
  const int half = hd / 2;
  for (size_t r = 0; r < x.size(); ++r)
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < half; ++i) {
        const double a = pos[r] * inv[size_t(i)];
        double& x1 = x[r][size_t(h * hd + i)];
        double& x2 = x[r][size_t(h * hd + i + half)];
        const double n1 = x1 * std::cos(a) - x2 * std::sin(a);
        const double n2 = x2 * std::cos(a) + x1 * std::sin(a);
        x1 = n1;
        x2 = n2;
      }
}

// mask[i*n + j] = 1 when token i sees token j; the score is
// q.k / sqrt(d) * scale[i*n + j] + bias[i*n + j] (scale empty: 1).
inline RefOutput ref_forward(const Model& m, const std::vector<int>& tokens,
                             const std::vector<int>& pos, const std::vector<uint8_t>& mask,
                             const std::vector<float>& bias,
                             const std::vector<float>& scale = {}) {
  const ModelConfig& c = m.config;
  const ModelWeights& w = m.weights;
  const size_t n = tokens.size(), d = size_t(c.hidden_size);
  const int hd = c.head_dim, H = c.num_heads, KVH = c.num_kv_heads;
  const std::vector<double> inv = ref_inv_freq(c);
  Mat x(n, std::vector<double>(d));
  for (size_t r = 0; r < n; ++r)
    for (size_t i = 0; i < d; ++i) x[r][i] = w.tok_embeddings.data[size_t(tokens[r]) * d + i];
  RefOutput out;
  const HostTensor none;
  for (const LayerWeights& L : w.layers) {
    Mat h = ref_rmsnorm(x, L.attn_norm, c.rms_norm_eps);
    Mat q = ref_linear(h, L.wq, L.bq), k = ref_linear(h, L.wk, L.bk), v = ref_linear(h, L.wv, L.bv);
    ref_rope(q, H, hd, pos, inv);
    ref_rope(k, KVH, hd, pos, inv);
    auto to_float = [](const Mat& a) {
      std::vector<std::vector<float>> f(a.size());
      for (size_t r = 0; r < a.size(); ++r) f[r].assign(a[r].begin(), a[r].end());
      return f;
    };
    out.k.push_back(to_float(k));
    out.v.push_back(to_float(v));
    Mat att(n, std::vector<double>(size_t(H * hd), 0.0));
    for (size_t i = 0; i < n; ++i)
      for (int hh = 0; hh < H; ++hh) {
        const int kh = hh / (H / KVH);
        std::vector<double> s(n, -INFINITY);
        double mx = -INFINITY;
        for (size_t j = 0; j < n; ++j) {
          if (!mask[i * n + j]) continue;
          double dot = 0;
          for (int e = 0; e < hd; ++e) dot += q[i][size_t(hh * hd + e)] * k[j][size_t(kh * hd + e)];
          const double sc = scale.empty() ? 1.0 : double(scale[i * n + j]);
          s[j] = dot / std::sqrt(double(hd)) * sc + bias[i * n + j];
          mx = std::max(mx, s[j]);
        }
        double z = 0;
        for (size_t j = 0; j < n; ++j) z += mask[i * n + j] ? std::exp(s[j] - mx) : 0.0;
        for (size_t j = 0; j < n; ++j) {
          if (!mask[i * n + j]) continue;
          const double p = std::exp(s[j] - mx) / z;
          for (int e = 0; e < hd; ++e) att[i][size_t(hh * hd + e)] += p * v[j][size_t(kh * hd + e)];
        }
      }
    Mat o = ref_linear(att, L.wo, none);
    for (size_t r = 0; r < n; ++r)
      for (size_t i = 0; i < d; ++i) x[r][i] += o[r][i];
    h = ref_rmsnorm(x, L.ffn_norm, c.rms_norm_eps);
    Mat g = ref_linear(h, L.w_gate, none), u = ref_linear(h, L.w_up, none);
    for (size_t r = 0; r < n; ++r)
      for (size_t i = 0; i < g[r].size(); ++i) g[r][i] = g[r][i] / (1.0 + std::exp(-g[r][i])) * u[r][i];
    Mat dn = ref_linear(g, L.w_down, none);
    for (size_t r = 0; r < n; ++r)
      for (size_t i = 0; i < d; ++i) x[r][i] += dn[r][i];
  }
  Mat h = ref_rmsnorm(x, w.final_norm, c.rms_norm_eps);
  Mat lg = ref_linear(h, w.output(), none);
  for (auto& row : lg) out.logits.emplace_back(row.begin(), row.end());
  return out;
}

// Plain causal attention over one sequence at positions start..start+n-1.
inline RefOutput ref_causal(const Model& m, const std::vector<int>& tokens, int start = 0) {
  const size_t n = tokens.size();
  std::vector<int> pos(n);
  std::vector<uint8_t> mask(n * n, 0);
  for (size_t i = 0; i < n; ++i) {
    pos[i] = start + int(i);
    for (size_t j = 0; j <= i; ++j) mask[i * n + j] = 1;
  }
  return ref_forward(m, tokens, pos, mask, std::vector<float>(n * n, 0.0f));
}

inline std::vector<int> random_tokens(std::mt19937& rng, int n, int vocab) {
  std::uniform_int_distribution<int> u(0, vocab - 1);
  std::vector<int> t(static_cast<size_t>(n));
  for (int& x : t) x = u(rng);
  return t;
}

}  // namespace selfens::test
