// GGUF -> Model: the real SmolLM2 file against goldens from gguf-py and
// transformers (tools/reference/make_dequant_golden.py), dequantization of
// every supported block type, Q/K unpermutation, tiny synthetic models.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "model/dequant.h"
#include "model/loader.h"
#include "model/test_files.h"
#include "util/check.h"

namespace selfens {
namespace {

nlohmann::json golden() {
  std::ifstream in(test::fixtures_dir() / "dequant_golden.json");
  EXPECT_TRUE(in.good()) << "missing tests/fixtures/dequant_golden.json";
  return nlohmann::json::parse(in);
}

std::vector<uint8_t> from_hex(const std::string& h) {
  std::vector<uint8_t> out(h.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(std::stoi(h.substr(2 * i, 2), nullptr, 16));
  return out;
}

TEST(Dequant, EveryTypeMatchesGgufPy) {
  const auto g = golden();
  ASSERT_EQ(g["blocks"].size(), 11u);
  for (const auto& c : g["blocks"]) {
    const auto raw = from_hex(c["hex"]);
    const int64_t n = c["n"];
    const auto traits = ggml_type_traits(c["type_id"].get<uint32_t>());
    ASSERT_TRUE(traits.dequantizable) << c["type"];
    ASSERT_EQ(static_cast<int64_t>(raw.size()), n / traits.block_size * traits.block_bytes) << c["type"];
    std::vector<float> y(static_cast<size_t>(n));
    dequantize_row(c["type_id"], raw.data(), y.data(), n);
    const auto& want = c["values"];
    int bad = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float w = want[i].get<float>();
      if (std::fabs(y[i] - w) > 1e-6f * std::max(1.0f, std::fabs(w)) && bad++ < 3)
        ADD_FAILURE() << c["type"] << " element " << i << ": " << y[i] << " vs " << w;
    }
    EXPECT_EQ(bad, 0) << c["type"];
  }
}

// The real default model, loaded once for the tests below.
const Model& smollm2() {
  static const Model m = load_gguf_model(test::default_model_gguf().string());
  return m;
}

const HostTensor* by_hf_name(const Model& m, const std::string& name) {
  const ModelWeights& w = m.weights;
  if (name == "model.embed_tokens.weight") return &w.tok_embeddings;
  if (name == "model.norm.weight") return &w.final_norm;
  const std::string pre = "model.layers.";
  if (name.rfind(pre, 0) != 0) return nullptr;
  const size_t dot = name.find('.', pre.size());
  const LayerWeights& l = w.layers.at(std::stoul(name.substr(pre.size(), dot - pre.size())));
  const std::string rest = name.substr(dot + 1);
  if (rest == "self_attn.q_proj.weight") return &l.wq;
  if (rest == "self_attn.k_proj.weight") return &l.wk;
  if (rest == "self_attn.v_proj.weight") return &l.wv;
  if (rest == "self_attn.o_proj.weight") return &l.wo;
  if (rest == "mlp.gate_proj.weight") return &l.w_gate;
  if (rest == "mlp.up_proj.weight") return &l.w_up;
  if (rest == "mlp.down_proj.weight") return &l.w_down;
  if (rest == "input_layernorm.weight") return &l.attn_norm;
  if (rest == "post_attention_layernorm.weight") return &l.ffn_norm;
  return nullptr;
}

TEST(SmolLM2, LoadsWithExpectedConfigQuickly) {
  const auto t0 = std::chrono::steady_clock::now();
  const Model m = load_gguf_model(test::default_model_gguf().string());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("SmolLM2 GGUF load: %.3f s\n", s);
  EXPECT_LT(s, 10.0);  // ~0.5 s on 2 cores; generous for loaded CI machines
  const ModelConfig& c = m.config;
  EXPECT_EQ(c.architecture, "LlamaForCausalLM");
  EXPECT_EQ(c.num_layers, 30);
  EXPECT_EQ(c.hidden_size, 576);
  EXPECT_EQ(c.intermediate_size, 1536);
  EXPECT_EQ(c.num_heads, 9);
  EXPECT_EQ(c.num_kv_heads, 3);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.vocab_size, 49152);
  EXPECT_EQ(c.max_position_embeddings, 8192);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FLOAT_EQ(c.rope_theta, 100000.0f);
  EXPECT_FLOAT_EQ(c.rms_norm_eps, 1e-5f);
  EXPECT_TRUE(c.rope_scaling.type.empty());
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, std::vector<int>{2});
  EXPECT_TRUE(m.weights.lm_head.empty());
  EXPECT_EQ(&m.weights.output(), &m.weights.tok_embeddings);
  EXPECT_EQ(m.gguf_path, test::default_model_gguf().string());
  EXPECT_TRUE(m.tokenizer_json.empty());
}

TEST(SmolLM2, TensorsMatchTransformersGolden) {
  const auto g = golden();
  const Model& m = smollm2();
  ASSERT_GE(g["model"]["tensors"].size(), 10u);
  for (const auto& t : g["model"]["tensors"]) {
    const std::string name = t["name"];
    const HostTensor* h = by_hf_name(m, name);
    ASSERT_NE(h, nullptr) << name;
    EXPECT_EQ(h->shape, t["shape"].get<std::vector<int64_t>>()) << name;
    double sum = 0, sq = 0;
    for (float v : h->data) sum += v, sq += double{v} * v;
    const double want_sum = t["sum"], want_sq = t["sum_sq"];
    EXPECT_NEAR(sum, want_sum, 1e-5 * std::max(1.0, std::fabs(want_sum)) + 1e-4) << name;
    EXPECT_NEAR(sq, want_sq, 1e-5 * want_sq) << name;
    const auto first = t["first"].get<std::vector<float>>();
    for (size_t i = 0; i < first.size(); ++i)
      EXPECT_NEAR(h->data[i], first[i], 1e-5f * std::max(1.0f, std::fabs(first[i]))) << name << "[" << i << "]";
  }
}

TEST(Unpermute, InvertsLlamaCppPermutation) {
  // llama.cpp: HF row h*hd + p*hd/2 + j is stored at row h*hd + 2*j + p.
  const int n_head = 3, hd = 4, cols = 2;
  HostTensor hf{{n_head * hd, cols}, {}};
  for (int i = 0; i < n_head * hd * cols; ++i) hf.data.push_back(static_cast<float>(i));
  HostTensor permuted = hf;
  for (int h = 0; h < n_head; ++h)
    for (int p = 0; p < 2; ++p)
      for (int j = 0; j < hd / 2; ++j)
        for (int c = 0; c < cols; ++c)
          permuted.data[(h * hd + 2 * j + p) * cols + c] = hf.data[(h * hd + p * hd / 2 + j) * cols + c];
  ASSERT_NE(permuted.data, hf.data);
  unpermute_qk_rows(permuted, n_head);
  EXPECT_EQ(permuted.data, hf.data);
}

// A tiny GGUF model: hidden 8, 2 heads of 4, 1 kv head, ffn 12, vocab 10.
struct TinyGguf {
  std::string arch = "llama";
  bool bias = false, tied = true;
  std::vector<float> rope_freqs;  // written as rope_freqs.weight when non-empty
  float theta = 500000.0f;
};

std::vector<float> ramp(size_t n, float base) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = base + 0.01f * static_cast<float>(i);
  return v;
}

std::vector<uint8_t> tiny_gguf(const TinyGguf& t) {
  test::GgufBuilder b;
  const std::string a = t.arch;
  b.kv_str("general.architecture", a).kv_u32(a + ".block_count", 2).kv_u32(a + ".embedding_length", 8)
      .kv_u32(a + ".feed_forward_length", 12).kv_u32(a + ".attention.head_count", 2)
      .kv_u32(a + ".attention.head_count_kv", 1).kv_u32(a + ".context_length", 128)
      .kv_f32(a + ".rope.freq_base", t.theta).kv_f32(a + ".attention.layer_norm_rms_epsilon", 1e-6f)
      .kv_u32("tokenizer.ggml.bos_token_id", 3).kv_u32("tokenizer.ggml.eos_token_id", 4)
      .kv_u32("tokenizer.ggml.eot_token_id", 5);
  b.f32_tensor("token_embd.weight", {8, 10}, ramp(80, 0));
  b.f32_tensor("output_norm.weight", {8}, ramp(8, 1));
  if (!t.tied) b.f32_tensor("output.weight", {8, 10}, ramp(80, 2));
  if (!t.rope_freqs.empty())
    b.f32_tensor("rope_freqs.weight", {static_cast<int64_t>(t.rope_freqs.size())}, t.rope_freqs);
  for (int l = 0; l < 2; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    const float base = 10.0f * static_cast<float>(l + 1);
    b.f32_tensor(p + "attn_norm.weight", {8}, ramp(8, base));
    b.f32_tensor(p + "attn_q.weight", {8, 8}, ramp(64, base + 1));
    b.f32_tensor(p + "attn_k.weight", {8, 4}, ramp(32, base + 2));
    b.f32_tensor(p + "attn_v.weight", {8, 4}, ramp(32, base + 3));
    if (t.bias) {
      b.f32_tensor(p + "attn_q.bias", {8}, ramp(8, base + 4));
      b.f32_tensor(p + "attn_k.bias", {4}, ramp(4, base + 5));
      b.f32_tensor(p + "attn_v.bias", {4}, ramp(4, base + 6));
    }
    b.f32_tensor(p + "attn_output.weight", {8, 8}, ramp(64, base + 7));
    b.f32_tensor(p + "ffn_norm.weight", {8}, ramp(8, base + 8));
    b.f32_tensor(p + "ffn_gate.weight", {8, 12}, ramp(96, base + 9));
    b.f32_tensor(p + "ffn_up.weight", {8, 12}, ramp(96, base + 9.5f));
    b.f32_tensor(p + "ffn_down.weight", {12, 8}, ramp(96, base + 9.7f));
  }
  return b.build();
}

Model load_tiny(const TinyGguf& t, const std::string& name) {
  const auto dir = test::temp_dir("tiny_" + name);
  test::write_file(dir / (name + ".gguf"), tiny_gguf(t));
  Model m = load_gguf_model((dir / (name + ".gguf")).string());
  std::filesystem::remove_all(dir);
  return m;
}

TEST(GgufModel, Qwen2IsNotPermutedAndHasBiases) {
  const Model m = load_tiny({"qwen2", true, false, {}}, "qwen");
  const ModelConfig& c = m.config;
  EXPECT_EQ(c.architecture, "Qwen2ForCausalLM");
  EXPECT_TRUE(c.attention_bias);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.head_dim, 4);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int>{4, 5}));
  const LayerWeights& l = m.weights.layers[1];
  EXPECT_EQ(l.wq.shape, (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(l.wq.data, ramp(64, 21));
  EXPECT_EQ(l.bk.data, ramp(4, 25));
  EXPECT_EQ(l.w_down.shape, (std::vector<int64_t>{8, 12}));
  EXPECT_EQ(m.weights.lm_head.data, ramp(80, 2));
}

TEST(GgufModel, LlamaQkAreUnpermuted) {
  const Model m = load_tiny({}, "llama");
  const LayerWeights& l = m.weights.layers[0];
  const auto q = ramp(64, 11), k = ramp(32, 12);
  // Head 0 of Q (rows 0..3): HF rows 0,1,2,3 come from GGUF rows 0,2,1,3.
  const int src_of[4] = {0, 2, 1, 3};
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c)
      EXPECT_EQ(l.wq.data[r * 8 + c], q[(r / 4 * 4 + src_of[r % 4]) * 8 + c]);
  for (int r = 0; r < 4; ++r) EXPECT_EQ(l.wk.data[r * 8], k[src_of[r] * 8]);
  EXPECT_EQ(l.wv.data, ramp(32, 13));  // V is not permuted
  EXPECT_TRUE(m.config.tie_word_embeddings);
}

TEST(GgufModel, Llama3RopeFreqsBecomeRopeScaling) {
  ModelConfig ref;
  ref.rope_theta = 1e7f;  // so that pair 1 (of head_dim 4) is a low frequency
  ref.head_dim = 4;
  ref.rope_scaling = {"llama3", 32.0f, 1.0f, 4.0f, 8192};
  std::vector<float> freqs = {static_cast<float>(llama3_rope_divisor(ref, 0)),
                              static_cast<float>(llama3_rope_divisor(ref, 1))};
  EXPECT_EQ(freqs[0], 1.0f);
  EXPECT_EQ(freqs[1], 32.0f);
  const Model m = load_tiny({"llama", false, true, freqs, 1e7f}, "rope");
  EXPECT_EQ(m.config.rope_scaling.type, "llama3");
  EXPECT_FLOAT_EQ(m.config.rope_scaling.factor, 32.0f);
}

TEST(GgufModel, UnsupportedArchitecture) {
  try {
    load_tiny({"gpt2", false, true, {}}, "gpt2");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("gpt2.gguf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unsupported architecture gpt2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace selfens
