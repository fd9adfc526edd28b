// GGUF tokenizer.ggml.* metadata (llama.cpp's conventions) -> TokenizerSpec.
#include <algorithm>
#include <map>

#include "model/gguf.h"
#include "tokenizer/tokenizer_spec.h"
#include "util/check.h"

namespace selfens {
namespace {

using tok::PreTokenizer;

// llama.cpp token types.
constexpr int64_t kControl = 3, kUserDefined = 4;

// tokenizer.ggml.pre -> the pre-tokenizer of `tokenizers` it stands for
// (Qwen3 GGUFs say qwen2; DeepSeek-R1 distills deepseek-r1-qwen or llama-bpe).
const std::map<std::string, PreTokenizer>& pre_kinds() {
  static const std::map<std::string, PreTokenizer> kinds = {
      {"gpt-2", PreTokenizer::kGpt2},       {"gpt2", PreTokenizer::kGpt2},
      {"smollm", PreTokenizer::kSmolLM},    {"starcoder", PreTokenizer::kSmolLM},
      {"refact", PreTokenizer::kSmolLM},    {"llama-bpe", PreTokenizer::kLlama3},
      {"llama3", PreTokenizer::kLlama3},    {"qwen2", PreTokenizer::kQwen2},
      {"deepseek-r1-qwen", PreTokenizer::kQwen2},
  };
  return kinds;
}

std::string supported_pre_names() {
  std::string out;
  for (const auto& [name, kind] : pre_kinds()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

bool pre_of(const std::string& name, PreTokenizer* pre, bool* nfc) {
  const auto& kinds = pre_kinds();
  auto it = kinds.find(name);
  if (it == kinds.end()) return false;
  *pre = it->second;
  *nfc = it->second == PreTokenizer::kQwen2;  // Qwen2's tokenizer.json normalizes to NFC
  return true;
}

int64_t int_or(const GgufFile& g, const std::string& key, int64_t dflt) {
  return g.find(key) ? g.get_int(key) : dflt;
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& g) {
  const std::string& path = g.path();
  TokenizerSpec spec;
  spec.source = path;
  const std::string model = g.get_string("tokenizer.ggml.model");
  SELFENS_REQUIRE(model == "gpt2", "unsupported tokenizer model " + model + " in " + path +
                                       " (only byte-level BPE, tokenizer.ggml.model = gpt2)");
  const std::string pre = g.find("tokenizer.ggml.pre") ? g.get_string("tokenizer.ggml.pre") : "gpt-2";
  SELFENS_REQUIRE(pre_of(pre, &spec.pre, &spec.nfc),
                  path + ": unsupported tokenizer.ggml.pre '" + pre + "' (supported: " +
                      supported_pre_names() + ")");
  spec.vocab = g.get_string_array("tokenizer.ggml.tokens");
  const std::vector<std::string> merges = g.get_string_array("tokenizer.ggml.merges");
  spec.merges.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const size_t sp = merges[r].find(' ', 1);
    SELFENS_REQUIRE(sp != std::string::npos,
                    path + ": tokenizer.ggml.merges[" + std::to_string(r) + "] has no space");
    spec.merges.emplace_back(merges[r].substr(0, sp), merges[r].substr(sp + 1));
  }
  if (g.find("tokenizer.ggml.token_type")) {
    const std::vector<int64_t> types = g.get_int_array("tokenizer.ggml.token_type");
    SELFENS_REQUIRE(types.size() == spec.vocab.size(),
                    path + ": tokenizer.ggml.token_type and tokenizer.ggml.tokens differ in length");
    for (size_t i = 0; i < types.size(); ++i) {
      if (types[i] != kControl && types[i] != kUserDefined) continue;
      AddedToken a;
      a.id = static_cast<int32_t>(i);
      a.content = spec.vocab[i];
      a.special = types[i] == kControl;
      if (!a.content.empty()) spec.added.push_back(std::move(a));
    }
  }
  const int64_t n = static_cast<int64_t>(spec.vocab.size());
  auto id_key = [&](const char* key) {
    const int64_t id = int_or(g, key, -1);
    SELFENS_REQUIRE(id < n, path + ": " + key + " " + std::to_string(id) + " out of range");
    return static_cast<int32_t>(id);
  };
  spec.bos_id = id_key("tokenizer.ggml.bos_token_id");
  const int32_t eos = id_key("tokenizer.ggml.eos_token_id");
  for (int32_t id : {eos, id_key("tokenizer.ggml.eot_token_id"), id_key("tokenizer.ggml.eom_token_id")}) {
    if (id >= 0 && std::find(spec.eos_ids.begin(), spec.eos_ids.end(), id) == spec.eos_ids.end())
      spec.eos_ids.push_back(id);
  }
  id_key("tokenizer.ggml.unknown_token_id");  // checked only: byte-level BPE needs no unk
  const bool add_bos = g.find("tokenizer.ggml.add_bos_token")
                           ? g.get_bool("tokenizer.ggml.add_bos_token")
                           : spec.pre == PreTokenizer::kLlama3;
  const bool add_eos = g.find("tokenizer.ggml.add_eos_token") && g.get_bool("tokenizer.ggml.add_eos_token");
  if (add_bos && spec.bos_id >= 0) spec.prefix_ids.push_back(spec.bos_id);
  if (add_eos && eos >= 0) spec.suffix_ids.push_back(eos);
  return build_tokenizer(std::move(spec));
}

}  // namespace selfens
