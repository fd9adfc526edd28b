#include "data/paraphrase.h"

#include <nlohmann/json.hpp>

#include "data/jsonl.h"
#include "io/atomic_file.h"
#include "util/check.h"

namespace selfens::data {
namespace fs = std::filesystem;

namespace {

const nlohmann::json& field(const nlohmann::json& j, const char* name, const std::string& where) {
  auto it = j.find(name);
  SELFENS_REQUIRE(it != j.end(), where + ": field '" + name + "' missing");
  return *it;
}

std::string str_field(const nlohmann::json& j, const char* name, const std::string& where) {
  const auto& v = field(j, name, where);
  SELFENS_REQUIRE(v.is_string(), where + ": field '" + name + "' is not a string");
  return v.get<std::string>();
}

void read_sampling(const nlohmann::json& root, ParaphraseFewshot& out, const std::string& where) {
  auto it = root.find("sampling");
  if (it == root.end()) return;  // the defaults are the original's
  SELFENS_REQUIRE(it->is_object(), where + ": field 'sampling' is not an object");
  try {
    out.rounds = it->value("rounds", out.rounds);
    out.temperature = it->value("temperature", out.temperature);
    out.top_p = it->value("top_p", out.top_p);
    out.max_new_tokens = it->value("max_new_tokens", out.max_new_tokens);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": field 'sampling': " + e.what());
  }
}

}  // namespace

ParaphraseFewshot load_paraphrase_fewshot(const fs::path& json_path) {
  const std::string where = json_path.string();
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(read_text_file(json_path));
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers past double
    throw InputError(where + ": invalid JSON: " + e.what());
  }
  SELFENS_REQUIRE(root.is_object(), where + ": not a JSON object");
  ParaphraseFewshot out;
  out.instruction = str_field(root, "instruction", where);
  read_sampling(root, out, where);
  const auto& examples = field(root, "examples", where);
  SELFENS_REQUIRE(examples.is_array() && !examples.empty(),
                  where + ": field 'examples' is not a non-empty list");
  for (size_t i = 0; i < examples.size(); ++i) {
    const std::string at = where + ": examples[" + std::to_string(i) + "]";
    SELFENS_REQUIRE(examples[i].is_object(), at + " is not an object");
    out.questions.push_back(str_field(examples[i], "question", at));
    const auto& paras = field(examples[i], "paraphrases", at);
    SELFENS_REQUIRE(paras.is_array() && paras.size() >= static_cast<size_t>(out.rounds),
                    at + ": field 'paraphrases' needs at least " + std::to_string(out.rounds) +
                        " strings (one per round)");
    std::vector<std::string> list;
    for (const auto& p : paras) {
      SELFENS_REQUIRE(p.is_string(), at + ": field 'paraphrases' is not a list of strings");
      list.push_back(p.get<std::string>());
    }
    out.paraphrases.push_back(std::move(list));
  }
  return out;
}

std::string paraphrase_prompt(const ParaphraseFewshot& fs, int round, const std::string& question) {
  SELFENS_REQUIRE(round >= 0 && round < fs.rounds,
                  "paraphrase round " + std::to_string(round) + " out of range (0.." +
                      std::to_string(fs.rounds - 1) + ")");
  std::string s = fs.instruction + "\n";
  for (size_t i = 0; i < fs.questions.size(); ++i) {
    if (i) s += "\n\n";
    s += "Q: " + fs.questions[i] + "\nParaphrase: " + fs.paraphrases[i][round];
  }
  s += "\n\nQ: " + question + "\nParaphrase:";
  return s;
}

std::string first_line_stripped(const std::string& generation) {
  const char* ws = " \t\n\r\f\v";
  size_t b = generation.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  size_t e = generation.find_last_not_of(ws);
  std::string s = generation.substr(b, e - b + 1);
  size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

std::vector<std::string> numbered_paraphrases(const JsonlRecord& rec) {
  std::vector<std::string> out;
  for (int i = 0;; ++i) {
    std::string field = "paraphrase" + std::to_string(i);
    if (!rec.has(field.c_str())) break;
    out.push_back(rec.str(field.c_str()));
  }
  SELFENS_REQUIRE(!out.empty(), rec.where() + ": field 'paraphrase0' missing or not a string");
  return out;
}

void write_paraphrases_jsonl(const fs::path& path, const std::vector<Question>& questions) {
  std::string text;
  for (const auto& q : questions) {
    SELFENS_CHECK(!q.paraphrases.empty() && q.paraphrases[0] == q.question,
                  "paraphrases[0] must be the question (uuid " + q.uuid + ")");
    nlohmann::ordered_json j;
    j["uuid"] = q.uuid;
    for (size_t i = 0; i < q.paraphrases.size(); ++i)
      j["paraphrase" + std::to_string(i)] = q.paraphrases[i];
    text += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  io::atomic_write_file(path, text);
}

}  // namespace selfens::data
