// HF directory loading: config.json, safetensors (single and sharded),
// F32/F16/BF16, generation_config.json, and bad inputs.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "model/loader.h"
#include "model/safetensors.h"
#include "model/test_files.h"
#include "util/check.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;
using test::StTensor;

// Values k/64 for |k| <= 30 are exact in F16 and BF16.
float value_at(int tensor_id, int64_t i) {
  return static_cast<float>((tensor_id * 7 + i) % 61 - 30) / 64.0f;
}

uint16_t to_f16(float f) {  // exact for the values above
  if (f == 0.0f) return std::signbit(f) ? 0x8000 : 0;
  const uint32_t b = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (b >> 16) & 0x8000u;
  const int exp = static_cast<int>((b >> 23) & 0xFF) - 127 + 15;
  return static_cast<uint16_t>(sign | (static_cast<uint32_t>(exp) << 10) | ((b >> 13) & 0x3FF));
}

StTensor make_tensor(int id, std::vector<int64_t> shape, const std::string& dtype) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  StTensor t{dtype, shape, {}};
  for (int64_t i = 0; i < n; ++i) {
    const float v = value_at(id, i);
    if (dtype == "F32") {
      test::Bytes b;
      b.put(v);
      t.data.insert(t.data.end(), b.b.begin(), b.b.end());
    } else {
      const uint16_t h = dtype == "F16" ? to_f16(v) : static_cast<uint16_t>(std::bit_cast<uint32_t>(v) >> 16);
      t.data.push_back(static_cast<uint8_t>(h & 0xFF));
      t.data.push_back(static_cast<uint8_t>(h >> 8));
    }
  }
  return t;
}

// Tiny model: vocab 16, hidden 8, ffn 12, 2 layers, 2 heads of 4, 1 kv head.
struct Tiny {
  bool qwen = false;
  bool tied = false;
  std::map<std::string, std::vector<int64_t>> shapes() const {
    std::map<std::string, std::vector<int64_t>> s = {
        {"model.embed_tokens.weight", {16, 8}}, {"model.norm.weight", {8}}};
    if (!tied) s["lm_head.weight"] = {16, 8};
    for (int l = 0; l < 2; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      s[p + "input_layernorm.weight"] = {8};
      s[p + "self_attn.q_proj.weight"] = {8, 8};
      s[p + "self_attn.k_proj.weight"] = {4, 8};
      s[p + "self_attn.v_proj.weight"] = {4, 8};
      s[p + "self_attn.o_proj.weight"] = {8, 8};
      if (qwen) {
        s[p + "self_attn.q_proj.bias"] = {8};
        s[p + "self_attn.k_proj.bias"] = {4};
        s[p + "self_attn.v_proj.bias"] = {4};
      }
      s[p + "post_attention_layernorm.weight"] = {8};
      s[p + "mlp.gate_proj.weight"] = {12, 8};
      s[p + "mlp.up_proj.weight"] = {12, 8};
      s[p + "mlp.down_proj.weight"] = {8, 12};
    }
    return s;
  }
  // Tensor ids follow map order; dtypes rotate F32, F16, BF16.
  std::map<std::string, StTensor> tensors() const {
    std::map<std::string, StTensor> out;
    int id = 0;
    static const char* dtypes[] = {"F32", "F16", "BF16"};
    for (const auto& [name, shape] : shapes()) {
      out[name] = make_tensor(id, shape, dtypes[id % 3]);
      ++id;
    }
    return out;
  }
  nlohmann::json config() const {
    nlohmann::json c = {{"architectures", {qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
                        {"vocab_size", 16},
                        {"hidden_size", 8},
                        {"intermediate_size", 12},
                        {"num_hidden_layers", 2},
                        {"num_attention_heads", 2},
                        {"num_key_value_heads", 1},
                        {"max_position_embeddings", 256},
                        {"rms_norm_eps", 1e-5},
                        {"rope_theta", 500000.0},
                        {"tie_word_embeddings", tied},
                        {"bos_token_id", 1},
                        {"eos_token_id", {2, 3}},
                        {"hidden_act", "silu"}};
    if (!qwen)
      c["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 32.0}, {"low_freq_factor", 1.0},
                           {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 64}};
    return c;
  }
};

std::string shard_name(int s) {
  std::string n = "model-0000";
  n += std::to_string(s + 1);
  n += "-of-00002.safetensors";
  return n;
}

fs::path write_dir(const std::string& name, const Tiny& t, bool sharded = false) {
  const fs::path dir = test::temp_dir(name);
  test::write_text(dir / "config.json", t.config().dump());
  test::write_text(dir / "tokenizer.json", "{}");
  const auto tensors = t.tensors();
  if (!sharded) {
    test::write_file(dir / "model.safetensors", test::build_safetensors(tensors));
    return dir;
  }
  std::map<std::string, StTensor> shard[2];
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  int i = 0;
  for (const auto& [name, tensor] : tensors) {
    const int s = i++ % 2;
    shard[s][name] = tensor;
    index["weight_map"][name] = shard_name(s);
  }
  for (int s = 0; s < 2; ++s)
    test::write_file(dir / shard_name(s), test::build_safetensors(shard[s]));
  test::write_text(dir / "model.safetensors.index.json", index.dump());
  return dir;
}

// Every weight of the loaded model equals the values written.
void expect_values(const Model& m, const Tiny& t) {
  std::map<std::string, const HostTensor*> got = {{"model.embed_tokens.weight", &m.weights.tok_embeddings},
                                                  {"model.norm.weight", &m.weights.final_norm}};
  if (!t.tied) got["lm_head.weight"] = &m.weights.lm_head;
  for (int l = 0; l < 2; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const LayerWeights& w = m.weights.layers[l];
    got[p + "input_layernorm.weight"] = &w.attn_norm;
    got[p + "self_attn.q_proj.weight"] = &w.wq;
    got[p + "self_attn.k_proj.weight"] = &w.wk;
    got[p + "self_attn.v_proj.weight"] = &w.wv;
    got[p + "self_attn.o_proj.weight"] = &w.wo;
    if (t.qwen) {
      got[p + "self_attn.q_proj.bias"] = &w.bq;
      got[p + "self_attn.k_proj.bias"] = &w.bk;
      got[p + "self_attn.v_proj.bias"] = &w.bv;
    }
    got[p + "post_attention_layernorm.weight"] = &w.ffn_norm;
    got[p + "mlp.gate_proj.weight"] = &w.w_gate;
    got[p + "mlp.up_proj.weight"] = &w.w_up;
    got[p + "mlp.down_proj.weight"] = &w.w_down;
  }
  int id = 0;
  for (const auto& [name, shape] : t.shapes()) {
    const HostTensor* h = got.at(name);
    EXPECT_EQ(h->shape, shape) << name;
    const std::vector<float> values = fp32_values(*h);
    ASSERT_EQ(int64_t(values.size()), h->numel()) << name;
    for (int64_t i = 0; i < h->numel(); ++i)
      ASSERT_EQ(values[size_t(i)], value_at(id, i)) << name << "[" << i << "]";
    ++id;
  }
}

template <typename Fn>
void expect_input_error(Fn fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "message '" << e.what() << "' lacks '" << p << "'";
  }
}

TEST(HfModel, LlamaSingleFileMixedDtypes) {
  const Tiny t;
  const fs::path dir = write_dir("llama", t);
  test::write_text(dir / "generation_config.json",
                   R"({"eos_token_id": 7, "temperature": 0.6, "top_p": 0.9, "top_k": 40, "do_sample": true})");
  const Model m = load_hf_model(dir.string());
  const ModelConfig& c = m.config;
  EXPECT_EQ(c.architecture, "LlamaForCausalLM");
  EXPECT_EQ(c.head_dim, 4);
  EXPECT_EQ(c.num_kv_heads, 1);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FLOAT_EQ(c.rope_theta, 500000.0f);
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_FLOAT_EQ(c.rope_scaling.factor, 32.0f);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 64);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, std::vector<int>{7});  // generation_config wins
  EXPECT_FLOAT_EQ(m.generation.temperature, 0.6f);
  EXPECT_FLOAT_EQ(m.generation.top_p, 0.9f);
  EXPECT_EQ(m.generation.top_k, 40);
  EXPECT_TRUE(m.generation.do_sample);
  EXPECT_EQ(m.tokenizer_json, (dir / "tokenizer.json").string());
  EXPECT_TRUE(m.gguf_path.empty());
  expect_values(m, t);
  fs::remove_all(dir);
}

// For a bf16 device the 2-D BF16 tensors stay the file's bytes (no fp32
// copy); everything else, and every value, is as in the fp32 load.
TEST(HfModel, Bf16ViewsOfBf16MatricesOnly) {
  for (bool sharded : {false, true}) {
    const Tiny t{sharded, sharded};
    const fs::path dir = write_dir(sharded ? "qwen-views" : "llama-views", t, sharded);
    const Model m = load_hf_model(dir.string(), LoadOptions{.bf16_views = true});
    expect_values(m, t);
    const auto tensors = t.tensors();
    int views = 0;
    auto check = [&](const std::string& name, const HostTensor& h) {
      const bool view = tensors.at(name).dtype == "BF16" && h.shape.size() == 2;
      EXPECT_EQ(h.data.empty(), view) << name;
      EXPECT_EQ(h.bf16.size(), view ? size_t(2 * h.numel()) : 0u) << name;
      EXPECT_EQ(h.keep != nullptr, view) << name;
      views += view;
    };
    check("model.embed_tokens.weight", m.weights.tok_embeddings);
    check("model.norm.weight", m.weights.final_norm);
    for (int l = 0; l < 2; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      const LayerWeights& w = m.weights.layers[size_t(l)];
      check(p + "self_attn.q_proj.weight", w.wq);
      check(p + "self_attn.o_proj.weight", w.wo);
      check(p + "mlp.down_proj.weight", w.w_down);
      check(p + "input_layernorm.weight", w.attn_norm);
      if (t.qwen) check(p + "self_attn.q_proj.bias", w.bq);
    }
    EXPECT_GT(views, 0);
    fs::remove_all(dir);
  }
}

TEST(HfModel, Qwen2ShardedTiedWithBiases) {
  const Tiny t{true, true};
  const fs::path dir = write_dir("qwen", t, true);
  const Model m = load_hf_model(dir.string());
  EXPECT_EQ(m.config.architecture, "Qwen2ForCausalLM");
  EXPECT_TRUE(m.config.attention_bias);
  EXPECT_TRUE(m.config.tie_word_embeddings);
  EXPECT_TRUE(m.weights.lm_head.empty());
  EXPECT_EQ(m.config.eos_token_ids, (std::vector<int>{2, 3}));  // list form
  expect_values(m, t);
  fs::remove_all(dir);
}

TEST(HfModel, ShardMissing) {
  const fs::path dir = write_dir("shardmiss", Tiny{}, true);
  fs::remove(dir / "model-00002-of-00002.safetensors");
  expect_input_error([&] { load_hf_model(dir.string()); },
                     {"model.safetensors.index.json", "model-00002-of-00002.safetensors", "not found"});
  fs::remove_all(dir);
}

TEST(HfModel, UnsupportedArchitecture) {
  for (const char* arch : {"MistralForCausalLM", "GPT2LMHeadModel"}) {
    const fs::path dir = write_dir("arch", Tiny{});
    auto c = Tiny{}.config();
    c["architectures"] = {arch};
    test::write_text(dir / "config.json", c.dump());
    expect_input_error([&] { load_hf_model(dir.string()); },
                       {"config.json", std::string("unsupported architecture ") + arch});
    fs::remove_all(dir);
  }
}

TEST(HfModel, ShapeContradictsConfig) {
  const fs::path dir = write_dir("shape", Tiny{});
  auto c = Tiny{}.config();
  c["intermediate_size"] = 16;
  test::write_text(dir / "config.json", c.dump());
  expect_input_error([&] { load_hf_model(dir.string()); },
                     {"model.safetensors", "mlp.", "has shape [12, 8]", "expects [16, 8]"});
  fs::remove_all(dir);
}

TEST(HfModel, MissingTokenizerAndConfig) {
  const fs::path dir = write_dir("tok", Tiny{});
  fs::remove(dir / "tokenizer.json");
  expect_input_error([&] { load_hf_model(dir.string()); }, {dir.string(), "missing tokenizer.json"});
  fs::remove(dir / "config.json");
  expect_input_error([&] { load_hf_model(dir.string()); }, {dir.string(), "missing config.json"});
  fs::remove_all(dir);
}

TEST(HfModel, MissingTensorAndBadConfigField) {
  const Tiny t;
  const fs::path dir = write_dir("missing", t);
  auto tensors = t.tensors();
  tensors.erase("model.layers.1.mlp.up_proj.weight");
  test::write_file(dir / "model.safetensors", test::build_safetensors(tensors));
  expect_input_error([&] { load_hf_model(dir.string()); },
                     {"model.safetensors", "missing tensor 'model.layers.1.mlp.up_proj.weight'"});
  auto c = t.config();
  c["hidden_size"] = "eight";
  test::write_text(dir / "config.json", c.dump());
  expect_input_error([&] { load_hf_model(dir.string()); }, {"config.json", "'hidden_size'"});
  c = t.config();
  c["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}};
  test::write_text(dir / "config.json", c.dump());
  expect_input_error([&] { load_hf_model(dir.string()); }, {"config.json", "rope_scaling type 'yarn'"});
  c = t.config();
  c["use_sliding_window"] = true;
  test::write_text(dir / "config.json", c.dump());
  expect_input_error([&] { load_hf_model(dir.string()); }, {"config.json", "use_sliding_window"});
  fs::remove_all(dir);
}

void parse_st(const std::vector<uint8_t>& b) { parse_safetensors_bytes(b.data(), b.size(), "x.safetensors"); }

std::vector<uint8_t> st_with_header(const std::string& header, size_t data_bytes) {
  test::Bytes b;
  b.put<uint64_t>(header.size()).raw(header.data(), header.size());
  b.b.resize(b.b.size() + data_bytes);
  return b.b;
}

TEST(Safetensors, BadInputs) {
  parse_st(st_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
  expect_input_error([] { parse_st(st_with_header(R"({"a":{"dtype":"Q9","shape":[2],"data_offsets":[0,8]}})", 8)); },
                     {"x.safetensors", "tensor 'a'", "unknown dtype 'Q9'"});
  expect_input_error([] { parse_st(st_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8)); },
                     {"x.safetensors", "tensor 'a'", "outside the data"});
  expect_input_error([] { parse_st(st_with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)); },
                     {"tensor 'a'", "needs 12"});
  expect_input_error([] { parse_st(st_with_header(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)); },
                     {"tensor 'a'", "non-negative"});
  expect_input_error([] { parse_st(st_with_header(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8)); },
                     {"tensor 'a'", "overflow"});
  expect_input_error([] { parse_st(st_with_header(R"({"a": {"dtype")", 8)); }, {"x.safetensors", "bad JSON header"});
  expect_input_error([] { parse_st(st_with_header(R"([1,2])", 0)); }, {"x.safetensors", "not an object"});
  auto b = st_with_header(R"({})", 0);
  const uint64_t huge = 1ull << 40;
  std::memcpy(b.data(), &huge, 8);
  expect_input_error([&] { parse_st(b); }, {"x.safetensors", "header length 1099511627776 exceeds the file size"});
  expect_input_error([] { parse_st({1, 2, 3}); }, {"x.safetensors", "truncated"});
}

TEST(Safetensors, NonFloatDtypeAsWeight) {
  const fs::path dir = test::temp_dir("i64");
  test::write_file(dir / "w.safetensors", st_with_header(R"({"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8));
  SafetensorsFile f((dir / "w.safetensors").string());
  ASSERT_EQ(f.tensors().size(), 1u);
  expect_input_error([&] { f.to_fp32(*f.find("a")); }, {"w.safetensors", "tensor 'a'", "dtype I64"});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace selfens
