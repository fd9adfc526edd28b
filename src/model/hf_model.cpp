// Hugging Face directory -> Model: config.json, safetensors (single or
// sharded), generation_config.json, tokenizer.json.
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "model/architecture.h"
#include "model/load_util.h"
#include "util/parallel.h"
#include "model/loader.h"
#include "model/safetensors.h"
#include "util/check.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& path) {
  std::ifstream in(path);
  SELFENS_REQUIRE(in.good(), path.string() + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(path.string() + ": bad JSON: " + e.what());
  }
}

// A JSON field read with a type check; `fallback` when absent or null.
template <typename T>
T field(const json& j, const char* key, T fallback, const std::string& file) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // An integer field given as a float (or out of T's range) would be an
    // undefined conversion: refuse it by name.
    const bool fits = it->is_number_unsigned()
                          ? it->get<uint64_t>() <= uint64_t(std::numeric_limits<T>::max())
                          : it->is_number_integer() &&
                                it->get<int64_t>() >= int64_t(std::numeric_limits<T>::min()) &&
                                it->get<int64_t>() <= int64_t(std::numeric_limits<T>::max());
    SELFENS_REQUIRE(fits, file + ": field '" + key + "' must be an integer in range, got " +
                              it->dump());
  }
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw InputError(file + ": field '" + key + "' has the wrong type (" + it->type_name() + ")");
  }
}

int required_int(const json& j, const char* key, const std::string& file) {
  const int v = field<int>(j, key, -1, file);
  SELFENS_REQUIRE(v > 0, file + ": field '" + key + "' missing or not a positive integer");
  return v;
}

// eos_token_id may be an int or a list of ints.
std::vector<int> token_ids(const json& j, const char* key, const std::string& file) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_number_integer()) return {it->get<int>()};
  SELFENS_REQUIRE(it->is_array(), file + ": field '" + key + "' must be an int or a list of ints");
  std::vector<int> ids;
  for (const json& v : *it) {
    SELFENS_REQUIRE(v.is_number_integer(), file + ": field '" + key + "' must hold ints");
    ids.push_back(v.get<int>());
  }
  return ids;
}

const Architecture& architecture_of(const json& j, const std::string& file) {
  if (const auto it = j.find("architectures"); it != j.end() && it->is_array() && !it->empty() &&
                                                (*it)[0].is_string())
    return architecture_from_hf((*it)[0].get<std::string>(), file);
  return architecture_from_hf(field<std::string>(j, "model_type", "", file), file);
}

void read_rope(const json& j, ModelConfig& c, const std::string& file) {
  c.rope_theta = field<float>(j, "rope_theta", 10000.0f, file);
  // transformers >= 5 nests rope settings in rope_parameters.
  json rs = j.contains("rope_parameters") ? j["rope_parameters"] : j.value("rope_scaling", json());
  if (rs.is_null()) return;
  SELFENS_REQUIRE(rs.is_object(), file + ": field 'rope_scaling' must be an object or null");
  c.rope_theta = field<float>(rs, "rope_theta", c.rope_theta, file);
  std::string type = field<std::string>(rs, "rope_type", field<std::string>(rs, "type", "", file), file);
  if (type.empty() || type == "default") return;
  SELFENS_REQUIRE(type == "llama3", file + ": rope_scaling type '" + type +
                                        "' is not supported (supported: llama3)");
  RopeScaling& s = c.rope_scaling;
  s.type = type;
  s.factor = field<float>(rs, "factor", s.factor, file);
  s.low_freq_factor = field<float>(rs, "low_freq_factor", s.low_freq_factor, file);
  s.high_freq_factor = field<float>(rs, "high_freq_factor", s.high_freq_factor, file);
  s.original_max_position_embeddings = field<int>(
      rs, "original_max_position_embeddings", s.original_max_position_embeddings, file);
  SELFENS_REQUIRE(s.factor > 0 && s.high_freq_factor > s.low_freq_factor && s.low_freq_factor > 0 &&
                      s.original_max_position_embeddings > 0,
                  file + ": rope_scaling values are inconsistent");
}

ModelConfig read_config(const fs::path& path) {
  const std::string file = path.string();
  const json j = read_json(path);
  SELFENS_REQUIRE(j.is_object(), file + ": not a JSON object");
  ModelConfig c;
  const Architecture& arch = architecture_of(j, file);
  c.architecture = arch.hf_name;
  c.vocab_size = required_int(j, "vocab_size", file);
  c.hidden_size = required_int(j, "hidden_size", file);
  c.intermediate_size = required_int(j, "intermediate_size", file);
  c.num_layers = required_int(j, "num_hidden_layers", file);
  c.num_heads = required_int(j, "num_attention_heads", file);
  c.num_kv_heads = field<int>(j, "num_key_value_heads", c.num_heads, file);
  c.head_dim = field<int>(j, "head_dim", c.hidden_size / c.num_heads, file);
  c.max_position_embeddings = field<int>(j, "max_position_embeddings", 0, file);
  c.rms_norm_eps = field<float>(j, "rms_norm_eps", 1e-6f, file);
  c.tie_word_embeddings = field<bool>(j, "tie_word_embeddings", false, file);
  c.attention_bias = arch.qkv_bias || field<bool>(j, "attention_bias", false, file);
  c.qk_norm = arch.qk_norm;
  SELFENS_REQUIRE(!field<bool>(j, "mlp_bias", false, file), file + ": mlp_bias is not supported");
  SELFENS_REQUIRE(!field<bool>(j, "use_sliding_window", false, file),
                  file + ": use_sliding_window is not supported");
  const std::string act = field<std::string>(j, "hidden_act", "silu", file);
  SELFENS_REQUIRE(act == "silu", file + ": hidden_act '" + act + "' is not supported (silu only)");
  read_rope(j, c, file);
  c.bos_token_id = field<int>(j, "bos_token_id", -1, file);
  c.eos_token_ids = token_ids(j, "eos_token_id", file);
  return c;
}

void read_generation_config(const fs::path& path, Model& m) {
  if (!fs::exists(path)) return;
  const std::string file = path.string();
  const json j = read_json(path);
  SELFENS_REQUIRE(j.is_object(), file + ": not a JSON object");
  if (auto ids = token_ids(j, "eos_token_id", file); !ids.empty()) m.config.eos_token_ids = ids;
  m.config.bos_token_id = field<int>(j, "bos_token_id", m.config.bos_token_id, file);
  GenerationDefaults& g = m.generation;
  g.temperature = field<float>(j, "temperature", g.temperature, file);
  g.top_p = field<float>(j, "top_p", g.top_p, file);
  g.top_k = field<int>(j, "top_k", g.top_k, file);
  g.do_sample = field<bool>(j, "do_sample", g.do_sample, file);
}

// The safetensors files of a directory and which holds each tensor.
class TensorSource {
 public:
  TensorSource(const fs::path& dir, const LoadOptions& options) : options_(options) {
    const fs::path single = dir / "model.safetensors";
    const fs::path index = dir / "model.safetensors.index.json";
    if (fs::exists(single)) {
      open(single);
    } else {
      SELFENS_REQUIRE(fs::exists(index), dir.string() +
                                             ": no model.safetensors or "
                                             "model.safetensors.index.json");
      read_index(dir, index);
    }
  }

  bool has(const std::string& name) const { return where_.count(name) != 0; }

  // The tensor as fp32 (or the file's bf16 bytes, see LoadOptions), its
  // shape checked against the config.
  HostTensor take(const std::string& name, const std::vector<int64_t>& shape) const {
    const auto it = where_.find(name);
    SELFENS_REQUIRE(it != where_.end(), origin_ + ": missing tensor '" + name + "'");
    const std::shared_ptr<const SafetensorsFile>& file = files_[it->second];
    const SafetensorsFile& f = *file;
    const SafetensorsTensor* t = f.find(name);
    SELFENS_REQUIRE(t != nullptr, f.path() + ": missing tensor '" + name + "' (listed in the index)");
    SELFENS_REQUIRE(t->shape == shape, f.path() + ": tensor '" + name + "' has shape " +
                                           detail::shape_str(t->shape) + ", config.json expects " +
                                           detail::shape_str(shape));
    if (options_.bf16_views && shape.size() == 2 && t->dtype == "BF16") {
      HostTensor h;
      h.shape = t->shape;
      h.bf16 = {t->data, size_t(t->nbytes)};
      h.keep = file;
      return h;
    }
    return f.to_fp32(*t);
  }

 private:
  size_t open(const fs::path& p) {
    files_.push_back(std::make_shared<const SafetensorsFile>(p.string()));
    origin_ = origin_.empty() ? p.string() : origin_;
    for (const auto& t : files_.back()->tensors()) where_[t.name] = files_.size() - 1;
    return files_.size() - 1;
  }

  void read_index(const fs::path& dir, const fs::path& index) {
    const std::string file = index.string();
    const json j = read_json(index);
    const auto wm = j.find("weight_map");
    SELFENS_REQUIRE(j.is_object() && wm != j.end() && wm->is_object(),
                    file + ": missing object 'weight_map'");
    std::map<std::string, size_t> opened;
    for (const auto& [name, shard] : wm->items()) {
      SELFENS_REQUIRE(shard.is_string(), file + ": weight_map entry '" + name + "' is not a string");
      const std::string s = shard.get<std::string>();
      SELFENS_REQUIRE(s.find('/') == std::string::npos && fs::exists(dir / s),
                      file + ": shard '" + s + "' of tensor '" + name + "' not found in " + dir.string());
      if (!opened.count(s)) opened[s] = open(dir / s);
      where_[name] = opened[s];
    }
    origin_ = file;
  }

  LoadOptions options_;
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;  // weights may keep them mapped
  std::map<std::string, size_t> where_;  // tensor name -> index in files_
  std::string origin_;                    // named in "missing tensor" errors
};

LayerWeights load_layer(const TensorSource& src, const ModelConfig& c, int i) {
  const std::string p = "model.layers." + std::to_string(i) + ".";
  const int64_t h = c.hidden_size, q = int64_t{c.num_heads} * c.head_dim,
                kv = int64_t{c.num_kv_heads} * c.head_dim, ff = c.intermediate_size;
  LayerWeights l;
  l.attn_norm = src.take(p + "input_layernorm.weight", {h});
  l.wq = src.take(p + "self_attn.q_proj.weight", {q, h});
  l.wk = src.take(p + "self_attn.k_proj.weight", {kv, h});
  l.wv = src.take(p + "self_attn.v_proj.weight", {kv, h});
  if (c.attention_bias) {
    l.bq = src.take(p + "self_attn.q_proj.bias", {q});
    l.bk = src.take(p + "self_attn.k_proj.bias", {kv});
    l.bv = src.take(p + "self_attn.v_proj.bias", {kv});
  }
  if (c.qk_norm) {
    l.q_norm = src.take(p + "self_attn.q_norm.weight", {c.head_dim});
    l.k_norm = src.take(p + "self_attn.k_norm.weight", {c.head_dim});
  }
  l.wo = src.take(p + "self_attn.o_proj.weight", {h, q});
  l.ffn_norm = src.take(p + "post_attention_layernorm.weight", {h});
  l.w_gate = src.take(p + "mlp.gate_proj.weight", {ff, h});
  l.w_up = src.take(p + "mlp.up_proj.weight", {ff, h});
  l.w_down = src.take(p + "mlp.down_proj.weight", {h, ff});
  return l;
}

}  // namespace

ModelConfig hf_model_config(const std::string& config_json) { return read_config(config_json); }

Model load_hf_model(const std::string& dir_str, const LoadOptions& options) {
  const fs::path dir(dir_str);
  SELFENS_REQUIRE(fs::is_directory(dir), dir_str + ": not a directory");
  SELFENS_REQUIRE(fs::exists(dir / "config.json"), dir_str + ": missing config.json");
  Model m;
  m.path = dir_str;
  m.config = read_config(dir / "config.json");
  read_generation_config(dir / "generation_config.json", m);
  SELFENS_REQUIRE(fs::exists(dir / "tokenizer.json"),
                  dir_str + ": missing tokenizer.json (the tokenizer of an HF model directory)");
  m.tokenizer_json = (dir / "tokenizer.json").string();
  const ModelConfig& c = m.config;
  const std::string origin = (dir / "config.json").string();
  SELFENS_REQUIRE(c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads == 0,
                  origin + ": num_attention_heads " + std::to_string(c.num_heads) +
                      " is not a multiple of num_key_value_heads " + std::to_string(c.num_kv_heads));
  const TensorSource src(dir, options);
  m.weights.tok_embeddings = src.take("model.embed_tokens.weight", {c.vocab_size, c.hidden_size});
  m.weights.layers.resize(static_cast<size_t>(c.num_layers));
  parallel_each(size_t(c.num_layers),
                [&](size_t i) { m.weights.layers[i] = load_layer(src, c, int(i)); });
  m.weights.final_norm = src.take("model.norm.weight", {c.hidden_size});
  if (!c.tie_word_embeddings)
    m.weights.lm_head = src.take("lm_head.weight", {c.vocab_size, c.hidden_size});
  validate_model(m.config, m.weights, dir_str);
  return m;
}

}  // namespace selfens
