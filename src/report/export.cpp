#include "report/export.h"

#include <sstream>
#include <unordered_map>

#include "io/atomic_file.h"
#include "io/feather.h"
#include "report/number_format.h"
#include "util/check.h"

namespace selfens::report {

namespace fs = std::filesystem;

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// uuid -> per_prompt's predictions for paraphrases 0..n-1 ("" where missing).
std::unordered_map<std::string, io::Strings> paraphrase_predictions(ResultCache& cache,
                                                                    const fs::path& per_prompt,
                                                                    int n) {
  std::unordered_map<std::string, io::Strings> out;
  if (n < 1 || !fs::exists(per_prompt)) return out;
  const io::Table& t = cache.get(per_prompt).table;
  const auto& ids = t.utf8("uuid");
  const auto& idx = t.int64("paraphrase_index");
  const auto& pred = t.utf8("prediction");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (idx[i] < 0 || idx[i] >= n) continue;
    auto [it, fresh] = out.try_emplace(ids[i], io::Strings(size_t(n)));
    it->second[size_t(idx[i])] = pred[i];
  }
  return out;
}

}  // namespace

void check_export_path(const fs::path& path) {
  const std::string ext = path.extension().string();
  SELFENS_REQUIRE(ext == ".csv" || ext == ".feather",
                  "--export " + path.string() + ": give a .csv or .feather file name");
}

void export_rows(ResultCache& cache, const std::vector<FusedFile>& files, const fs::path& per_prompt,
                 int n, const UuidSet* only, const fs::path& out) {
  check_export_path(out);
  const auto by_uuid = paraphrase_predictions(cache, per_prompt, n);
  io::Strings uuid, method, prediction;
  std::vector<int64_t> ns, index;
  std::vector<io::Strings> answers, para;
  std::vector<bool> correct;
  for (const FusedFile& f : files) {
    const LoadedResult& l = cache.get(f.path);
    const auto& ids = l.table.utf8("uuid");
    const bool per = l.table.has("paraphrase_index");
    const int64_t file_n = l.table.has("paraphrases") && !per && !ids.empty()
                               ? int64_t(l.table.list_utf8("paraphrases")[0].size())
                               : 1;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (only && !only->count(ids[i])) continue;
      uuid.push_back(ids[i]);
      method.push_back(f.label);
      ns.push_back(per ? int64_t(n) : file_n);
      index.push_back(per ? l.table.int64("paraphrase_index")[i] : -1);
      prediction.push_back(l.table.utf8("prediction")[i]);
      answers.push_back(l.table.list_utf8("answers")[i]);
      correct.push_back(l.correct[i]);
      auto it = by_uuid.find(ids[i]);
      para.push_back(it != by_uuid.end() ? it->second : io::Strings{});
    }
  }
  if (out.extension() == ".feather") {
    io::Table t(out.string());
    t.set("uuid", uuid);
    t.set("method", method);
    t.set("n", ns);
    t.set("paraphrase_index", index);
    t.set("prediction", prediction);
    t.set("answers", answers);
    t.set("correct", correct);
    t.set("paraphrase_predictions", para);
    io::write_feather(out, t);
    return;
  }
  std::ostringstream csv;
  csv << "uuid,method,n,paraphrase_index,prediction,answers,correct,paraphrase_predictions\n";
  for (size_t r = 0; r < uuid.size(); ++r)
    csv << csv_field(uuid[r]) << ',' << csv_field(method[r]) << ',' << ns[r] << ',' << index[r] << ','
        << csv_field(prediction[r]) << ',' << csv_field(join(answers[r])) << ','
        << (correct[r] ? "True" : "False") << ',' << csv_field(join(para[r])) << '\n';
  io::atomic_write_file(out, csv.str());
}

}  // namespace selfens::report
