// Hugging Face tokenizer.json (+ tokenizer_config.json and
// generation_config.json beside it, when present) -> TokenizerSpec.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer_spec.h"
#include "util/check.h"

namespace selfens {
namespace {

using nlohmann::json;

// A token id field: an integer in [0, 2^24) (floats and huge values would be
// undefined conversions), else an InputError naming `what`.
int32_t token_id(const json& v, const std::string& what) {
  const bool ok = (v.is_number_unsigned() && v.get<uint64_t>() < (1u << 24)) ||
                  (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() < (1 << 24));
  SELFENS_REQUIRE(ok, what + " must be a token id (an integer in [0, 2^24)), got " + v.dump());
  return static_cast<int32_t>(v.get<int64_t>());
}

using tok::PreTokenizer;

const char* const kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

std::string type_of(const json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>()
                                                                      : std::string();
}

bool flag(const json& j, const char* key, bool dflt) {
  return j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : dflt;
}

void read_model(const json& m, const std::string& path, TokenizerSpec* spec) {
  const std::string type = m.contains("type") ? type_of(m) : "BPE";
  SELFENS_REQUIRE(type == "BPE", "unsupported tokenizer model " + type + " in " + path +
                                     " (only byte-level BPE is supported)");
  SELFENS_REQUIRE(m.contains("vocab") && m["vocab"].is_object(), path + ": model.vocab missing");
  SELFENS_REQUIRE(m.contains("merges") && m["merges"].is_array(), path + ": model.merges missing");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    SELFENS_REQUIRE(!m.contains(key) || m[key].is_null() || m[key].get<std::string>().empty(),
                    path + ": model." + key + " is not supported");
  }
  SELFENS_REQUIRE(!flag(m, "byte_fallback", false), path + ": model.byte_fallback is not supported");
  spec->ignore_merges = flag(m, "ignore_merges", false);
  for (const auto& [tokstr, id] : m["vocab"].items()) {
    const int64_t i = token_id(id, path + ": model.vocab id of '" + tokstr + "'");
    if (static_cast<size_t>(i) >= spec->vocab.size()) spec->vocab.resize(i + 1);
    spec->vocab[i] = tokstr;
  }
  spec->merges.reserve(m["merges"].size());
  for (const json& mg : m["merges"]) {
    if (mg.is_string()) {  // "a b"
      const std::string s = mg.get<std::string>();
      const size_t sp = s.find(' ', 1);
      SELFENS_REQUIRE(sp != std::string::npos, path + ": merge '" + s + "' has no space");
      spec->merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else {  // ["a", "b"]
      SELFENS_REQUIRE(mg.is_array() && mg.size() == 2, path + ": a merge is not a pair");
      spec->merges.emplace_back(mg[0].get<std::string>(), mg[1].get<std::string>());
    }
  }
}

void read_normalizer(const json& n, const std::string& path, TokenizerSpec* spec) {
  if (n.is_null()) return;
  const std::string type = type_of(n);
  if (type == "NFC") {
    spec->nfc = true;
  } else if (type == "Sequence" && n.contains("normalizers")) {
    for (const json& x : n.at("normalizers")) read_normalizer(x, path, spec);
  } else {
    SELFENS_REQUIRE(false, "unsupported normalizer " + type + " in " + path);
  }
}

void read_pre_tokenizer(const json& p, const std::string& path, TokenizerSpec* spec) {
  const std::string type = type_of(p);
  if (type == "ByteLevel" && flag(p, "use_regex", true)) {
    spec->pre = PreTokenizer::kGpt2;
    spec->add_prefix_space = flag(p, "add_prefix_space", true);
    return;
  }
  if (type == "Sequence" && p.contains("pretokenizers") && p["pretokenizers"].size() == 2) {
    const json& a = p.at("pretokenizers").at(0);
    const json& b = p.at("pretokenizers").at(1);
    if (type_of(b) == "ByteLevel") {
      spec->add_prefix_space = flag(b, "add_prefix_space", true);
      const bool regex = flag(b, "use_regex", true);
      if (type_of(a) == "Digits" && flag(a, "individual_digits", false) && regex) {
        spec->pre = PreTokenizer::kSmolLM;
        return;
      }
      if (type_of(a) == "Split" && !regex && a.contains("pattern") &&
          a.at("pattern").contains("Regex") && a.value("behavior", "") == "Isolated" &&
          !flag(a, "invert", false)) {
        const std::string re = a.at("pattern").at("Regex").get<std::string>();
        if (re == kLlama3Regex || re == kQwen2Regex) {
          spec->pre = re == kLlama3Regex ? PreTokenizer::kLlama3 : PreTokenizer::kQwen2;
          return;
        }
        SELFENS_REQUIRE(false, "unsupported pre_tokenizer Split regex " + re + " in " + path);
      }
    }
  }
  SELFENS_REQUIRE(false, "unsupported pre_tokenizer " + p.dump().substr(0, 200) + " in " + path);
}

// TemplateProcessing's "single" template: special tokens before $A go first,
// those after it last.
void read_template(const json& t, const std::string& path, TokenizerSpec* spec) {
  bool after = false;
  for (const json& item : t.value("single", json::array())) {
    if (item.contains("Sequence")) {
      after = true;
      continue;
    }
    SELFENS_REQUIRE(item.contains("SpecialToken"), path + ": bad TemplateProcessing item");
    const std::string name = item.at("SpecialToken").at("id").get<std::string>();
    SELFENS_REQUIRE(t.contains("special_tokens") && t.at("special_tokens").contains(name),
                    path + ": TemplateProcessing uses unknown special token " + name);
    for (const json& id : t.at("special_tokens").at(name).at("ids"))
      (after ? spec->suffix_ids : spec->prefix_ids).push_back(token_id(id, path + ": special token " + name + " id"));
  }
}

void read_post_processor(const json& p, const std::string& path, TokenizerSpec* spec) {
  if (p.is_null()) return;
  const std::string type = type_of(p);
  if (type == "ByteLevel") return;  // only trims offsets
  if (type == "TemplateProcessing") return read_template(p, path, spec);
  if (type == "Sequence" && p.contains("processors")) {
    for (const json& x : p.at("processors")) read_post_processor(x, path, spec);
    return;
  }
  SELFENS_REQUIRE(false, "unsupported post_processor " + type + " in " + path);
}

void read_decoder(const json& d, const std::string& path) {
  if (d.is_null()) return;
  const std::string type = type_of(d);
  SELFENS_REQUIRE(type == "ByteLevel", "unsupported decoder " + type + " in " + path);
}

void read_added(const json& list, const std::string& path, TokenizerSpec* spec) {
  for (const json& a : list) {
    AddedToken t;
    t.id = token_id(a.at("id"), path + ": added token id");
    t.content = a.at("content").get<std::string>();
    t.special = flag(a, "special", false);
    t.lstrip = flag(a, "lstrip", false);
    t.rstrip = flag(a, "rstrip", false);
    SELFENS_REQUIRE(!t.content.empty(), path + ": added token " + std::to_string(t.id) + " is empty");
    spec->added.push_back(std::move(t));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  SELFENS_REQUIRE(f.good(), "cannot open tokenizer file " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

json parse(std::string_view text, const std::string& path) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    throw InputError(path + ": malformed JSON: " + e.what());
  }
}

int32_t id_of(const TokenizerSpec& spec, const std::string& content) {
  for (const AddedToken& a : spec.added) {
    if (a.content == content) return a.id;
  }
  for (size_t i = 0; i < spec.vocab.size(); ++i) {
    if (spec.vocab[i] == content) return static_cast<int32_t>(i);
  }
  return -1;
}

std::string token_name(const json& j) {  // "name" or {"content": "name"}
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content")) return j["content"].get<std::string>();
  return {};
}

void add_eos(TokenizerSpec* spec, int32_t id) {
  if (id >= 0 && std::find(spec->eos_ids.begin(), spec->eos_ids.end(), id) == spec->eos_ids.end())
    spec->eos_ids.push_back(id);
}

// BOS/EOS from tokenizer_config.json and generation_config.json beside the
// tokenizer.json; without them, the usual end-of-text names.
void read_side_files(const std::filesystem::path& dir, TokenizerSpec* spec) {
  const auto gen = dir / "generation_config.json";
  const auto cfg = dir / "tokenizer_config.json";
  try {
    if (std::filesystem::exists(gen)) {
      const json g = parse(read_file(gen.string()), gen.string());
      if (g.contains("eos_token_id")) {
        const json& e = g["eos_token_id"];
        if (e.is_number_integer()) add_eos(spec, token_id(e, gen.string() + ": eos_token_id"));
        if (e.is_array())
          for (const json& x : e) add_eos(spec, token_id(x, gen.string() + ": eos_token_id"));
      }
    }
    if (std::filesystem::exists(cfg)) {
      const json c = parse(read_file(cfg.string()), cfg.string());
      if (c.contains("eos_token")) add_eos(spec, id_of(*spec, token_name(c["eos_token"])));
      if (spec->bos_id < 0 && c.contains("bos_token"))
        spec->bos_id = id_of(*spec, token_name(c["bos_token"]));
    }
  } catch (const json::exception& e) {
    throw InputError(dir.string() + ": bad tokenizer/generation config: " + e.what());
  }
  if (spec->eos_ids.empty()) {
    for (const char* name : {"<|endoftext|>", "<|end_of_text|>", "<|eot_id|>", "<|im_end|>", "</s>"})
      add_eos(spec, id_of(*spec, name));
  }
}

}  // namespace

TokenizerSpec spec_from_tokenizer_json(std::string_view json_text, const std::string& path) {
  const json j = parse(json_text, path);
  TokenizerSpec spec;
  spec.source = path;
  try {
    SELFENS_REQUIRE(j.is_object() && j.contains("model"), path + ": no \"model\" in tokenizer.json");
    read_model(j["model"], path, &spec);
    read_normalizer(j.value("normalizer", json()), path, &spec);
    SELFENS_REQUIRE(j.contains("pre_tokenizer") && !j["pre_tokenizer"].is_null(),
                    "unsupported pre_tokenizer null in " + path);
    read_pre_tokenizer(j["pre_tokenizer"], path, &spec);
    read_post_processor(j.value("post_processor", json()), path, &spec);
    read_decoder(j.value("decoder", json()), path);
    read_added(j.value("added_tokens", json::array()), path, &spec);
    const json& m = j["model"];
    if (m.contains("unk_token") && m["unk_token"].is_string())
      spec.unk_id = id_of(spec, m["unk_token"].get<std::string>());
  } catch (const json::exception& e) {
    throw InputError(path + ": bad tokenizer.json: " + e.what());
  }
  if (!spec.prefix_ids.empty()) spec.bos_id = spec.prefix_ids.front();
  return spec;
}

std::unique_ptr<Tokenizer> Tokenizer::from_tokenizer_json(const std::string& path) {
  SELFENS_REQUIRE(std::filesystem::is_regular_file(path), "tokenizer file not found: " + path);
  TokenizerSpec spec = spec_from_tokenizer_json(read_file(path), path);
  read_side_files(std::filesystem::path(path).parent_path(), &spec);
  return build_tokenizer(std::move(spec));
}

}  // namespace selfens
