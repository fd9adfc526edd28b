#pragma once
// Result files as `selfens generate` writes them (schema of DESIGN section
// 4 plus selfens.* metadata), built row by row for the report tests.
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "io/feather.h"

namespace selfens::report::test {

namespace fs = std::filesystem;

struct Question {
  std::string uuid;
  std::vector<std::string> answers;
};

// The four questions every fixture file uses: plain, two golds, no gold at
// all (never correct), non-ASCII gold.
inline std::vector<Question> questions() {
  return {{"u1", {"Paris"}}, {"u2", {"Barack Obama", "Obama"}}, {"u3", {}}, {"u4", {"Zürich"}}};
}

// Stand-in lemmas: lower-cased (ASCII) whitespace-separated words.
inline std::vector<std::string> simple_lemmas(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    for (char& c : w)
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    out.push_back(w);
  }
  return out;
}

// A result table: one row per question (or per question and paraphrase when
// paraphrase_index is given), with lemma columns unless with_lemmas is false.
inline io::Table result_table(const std::string& method, int n,
                              const std::vector<std::string>& predictions,
                              bool with_lemmas = true,
                              const std::vector<int64_t>& paraphrase_index = {}) {
  const auto qs = questions();
  io::Strings uuid, pred, gen;
  std::vector<io::Strings> answers, paraphrases, prompts, pl;
  std::vector<std::vector<io::Strings>> al;
  for (size_t r = 0; r < predictions.size(); ++r) {
    const Question& q = qs[r % qs.size()];
    uuid.push_back(q.uuid);
    answers.push_back(q.answers);
    io::Strings para, prm;
    for (int i = 0; i < 3; ++i) {
      para.push_back("Question " + q.uuid + " asked way " + std::to_string(i) + "?");
      prm.push_back("Answer the question.\n\nQ: Capital of France?\nA: Paris\n\nQ: " + para.back() +
                    "\nA:");
    }
    paraphrases.push_back(para);
    prompts.push_back(prm);
    pred.push_back(predictions[r]);
    gen.push_back(" " + predictions[r] + "\nQ: next");
    pl.push_back(simple_lemmas(predictions[r]));
    std::vector<io::Strings> a;
    for (const auto& g : q.answers) a.push_back(simple_lemmas(g));
    al.push_back(a);
  }
  io::Table t(method);
  t.set("uuid", uuid);
  t.set("answers", answers);
  t.set("paraphrases", paraphrases);
  t.set("prompts", prompts);
  t.set("prediction", pred);
  t.set("generation", gen);
  if (!paraphrase_index.empty()) t.set("paraphrase_index", paraphrase_index);
  if (with_lemmas) {
    t.set("predict_lemma", pl);
    t.set("answer_lemmas", al);
  }
  t.set_metadata("selfens.method", method);
  t.set_metadata("selfens.model", "m");
  t.set_metadata("selfens.dataset", "webqa");
  t.set_metadata("selfens.n", std::to_string(n));
  t.set_metadata("selfens.wall_seconds", std::to_string(1.5 * n));
  t.set_metadata("selfens.complete", "true");
  return t;
}

inline fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() /
               ("selfens_report_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// ROOT/webqa/m/ with origin (lemmatized here, no lemma columns),
// per_prompt, ensemble_avg-3, ensemble_weighted_max-3, flex_attention-2
// and flex_attention-3. Accuracies (u3 has no gold, never correct):
//   origin 1/4, per_prompt indices 0: 1/4, 1: 3/4, 2: 0/4 (mean 1/3),
//   avg-3 1/4, weighted_max-3 1/4, flex-2 1/4, flex-3 2/4.
inline fs::path write_fixture(const fs::path& root) {
  const fs::path d = root / "webqa" / "m";
  fs::create_directories(d);
  io::write_feather(d / "origin.feather",
                    result_table("origin", 1, {"Paris", "George Bush", "", "Bern"}, false));
  std::vector<std::string> pp = {"Paris", "George Bush", "", "Bern",      // index 0
                                 "Paris", "Obama", "z", "Zürich",         // index 1
                                 "a", "b", "c", "d"};                     // index 2
  io::Table per = result_table("per_prompt", 3, pp, true, {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  io::write_feather(d / "per_prompt.feather", per);
  io::write_feather(d / "ensemble_avg-3.feather",
                    result_table("avg", 3, {"Paris", "Bush", "y", "Bern"}));
  io::write_feather(d / "ensemble_weighted_max-3.feather",
                    result_table("weighted_max", 3, {"Rome", "Obama", "y", "Bern"}));
  io::write_feather(d / "flex_attention-2.feather",
                    result_table("flex_attention", 2, {"Paris", "Bush", "", "Bern"}));
  io::write_feather(d / "flex_attention-3.feather",
                    result_table("flex_attention", 3, {"London", "Obama", "", "Zürich"}));
  return d;
}

}  // namespace selfens::report::test
