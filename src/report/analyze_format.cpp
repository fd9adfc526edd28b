// Text and JSON forms of an Analysis.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report/analyze.h"
#include "report/number_format.h"

namespace selfens::report {

namespace {

std::string pad(std::string s, size_t w) {
  if (s.size() < w) s.resize(w, ' ');
  return s;
}

std::string label(const MethodResult& r) { return method_label(r); }

void print_fused(std::ostringstream& out, const Analysis& a) {
  const MethodResult* f = a.find("flex_attention");
  out << label(*f) << " accuracy (lemmatized): ";
  if (f->present && a.mismatched_sets)
    out << pct(f->accuracy) << " (" << f->correct << "/" << f->rows << ", on the "
        << a.shared_questions << " questions every compared file answers; on its own "
        << f->own_questions << " questions " << pct(f->own_accuracy) << ")\n\n";
  else if (f->present)
    out << pct(f->accuracy) << " (" << f->correct << "/" << f->rows << ")\n\n";
  else
    out << "not run; make it with: " << f->command << "\n\n";
}

void print_stats(std::ostringstream& out, const Analysis& a) {
  const DatasetStats& s = a.stats;
  out << "Dataset statistics (" << s.file << ")\n";
  out << "  questions:                " << s.questions << "\n";
  out << "  paraphrases per question: " << fixed(s.paraphrases_mean, 2) << " (min "
      << s.paraphrases_min << ", max " << s.paraphrases_max << ")\n";
  out << "  mean prediction length:   " << fixed(s.prediction_words, 2) << " words, "
      << fixed(s.prediction_chars, 1) << " characters\n";
  out << "  empty predictions:        " << s.empty_predictions << "\n\n";
}

void print_samples(std::ostringstream& out, const Analysis& a) {
  out << "Sample generations\n";
  for (size_t i = 0; i < a.samples.size(); ++i) {
    const SampleRow& r = a.samples[i];
    out << "  [" << i + 1 << "] uuid " << r.uuid << "\n";
    out << "      question:   " << r.question << "\n";
    out << "      gold:       " << r.gold << "\n";
    out << "      prediction: " << r.prediction << (r.correct ? "  (correct)" : "  (wrong)")
        << "\n";
  }
  out << "\n";
}

void print_comparison(std::ostringstream& out, const Analysis& a) {
  out << "Method comparison (N = " << a.n << ")\n";
  if (a.mismatched_sets)
    out << "  The files answer different questions: compared on the " << a.shared_questions
        << " questions every file answers; each file's own figures at the right.\n";
  out << "  " << pad("method", 20) << pad("rows", 8) << pad("accuracy", 11)
      << pad("same as origin", 16) << "seconds"
      << (a.mismatched_sets ? "  own questions, accuracy" : "") << "\n";
  for (const MethodResult& r : a.comparison) {
    out << "  " << pad(label(r), 20);
    if (!r.present) {
      out << "not run\n";
      continue;
    }
    out << pad(std::to_string(r.rows), 8) << pad(pct(r.accuracy), 11)
        << pad(r.agreement ? pct(*r.agreement) : "n/a", 16)
        << (r.wall_seconds ? fixed(*r.wall_seconds, 1) : "n/a")
        << (a.mismatched_sets ? "  " + std::to_string(r.own_questions) + ", " + pct(r.own_accuracy) : "")
        << (r.incomplete ? "  (incomplete run: selfens.complete = false)" : "") << "\n";
    if (r.method == "per_prompt" && r.best_index >= 0)
      out << "      mean over paraphrases; best #" << r.best_index << " "
          << pct(r.per_paraphrase.at(r.best_index)) << ", worst #" << r.worst_index << " "
          << pct(r.per_paraphrase.at(r.worst_index)) << "\n";
  }
  bool any_missing = false;
  for (const MethodResult& r : a.comparison) {
    if (r.present) continue;
    if (!any_missing) out << "  not run; make them with:\n";
    any_missing = true;
    out << "    " << r.command << "\n";
  }
  out << "\n";
}

void print_gains(std::ostringstream& out, const Analysis& a) {
  out << "Improvement of attention fusion (" << label(*a.find("flex_attention")) << ")";
  if (a.mismatched_sets) out << ", on the " << a.shared_questions << " questions every file answers";
  out << "\n";
  out << "  over origin:                 "
      << (a.gain_over_origin ? points(*a.gain_over_origin) : "n/a") << "\n";
  out << "  over best logit ensemble:    "
      << (a.gain_over_ensemble ? points(*a.gain_over_ensemble) + " (" + a.best_ensemble + ")"
                               : "n/a")
      << "\n";
  if (a.find("flex_attention")->present && a.find("origin")->present)
    out << "  questions fused right, origin wrong: " << a.fused_only_count
        << "; origin right, fused wrong: " << a.origin_only_count << "\n";
  out << "\n";
}

void print_by_n(std::ostringstream& out, const Analysis& a) {
  out << "Accuracy against number of paraphrases (on the " << a.by_n_questions
      << " questions all these files answer)\n";
  for (const std::string& method : method_names()) {
    auto it = a.by_n.find(method);
    if (it == a.by_n.end()) continue;
    std::string line = "  " + pad(method, 16);
    for (auto [n, acc] : it->second) line += "N=" + std::to_string(n) + " " + pad(pct(acc), 9);
    while (line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
  if (a.by_n.empty()) out << "  (no files with a number of paraphrases)\n";
  out << "\n";
}

nlohmann::json method_json(const MethodResult& r) {
  nlohmann::json j = {{"method", r.method}, {"n", r.n}, {"file", r.file.string()},
                      {"present", r.present}};
  if (!r.variant.empty()) j["variant"] = r.variant;
  if (!r.present) {
    j["command"] = r.command;
    return j;
  }
  j["rows"] = r.rows;
  j["correct"] = r.correct;
  j["accuracy"] = r.accuracy;
  j["own_questions"] = r.own_questions;
  j["own_accuracy"] = r.own_accuracy;
  j["agreement_with_origin"] = r.agreement ? nlohmann::json(*r.agreement) : nlohmann::json();
  j["wall_seconds"] = r.wall_seconds ? nlohmann::json(*r.wall_seconds) : nlohmann::json();
  j["complete"] = !r.incomplete;
  if (r.method == "per_prompt") {
    nlohmann::json per = nlohmann::json::object();
    for (auto [k, v] : r.per_paraphrase) per[std::to_string(k)] = v;
    j["per_paraphrase"] = per;
    j["best_index"] = r.best_index;
    j["worst_index"] = r.worst_index;
  }
  return j;
}

void print_paraphrases(std::ostringstream& out, const Analysis& a) {
  const ParaphraseFigures& p = a.paraphrases;
  out << "Paraphrases (per_prompt, N = " << a.n << ")";
  if (!p.present) {
    out << ": " << p.missing << "\n\n";
    return;
  }
  out << ", on the " << p.questions << " questions with all " << p.n
      << " paraphrases and every fused file\n";
  out << "  single paraphrase accuracy:";
  for (size_t k = 0; k < p.per_index.size(); ++k) out << " [" << k << "] " << pct(p.per_index[k]);
  out << "\n  mean " << pct(p.mean) << ", min " << pct(p.min) << ", max " << pct(p.max)
      << " (paraphrase " << p.best_index << ")";
  if (p.origin) out << "; origin " << pct(*p.origin);
  out << "\n  gain of each fused file over the mean / the best single paraphrase:\n";
  for (const EnsembleGain& g : p.gains)
    out << "    " << pad(g.label, 28) << pad(pct(g.accuracy), 9) << points(g.over_mean) << " / "
        << points(g.over_best) << "\n";
  out << "  oracle: any of the first n right (OR) / all of them right (AND):\n";
  for (const OraclePoint& o : p.oracle)
    out << "    n = " << o.n << ": " << pct(o.any_right) << " / " << pct(o.all_right) << "\n";
  out << "  agreement: " << pct(p.consistency) << " of questions get one answer from all "
      << p.n << " paraphrases; pairwise " << pct(p.pairwise_agreement) << "; diversity (mean "
      << "Jaccard distance of lemma sets) " << fixed(p.diversity, 3) << "\n";
  out << "  by the largest agreeing group (of " << p.n << "): questions, mean single accuracy";
  for (const EnsembleGain& g : p.gains) out << ", " << g.label;
  out << "\n";
  for (const AgreementBucket& b : p.buckets) {
    out << "    " << b.agreeing << ": " << b.questions << ", " << pct(b.single_accuracy);
    for (const EnsembleGain& g : p.gains) {
      auto it = b.fused.find(g.label);
      out << ", " << (it != b.fused.end() ? pct(it->second) : "-");
    }
    out << "\n";
  }
  out << "  new facts (fused right, every paraphrase wrong) / lost facts (fused wrong, most right):\n";
  for (const FactChange& f : p.facts) {
    out << "    " << pad(f.label, 28) << f.new_facts << " / " << f.lost_facts << "\n";
    for (const FactExample& e : f.new_examples)
      out << "      new:  " << e.question << " -> '" << e.fused_prediction << "' (gold " << e.gold << ")\n";
    for (const FactExample& e : f.lost_examples)
      out << "      lost: " << e.question << " -> '" << e.fused_prediction << "' (gold " << e.gold << ")\n";
  }
  out << "\n";
}

void print_calibration(std::ostringstream& out, const Analysis& a) {
  const Calibration& c = a.calibration;
  out << "Confidence calibration (confidence.feather, greedy answer per paraphrase)";
  if (!c.present) {
    out << ": " << c.missing << "\n\n";
    return;
  }
  out << ": " << c.rows << " rows, accuracy " << pct(c.accuracy) << ", mean confidence "
      << pct(c.confidence) << ", expected calibration error " << fixed(c.ece, 4) << "\n";
  for (const CalibrationBin& b : c.bins) {
    if (b.rows == 0) continue;
    out << "    [" << fixed(b.low, 1) << ", " << fixed(b.high, 1) << "): " << b.rows
        << " rows, confidence " << pct(b.confidence) << ", accuracy " << pct(b.accuracy) << "\n";
  }
  out << "\n";
}

nlohmann::json calibration_json(const Calibration& c) {
  if (!c.present) return {{"present", false}, {"missing", c.missing}};
  nlohmann::json bins = nlohmann::json::array();
  for (const CalibrationBin& b : c.bins)
    bins.push_back({{"low", b.low}, {"high", b.high}, {"rows", b.rows},
                    {"confidence", b.confidence}, {"accuracy", b.accuracy}});
  return {{"present", true}, {"rows", c.rows}, {"accuracy", c.accuracy},
          {"confidence", c.confidence}, {"ece", c.ece}, {"bins", bins}};
}

nlohmann::json paraphrases_json(const ParaphraseFigures& p) {
  if (!p.present) return {{"present", false}, {"missing", p.missing}};
  nlohmann::json j = {{"present", true},      {"n", p.n},
                      {"questions", p.questions}, {"per_index", p.per_index},
                      {"mean", p.mean},       {"min", p.min},
                      {"max", p.max},         {"best_index", p.best_index},
                      {"origin", p.origin ? nlohmann::json(*p.origin) : nlohmann::json()},
                      {"consistency", p.consistency},
                      {"pairwise_agreement", p.pairwise_agreement},
                      {"diversity", p.diversity}};
  j["gains"] = nlohmann::json::array();
  for (const EnsembleGain& g : p.gains)
    j["gains"].push_back({{"label", g.label}, {"accuracy", g.accuracy},
                          {"over_mean", g.over_mean}, {"over_best", g.over_best}});
  j["oracle"] = nlohmann::json::array();
  for (const OraclePoint& o : p.oracle)
    j["oracle"].push_back({{"n", o.n}, {"any_right", o.any_right}, {"all_right", o.all_right}});
  j["buckets"] = nlohmann::json::array();
  for (const AgreementBucket& b : p.buckets)
    j["buckets"].push_back({{"agreeing", b.agreeing}, {"questions", b.questions},
                            {"single_accuracy", b.single_accuracy}, {"fused", b.fused}});
  auto examples = [](const std::vector<FactExample>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const FactExample& e : v)
      a.push_back({{"uuid", e.uuid}, {"question", e.question}, {"gold", e.gold},
                   {"fused_prediction", e.fused_prediction},
                   {"paraphrase_predictions", e.paraphrase_predictions}});
    return a;
  };
  j["facts"] = nlohmann::json::array();
  for (const FactChange& f : p.facts)
    j["facts"].push_back({{"label", f.label}, {"questions", f.questions},
                          {"new_facts", f.new_facts}, {"lost_facts", f.lost_facts},
                          {"new_examples", examples(f.new_examples)},
                          {"lost_examples", examples(f.lost_examples)}});
  return j;
}

nlohmann::json errors_json(const std::vector<ErrorRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const ErrorRow& e : rows)
    out.push_back({{"uuid", e.uuid}, {"question", e.question}, {"gold", e.gold},
                   {"origin_prediction", e.origin_prediction},
                   {"fused_prediction", e.fused_prediction}});
  return out;
}

nlohmann::json opt(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace

std::string analysis_text(const Analysis& a) {
  std::ostringstream out;
  if (a.grid_only()) {
    out << "=== selfens analysis: dataset " << a.options.dataset << ", model " << a.model_dir
        << ", the original's grid ===\nresults: " << a.dir.string() << "\n\n";
    print_stats(out, a);
    out << "\n" << pool_grid_text(a.pools);
    return out.str();
  }
  out << "=== selfens analysis: dataset " << a.options.dataset << ", model " << a.model_dir
      << ", N = " << a.n << " ===\n";
  out << "results: " << a.dir.string() << "\n\n";
  print_fused(out, a);
  print_stats(out, a);
  print_samples(out, a);
  print_comparison(out, a);
  print_gains(out, a);
  print_paraphrases(out, a);
  print_calibration(out, a);
  if (!a.pools.empty()) out << "\n" << pool_grid_text(a.pools);
  if (a.options.compare_all) print_by_n(out, a);
  return out.str();
}

nlohmann::json analysis_json(const Analysis& a) {
  nlohmann::json j;
  j["dataset"] = a.options.dataset;
  j["model"] = a.model_dir;
  j["results_dir"] = a.dir.string();
  j["n"] = a.n;
  const MethodResult* f = a.find("flex_attention");
  j["fused"] = method_json(*f);
  const DatasetStats& s = a.stats;
  j["stats"] = {{"file", s.file},
                {"questions", s.questions},
                {"paraphrases_mean", s.paraphrases_mean},
                {"paraphrases_min", s.paraphrases_min},
                {"paraphrases_max", s.paraphrases_max},
                {"prediction_words_mean", s.prediction_words},
                {"prediction_chars_mean", s.prediction_chars},
                {"empty_predictions", s.empty_predictions}};
  j["samples"] = nlohmann::json::array();
  for (const SampleRow& r : a.samples)
    j["samples"].push_back({{"uuid", r.uuid}, {"question", r.question}, {"gold", r.gold},
                            {"prediction", r.prediction}, {"correct", r.correct}});
  j["shared_questions"] = a.shared_questions;
  j["mismatched_question_sets"] = a.mismatched_sets;
  j["comparison"] = nlohmann::json::array();
  for (const MethodResult& r : a.comparison) j["comparison"].push_back(method_json(r));
  j["gain_over_origin"] = opt(a.gain_over_origin);
  j["gain_over_best_ensemble"] = opt(a.gain_over_ensemble);
  j["best_ensemble"] = a.best_ensemble.empty() ? nlohmann::json() : nlohmann::json(a.best_ensemble);
  j["errors"] = {{"fused_right_origin_wrong_count", a.fused_only_count},
                 {"origin_right_fused_wrong_count", a.origin_only_count},
                 {"fused_right_origin_wrong", errors_json(a.fused_only)},
                 {"origin_right_fused_wrong", errors_json(a.origin_only)}};
  j["paraphrases"] = paraphrases_json(a.paraphrases);
  j["calibration"] = calibration_json(a.calibration);
  j["pools"] = pool_grid_json(a.pools);
  if (a.has_by_n) {
    nlohmann::json by = nlohmann::json::object();
    for (const auto& [m, pts] : a.by_n) {
      by[m] = nlohmann::json::array();
      for (auto [n, acc] : pts) by[m].push_back({{"n", n}, {"accuracy", acc}});
    }
    j["accuracy_by_n"] = by;
    j["accuracy_by_n_questions"] = a.by_n_questions;
  }
  return j;
}

std::vector<std::string> side_by_side_labels(const std::vector<Analysis>& analyses) {
  std::vector<std::string> labels;
  for (const std::string& m : method_names())
    for (const Analysis& a : analyses)
      for (const MethodResult& r : a.comparison)
        if (r.present && r.method == m &&
            std::find(labels.begin(), labels.end(), method_label(r)) == labels.end())
          labels.push_back(method_label(r));
  return labels;
}

std::optional<double> accuracy_of(const Analysis& a, const std::string& label) {
  for (const MethodResult& r : a.comparison)
    if (r.present && method_label(r) == label) return r.accuracy;
  return std::nullopt;
}

std::string models_text(const std::vector<Analysis>& analyses) {
  std::ostringstream out;
  out << "=== selfens analysis: " << analyses.size() << " models side by side ===\n";
  out << "accuracy (lemmatized) of each method, on each model's shared questions\n  "
      << pad("method", 30);
  for (const Analysis& a : analyses) out << pad(a.model_dir, 24);
  out << "\n  " << pad("", 30);
  for (const Analysis& a : analyses)
    out << pad(std::to_string(a.shared_questions) + " questions, N = " + std::to_string(a.n), 24);
  out << "\n";
  for (const std::string& label : side_by_side_labels(analyses)) {
    out << "  " << pad(label, 30);
    for (const Analysis& a : analyses) {
      const auto acc = accuracy_of(a, label);
      out << pad(acc ? pct(*acc) : "-", 24);
    }
    out << "\n";
  }
  for (const Analysis& a : analyses) out << "\n" << analysis_text(a);
  return out.str();
}

nlohmann::json models_json(const std::vector<Analysis>& analyses) {
  nlohmann::json j;
  j["models"] = nlohmann::json::array();
  for (const Analysis& a : analyses) j["models"].push_back(analysis_json(a));
  nlohmann::json table = nlohmann::json::object();
  for (const std::string& label : side_by_side_labels(analyses)) {
    nlohmann::json row = nlohmann::json::object();
    for (const Analysis& a : analyses) {
      const auto acc = accuracy_of(a, label);
      row[a.model_dir] = acc ? nlohmann::json(*acc) : nlohmann::json();
    }
    table[label] = row;
  }
  j["side_by_side"] = table;
  return j;
}

}  // namespace selfens::report
