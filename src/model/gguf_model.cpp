// GGUF -> Model: llama / qwen2 metadata and tensor names mapped to the HF
// layout of model/model.h.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <type_traits>

#include "model/architecture.h"
#include "model/dequant.h"
#include "model/load_util.h"
#include "util/parallel.h"
#include "model/loader.h"
#include "util/check.h"

namespace selfens {
namespace {

int get_int_or(const GgufFile& f, const std::string& key, int fallback) {
  if (!f.find(key)) return fallback;
  const int64_t v = f.get_int(key);
  SELFENS_REQUIRE(v >= 0 && v <= (int64_t{1} << 31) - 1,
                  f.path() + ": metadata key '" + key + "': value " + std::to_string(v) +
                      " out of range");
  return static_cast<int>(v);
}

float get_float_or(const GgufFile& f, const std::string& key, float fallback) {
  return f.find(key) ? static_cast<float>(f.get_float(key)) : fallback;
}


int vocab_size_of(const GgufFile& f, const std::string& arch) {
  if (f.find(arch + ".vocab_size")) return get_int_or(f, arch + ".vocab_size", 0);
  if (const GgufValue* v = f.find("tokenizer.ggml.tokens"))
    if (const auto* a = std::get_if<GgufArray>(&v->value)) return static_cast<int>(a->size());
  const GgufTensorInfo* t = f.find_tensor("token_embd.weight");
  SELFENS_REQUIRE(t && t->ne.size() == 2, f.path() + ": cannot tell the vocabulary size");
  return static_cast<int>(t->ne[1]);
}

void read_token_ids(const GgufFile& f, ModelConfig& c) {
  c.bos_token_id = get_int_or(f, "tokenizer.ggml.bos_token_id", -1);
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                          "tokenizer.ggml.eom_token_id"}) {
    const int id = get_int_or(f, key, -1);
    if (id >= 0 && std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), id) ==
                       c.eos_token_ids.end())
      c.eos_token_ids.push_back(id);
  }
}

// llama.cpp stores llama3 rope scaling as a rope_freqs tensor of divisors;
// recover the HF parameters (low/high freq factors 1 and 4, as every Llama
// 3.x release uses) and check that they reproduce the tensor.
void read_rope_freqs(const GgufFile& f, ModelConfig& c) {
  const GgufTensorInfo* t = f.find_tensor("rope_freqs.weight");
  if (!t) return;
  const HostTensor freqs = f.dequantize(*t);
  SELFENS_REQUIRE(freqs.numel() == c.head_dim / 2,
                  f.path() + ": tensor 'rope_freqs.weight' has " + std::to_string(freqs.numel()) +
                      " values, expected head_dim/2 = " + std::to_string(c.head_dim / 2));
  c.rope_scaling.type = "llama3";
  c.rope_scaling.factor = *std::max_element(freqs.data.begin(), freqs.data.end());
  for (int orig : {8192, 4096, 16384, 2048, 32768, 131072}) {
    c.rope_scaling.original_max_position_embeddings = orig;
    bool match = true;
    for (int i = 0; i < freqs.numel() && match; ++i)
      match = std::fabs(llama3_rope_divisor(c, i) - freqs.data[i]) <= 1e-3 * freqs.data[i];
    if (match) return;
  }
  throw InputError(f.path() + ": tensor 'rope_freqs.weight' does not match llama3 rope scaling");
}

void read_rope_scaling_type(const GgufFile& f, const std::string& arch) {
  const std::string key = arch + ".rope.scaling.type";
  if (!f.find(key)) return;
  const std::string type = f.get_string(key);
  SELFENS_REQUIRE(type == "none", f.path() + ": metadata key '" + key + "': rope scaling '" +
                                      type + "' is not supported");
}

}  // namespace

double llama3_rope_divisor(const ModelConfig& config, int i) {
  const RopeScaling& s = config.rope_scaling;
  const double inv_freq = std::pow(static_cast<double>(config.rope_theta),
                                   -2.0 * i / static_cast<double>(config.head_dim));
  const double wavelen = 2.0 * std::numbers::pi / inv_freq;
  const double low_wavelen = s.original_max_position_embeddings / s.low_freq_factor;
  const double high_wavelen = s.original_max_position_embeddings / s.high_freq_factor;
  if (wavelen < high_wavelen) return 1.0;
  if (wavelen > low_wavelen) return s.factor;
  const double smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) /
                        (s.high_freq_factor - s.low_freq_factor);
  return 1.0 / ((1.0 - smooth) / s.factor + smooth);
}

ModelConfig gguf_model_config(const GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  ModelConfig c;
  const Architecture& family = architecture_from_gguf(arch, f.path());
  c.architecture = family.hf_name;
  c.qk_norm = family.qk_norm;
  c.num_layers = get_int_or(f, arch + ".block_count", 0);
  c.hidden_size = get_int_or(f, arch + ".embedding_length", 0);
  c.intermediate_size = get_int_or(f, arch + ".feed_forward_length", 0);
  c.num_heads = get_int_or(f, arch + ".attention.head_count", 0);
  c.num_kv_heads = get_int_or(f, arch + ".attention.head_count_kv", c.num_heads);
  SELFENS_REQUIRE(c.num_layers > 0 && c.hidden_size > 0 && c.intermediate_size > 0 &&
                      c.num_heads > 0,
                  f.path() + ": missing or zero " + arch +
                      ".{block_count, embedding_length, feed_forward_length, "
                      "attention.head_count}");
  c.head_dim = get_int_or(f, arch + ".attention.key_length", c.hidden_size / c.num_heads);
  const int rope_dims = get_int_or(f, arch + ".rope.dimension_count", c.head_dim);
  SELFENS_REQUIRE(rope_dims == c.head_dim,
                  f.path() + ": partial rotary embeddings (rope.dimension_count " +
                      std::to_string(rope_dims) + " != head_dim " + std::to_string(c.head_dim) +
                      ") are not supported");
  c.vocab_size = vocab_size_of(f, arch);
  c.max_position_embeddings = get_int_or(f, arch + ".context_length", 0);
  c.rms_norm_eps = get_float_or(f, arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  c.rope_theta = get_float_or(f, arch + ".rope.freq_base", 10000.0f);
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;
  c.attention_bias = f.find_tensor("blk.0.attn_q.bias") != nullptr;
  read_rope_scaling_type(f, arch);
  read_rope_freqs(f, c);
  read_token_ids(f, c);
  return c;
}

void unpermute_qk_rows(HostTensor& w, int n_head) {
  SELFENS_CHECK(!w.shape.empty() && n_head > 0 && w.shape[0] % (2 * n_head) == 0,
                "unpermute_qk_rows: rows not divisible by 2 * n_head");
  const int64_t rows = w.shape[0];
  const int64_t hd = rows / n_head, half = hd / 2;
  // Moves rows of `row_size` elements of `v` (the fp32 data and, when kept,
  // the GGUF blocks: the same rows in both).
  auto permute = [&](auto& v) {
    const size_t row_size = v.size() / size_t(rows);
    std::remove_reference_t<decltype(v)> out(v.size());
    for (int64_t h = 0; h < n_head; ++h)
      for (int64_t j = 0; j < half; ++j)
        for (int64_t p = 0; p < 2; ++p) {
          const auto src = v.begin() + long((h * hd + 2 * j + p) * int64_t(row_size));
          std::copy(src, src + long(row_size),
                    out.begin() + long((h * hd + p * half + j) * int64_t(row_size)));
        }
    v = std::move(out);
  };
  permute(w.data);
  if (!w.blocks.empty()) permute(w.blocks);
}

namespace {

// One GGUF tensor dequantized, its HF shape checked.
HostTensor take(const GgufFile& f, const std::string& name, std::vector<int64_t> shape,
                bool optional = false) {
  const GgufTensorInfo* info = f.find_tensor(name);
  if (!info) {
    SELFENS_REQUIRE(optional, f.path() + ": missing tensor '" + name + "'");
    return {};
  }
  HostTensor t = f.dequantize(*info);
  if ((info->type == uint32_t(GgmlType::kQ4_1) || info->type == uint32_t(GgmlType::kQ8_0)) &&
      t.shape.size() == 2 && t.shape[1] % 32 == 0) {
    t.block_type = info->type;
    t.blocks.assign(info->data, info->data + info->nbytes);
  }
  const auto str = detail::shape_str;
  SELFENS_REQUIRE(t.shape == shape, f.path() + ": tensor '" + name + "' has shape " +
                                        str(t.shape) + " (HF order), expected " + str(shape) +
                                        " from the metadata");
  return t;
}

LayerWeights load_layer(const GgufFile& f, const ModelConfig& c, int i) {
  const std::string p = "blk." + std::to_string(i) + ".";
  const int64_t h = c.hidden_size, q = int64_t{c.num_heads} * c.head_dim,
                kv = int64_t{c.num_kv_heads} * c.head_dim, ff = c.intermediate_size;
  LayerWeights l;
  l.attn_norm = take(f, p + "attn_norm.weight", {h});
  l.wq = take(f, p + "attn_q.weight", {q, h});
  l.wk = take(f, p + "attn_k.weight", {kv, h});
  l.wv = take(f, p + "attn_v.weight", {kv, h});
  l.bq = take(f, p + "attn_q.bias", {q}, !c.attention_bias);
  l.bk = take(f, p + "attn_k.bias", {kv}, !c.attention_bias);
  l.bv = take(f, p + "attn_v.bias", {kv}, !c.attention_bias);
  if (c.qk_norm) {
    l.q_norm = take(f, p + "attn_q_norm.weight", {c.head_dim});
    l.k_norm = take(f, p + "attn_k_norm.weight", {c.head_dim});
  }
  l.wo = take(f, p + "attn_output.weight", {h, q});
  l.ffn_norm = take(f, p + "ffn_norm.weight", {h});
  l.w_gate = take(f, p + "ffn_gate.weight", {ff, h});
  l.w_up = take(f, p + "ffn_up.weight", {ff, h});
  l.w_down = take(f, p + "ffn_down.weight", {h, ff});
  if (architecture_from_hf(c.architecture, f.path()).gguf_permuted_qk) {
    unpermute_qk_rows(l.wq, c.num_heads);
    unpermute_qk_rows(l.wk, c.num_kv_heads);
    if (!l.bq.empty()) unpermute_qk_rows(l.bq, c.num_heads);
    if (!l.bk.empty()) unpermute_qk_rows(l.bk, c.num_kv_heads);
  }
  return l;
}

void load_layers(const GgufFile& f, const ModelConfig& c, ModelWeights& w) {
  w.layers.resize(static_cast<size_t>(c.num_layers));
  parallel_each(size_t(c.num_layers), [&](size_t i) { w.layers[i] = load_layer(f, c, int(i)); });
}

}  // namespace

Model load_gguf_model(const std::string& path) {
  GgufFile f(path);
  Model m;
  m.path = path;
  m.gguf_path = path;
  m.config = gguf_model_config(f);
  const ModelConfig& c = m.config;
  SELFENS_REQUIRE(c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads == 0 && c.head_dim % 2 == 0,
                  path + ": head counts " + std::to_string(c.num_heads) + "/" +
                      std::to_string(c.num_kv_heads) + " or head_dim " +
                      std::to_string(c.head_dim) + " are not usable");
  m.weights.tok_embeddings = take(f, "token_embd.weight", {c.vocab_size, c.hidden_size});
  load_layers(f, c, m.weights);
  m.weights.final_norm = take(f, "output_norm.weight", {c.hidden_size});
  if (!c.tie_word_embeddings)
    m.weights.lm_head = take(f, "output.weight", {c.vocab_size, c.hidden_size});
  m.generation.temperature = get_float_or(f, "general.sampling.temp", 1.0f);
  m.generation.top_p = get_float_or(f, "general.sampling.top_p", 1.0f);
  m.generation.top_k = get_int_or(f, "general.sampling.top_k", 0);
  validate_model(m.config, m.weights, path);
  return m;
}

}  // namespace selfens
