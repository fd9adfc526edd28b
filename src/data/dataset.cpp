#include "data/dataset.h"

#include <unordered_map>

#include "data/jsonl.h"
#include "data/output_paths.h"
#include "data/paraphrase.h"
#include "data/paraphrase_selection.h"
#include "data/prompt.h"
#include "util/check.h"
#include "util/python_random.h"
#include "util/fingerprint.h"

namespace selfens::data {
namespace fs = std::filesystem;

namespace {

// Uuids must be unique: "SOURCE:LINE: duplicate uuid 'U' (also on line L)".
class UuidIndex {
 public:
  void add(const JsonlRecord& rec, const std::string& uuid) {
    SELFENS_REQUIRE(!uuid.empty(), rec.where() + ": field 'uuid' is empty");
    auto [it, fresh] = line_.emplace(uuid, rec.line);
    SELFENS_REQUIRE(fresh, rec.where() + ": duplicate uuid '" + uuid + "' (also on line " +
                               std::to_string(it->second) + ")");
  }

 private:
  std::unordered_map<std::string, int> line_;
};

Question myriadlama_question(const JsonlRecord& rec, ParaphraseOrder order) {
  Question q;
  q.uuid = rec.str("uuid");
  q.answers = rec.str_list("answers");
  q.paraphrases = rec.str_list("manual");
  std::vector<std::string> autos = rec.str_list("auto", /*allow_empty=*/true);
  if (order == ParaphraseOrder::kOriginal) {
    // The original's collate_fn: random.seed(uuid); random.sample(auto, k).
    // A sample's first picks do not depend on k, so all of them are drawn.
    const uint32_t n = static_cast<uint32_t>(autos.size());
    for (uint64_t i : PythonRandom(q.uuid).sample(n, n)) q.paraphrases.push_back(autos[i]);
  } else {
    for (auto& p : autos) q.paraphrases.push_back(std::move(p));
  }
  q.question = q.paraphrases[0];
  return q;
}

Dataset load_myriadlama(const fs::path& data_dir, ParaphraseOrder order) {
  Dataset ds;
  ds.name = "myriadlama";
  ds.paraphrase_order = paraphrase_order_name(order);
  ds.manual_slots = kManualSlots;
  fs::path fewshot = data_dir / "myriadlama" / "fewshot.txt";
  ds.block = block_from_file_text(read_text_file(fewshot), fewshot.string());
  UuidIndex uuids;
  for (const auto& rec : read_jsonl(data_dir / "myriadlama" / "test.jsonl")) {
    ds.questions.push_back(myriadlama_question(rec, order));
    uuids.add(rec, ds.questions.back().uuid);
  }
  ds.fingerprint =
      Fingerprint().add_file(fewshot).add_file(data_dir / "myriadlama" / "test.jsonl").hex();
  return ds;
}

// The original's WebQA block: 5 train examples picked by
// random.seed(42); random.sample(range(len(train)), 5), answer = answers[0].
std::string webqa_block(const fs::path& train_path) {
  auto train = read_jsonl(train_path);
  auto picks = python_random_sample(42, static_cast<uint32_t>(train.size()), 5);
  std::vector<std::pair<std::string, std::string>> examples;
  for (uint32_t i : picks)
    examples.emplace_back(train[i].str("question"), train[i].str_list("answers")[0]);
  return make_block(kWebqaInstruction, examples);
}

void attach_webqa_paraphrases(Dataset& ds, const fs::path& path) {
  auto records = read_jsonl(path);
  std::unordered_map<std::string, size_t> by_uuid;
  for (size_t i = 0; i < ds.questions.size(); ++i) by_uuid.emplace(ds.questions[i].uuid, i);
  std::vector<bool> seen(ds.questions.size(), false);
  UuidIndex uuids;
  for (const auto& rec : records) {
    std::string uuid = rec.str("uuid");
    uuids.add(rec, uuid);
    auto it = by_uuid.find(uuid);
    SELFENS_REQUIRE(it != by_uuid.end(),
                    rec.where() + ": uuid '" + uuid + "' is not a webqa test question");
    Question& q = ds.questions[it->second];
    auto paras = numbered_paraphrases(rec);
    SELFENS_REQUIRE(paras[0] == q.question, rec.where() + ": paraphrase0 '" + paras[0] +
                                                "' is not the question '" + q.question + "'");
    q.paraphrases = std::move(paras);
    seen[it->second] = true;
  }
  for (size_t i = 0; i < seen.size(); ++i) ds.questions[i].paraphrased = seen[i];
  ds.has_paraphrases = true;
  ds.paraphrase_source = path.string();
}

Dataset load_webqa(const fs::path& data_dir, const std::string& model,
                   const fs::path& output_dir) {
  Dataset ds;
  ds.name = "webqa";
  ds.block = webqa_block(data_dir / "webqa" / "train.jsonl");
  UuidIndex uuids;
  for (const auto& rec : read_jsonl(data_dir / "webqa" / "test.jsonl")) {
    Question q;
    q.uuid = rec.str("uuid");
    q.question = rec.str("question");
    q.answers = rec.str_list("answers");
    q.paraphrases = {q.question};
    q.paraphrased = false;
    uuids.add(rec, q.uuid);
    ds.questions.push_back(std::move(q));
  }
  ds.fingerprint = Fingerprint()
                       .add_file(data_dir / "webqa" / "train.jsonl")
                       .add_file(data_dir / "webqa" / "test.jsonl")
                       .hex();
  ds.has_paraphrases = false;
  fs::path paras = OutputPaths(output_dir, "webqa", model).paraphrases();
  if (fs::exists(paras)) attach_webqa_paraphrases(ds, paras);
  return ds;
}

Question generic_question(const JsonlRecord& rec) {
  Question q;
  q.uuid = rec.str("uuid");
  q.question = rec.str("question");
  SELFENS_REQUIRE(!q.question.empty(), rec.where() + ": field 'question' is empty");
  q.answers = rec.str_list("answers");
  if (rec.has("paraphrases")) q.paraphrases = rec.str_list("paraphrases", /*allow_empty=*/true);
  if (q.paraphrases.empty() || q.paraphrases[0] != q.question)
    q.paraphrases.insert(q.paraphrases.begin(), q.question);
  return q;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

Dataset load_generic_path(const fs::path& path) {
  fs::path fewshot = path;
  fewshot.replace_extension(".fewshot.txt");
  std::string block = fs::exists(fewshot)
                          ? block_from_file_text(read_text_file(fewshot), fewshot.string())
                          : block_from_file_text(std::string(demo_fewshot_text()), "<demo>");
  return parse_generic_jsonl(read_text_file(path), path.string(), path.stem().string(),
                             std::move(block));
}

}  // namespace

Dataset parse_generic_jsonl(std::string_view text, const std::string& source, std::string name,
                            std::string block) {
  Dataset ds;
  ds.name = std::move(name);
  ds.block = std::move(block);
  UuidIndex uuids;
  for (const auto& rec : parse_jsonl(text, source)) {
    ds.questions.push_back(generic_question(rec));
    uuids.add(rec, ds.questions.back().uuid);
  }
  ds.fingerprint = Fingerprint().add(text).add(ds.block).hex();
  return ds;
}

ParaphraseOrder parse_paraphrase_order(const std::string& s) {
  if (s == "original") return ParaphraseOrder::kOriginal;
  if (s == "file") return ParaphraseOrder::kFile;
  throw InputError("unknown --paraphrase_order '" + s + "' (valid: original, file)");
}

std::string paraphrase_order_name(ParaphraseOrder o) {
  return o == ParaphraseOrder::kOriginal ? "original" : "file";
}

Dataset load_dataset(const std::string& name_or_path, const fs::path& data_dir,
                     const std::string& model_name, const fs::path& output_dir,
                     ParaphraseOrder order) {
  if (name_or_path == "myriadlama" || name_or_path == "webqa") {
    std::error_code ec;
    SELFENS_REQUIRE(fs::is_directory(data_dir / name_or_path, ec),
                    (data_dir / name_or_path).string() + ": no such folder; point --data-dir at " +
                        "the folder that holds myriadlama/ and webqa/ (e.g. ../shared/data)");
  }
  if (name_or_path == "myriadlama") return load_myriadlama(data_dir, order);
  if (name_or_path == "webqa") return load_webqa(data_dir, model_name, output_dir);
  if (name_or_path == "demo")
    return parse_generic_jsonl(demo_jsonl_text(), "<demo>/demo.jsonl", "demo",
                               block_from_file_text(std::string(demo_fewshot_text()),
                                                    "<demo>/fewshot.txt"));
  SELFENS_REQUIRE(ends_with(name_or_path, ".jsonl"),
                  "unknown data set '" + name_or_path +
                      "' (myriadlama, webqa, demo, or a path to a .jsonl file)");
  return load_generic_path(name_or_path);
}

void require_paraphrases(const Dataset& ds, size_t count, const std::string& method,
                         const std::string& model_name) {
  const std::string make = "`selfens paraphrase --dataset " + ds.name + " --model " + model_name;
  SELFENS_REQUIRE(ds.has_paraphrases,
                  "method '" + method + "' needs paraphrases, and data set '" + ds.name +
                      "' has none for model '" + model_name + "': run " + make + "` first");
  count = std::min(count, ds.questions.size());
  for (size_t i = 0; i < count; ++i) {
    if (ds.questions[i].paraphrased) continue;
    size_t covered = 0;
    for (const auto& q : ds.questions) covered += q.paraphrased ? 1 : 0;
    throw InputError(ds.paraphrase_source + ": no paraphrases for question " +
                     std::to_string(i + 1) + " (uuid '" + ds.questions[i].uuid + "'; " +
                     std::to_string(covered) + " of " + std::to_string(ds.questions.size()) +
                     " questions covered); run " + make + " --max_samples " +
                     std::to_string(count) + "` to extend it");
  }
}


}  // namespace selfens::data
