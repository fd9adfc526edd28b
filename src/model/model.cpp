#include "model/model.h"

#include <cstring>

#include "model/dequant.h"
#include "model/load_util.h"
#include "util/check.h"

namespace selfens {
namespace {

using detail::shape_str;

void check_shape(const HostTensor& t, const std::vector<int64_t>& want, const std::string& origin,
                 const std::string& name) {
  SELFENS_REQUIRE(t.shape == want, origin + ": tensor " + name + " has shape " +
                                       shape_str(t.shape) + ", config expects " + shape_str(want));
  int64_t n = 1;
  for (int64_t d : want) n *= d;
  SELFENS_REQUIRE(t.numel() == n, origin + ": tensor " + name + " holds " +
                                      std::to_string(t.numel()) + " values, shape says " +
                                      std::to_string(n));
}

void check_config(const ModelConfig& c, const std::string& origin) {
  auto positive = [&](int v, const char* field) {
    SELFENS_REQUIRE(v > 0, origin + ": config field " + field + " must be positive, is " +
                               std::to_string(v));
  };
  positive(c.vocab_size, "vocab_size");
  positive(c.hidden_size, "hidden_size");
  positive(c.intermediate_size, "intermediate_size");
  positive(c.num_layers, "num_hidden_layers");
  positive(c.num_heads, "num_attention_heads");
  positive(c.num_kv_heads, "num_key_value_heads");
  positive(c.head_dim, "head_dim");
  SELFENS_REQUIRE(c.num_heads % c.num_kv_heads == 0,
                  origin + ": num_attention_heads " + std::to_string(c.num_heads) +
                      " is not a multiple of num_key_value_heads " +
                      std::to_string(c.num_kv_heads));
  SELFENS_REQUIRE(c.head_dim % 2 == 0, origin + ": head_dim " + std::to_string(c.head_dim) +
                                           " must be even for RoPE");
  SELFENS_REQUIRE(c.rope_scaling.type.empty() || c.rope_scaling.type == "llama3",
                  origin + ": rope_scaling type '" + c.rope_scaling.type + "' is not supported");
}

void check_layer(const ModelConfig& c, const LayerWeights& l, const std::string& origin, int i) {
  const std::string p = "layers." + std::to_string(i) + ".";
  const int64_t h = c.hidden_size, q = int64_t{c.num_heads} * c.head_dim,
                kv = int64_t{c.num_kv_heads} * c.head_dim, ff = c.intermediate_size;
  check_shape(l.attn_norm, {h}, origin, p + "attn_norm");
  check_shape(l.wq, {q, h}, origin, p + "wq");
  check_shape(l.wk, {kv, h}, origin, p + "wk");
  check_shape(l.wv, {kv, h}, origin, p + "wv");
  if (c.attention_bias) {
    check_shape(l.bq, {q}, origin, p + "bq");
    check_shape(l.bk, {kv}, origin, p + "bk");
    check_shape(l.bv, {kv}, origin, p + "bv");
  } else {
    SELFENS_REQUIRE(l.bq.empty() && l.bk.empty() && l.bv.empty(),
                    origin + ": tensor " + p + "bq/bk/bv present but config has no attention bias");
  }
  if (c.qk_norm) {
    check_shape(l.q_norm, {c.head_dim}, origin, p + "q_norm");
    check_shape(l.k_norm, {c.head_dim}, origin, p + "k_norm");
  } else {
    SELFENS_REQUIRE(l.q_norm.empty() && l.k_norm.empty(),
                    origin + ": tensor " + p + "q_norm/k_norm present but the architecture has none");
  }
  check_shape(l.wo, {h, q}, origin, p + "wo");
  check_shape(l.ffn_norm, {h}, origin, p + "ffn_norm");
  check_shape(l.w_gate, {ff, h}, origin, p + "w_gate");
  check_shape(l.w_up, {ff, h}, origin, p + "w_up");
  check_shape(l.w_down, {h, ff}, origin, p + "w_down");
}

}  // namespace

void validate_model(const ModelConfig& c, const ModelWeights& w, const std::string& origin) {
  check_config(c, origin);
  check_shape(w.tok_embeddings, {c.vocab_size, c.hidden_size}, origin, "tok_embeddings");
  SELFENS_REQUIRE(static_cast<int>(w.layers.size()) == c.num_layers,
                  origin + ": " + std::to_string(w.layers.size()) + " layers of weights, config has " +
                      "num_hidden_layers " + std::to_string(c.num_layers));
  for (int i = 0; i < c.num_layers; ++i) check_layer(c, w.layers[i], origin, i);
  check_shape(w.final_norm, {c.hidden_size}, origin, "final_norm");
  if (c.tie_word_embeddings) {
    SELFENS_REQUIRE(w.lm_head.empty(), origin + ": tensor lm_head present but embeddings are tied");
  } else {
    check_shape(w.lm_head, {c.vocab_size, c.hidden_size}, origin, "lm_head");
  }
}

std::vector<float> fp32_values(const HostTensor& t) {
  if (!t.data.empty() || t.bf16.empty()) return t.data;
  std::vector<float> out(t.bf16.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, t.bf16.data() + 2 * i, 2);
    out[i] = bf16_to_fp32(bits);
  }
  return out;
}

void require_within_context(const ModelConfig& c, const std::string& what,
                            int64_t prompt_positions, int64_t new_tokens) {
  const int64_t limit = c.max_position_embeddings;
  if (limit <= 0 || prompt_positions + new_tokens <= limit) return;
  throw InputError(what + " needs " + std::to_string(prompt_positions + new_tokens) +
                   " positions (" + std::to_string(prompt_positions) + " of prompt + " +
                   std::to_string(new_tokens) + " new tokens), more than the model's context of " +
                   std::to_string(limit) + " (max_position_embeddings); shorten it or lower " +
                   "--max_new_tokens");
}

}  // namespace selfens
