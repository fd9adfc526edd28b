#include "report/analyze.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <optional>

#include "data/output_paths.h"
#include "io/atomic_file.h"
#include "io/feather.h"
#include "report/accuracy.h"
#include "report/export.h"
#include "report/number_format.h"
#include "report/result_cache.h"
#include "util/check.h"

namespace selfens::report {

namespace fs = std::filesystem;

namespace {

using Loaded = LoadedResult;
using Cache = ResultCache;

size_t word_count(const std::string& s) {
  std::istringstream in(s);
  std::string w;
  size_t n = 0;
  while (in >> w) ++n;
  return n;
}

// The question of row i: its first paraphrase, else the last "Q: " line of
// its first prompt.
std::string question_of(const io::Table& t, size_t i) {
  if (t.has("paraphrases")) {
    const auto& p = t.list_utf8("paraphrases")[i];
    if (!p.empty()) return p[0];
  }
  if (t.has("prompts")) {
    const auto& p = t.list_utf8("prompts")[i];
    if (!p.empty()) {
      const size_t at = p[0].rfind("Q: ");
      if (at != std::string::npos) {
        std::string q = p[0].substr(at + 3);
        return q.substr(0, q.find('\n'));
      }
    }
  }
  return "";
}

bool kept(const UuidSet* only, const std::string& uuid) { return !only || only->count(uuid); }

std::optional<double> agreement_with(const io::Table& t, const io::Table& origin,
                                     const UuidSet* only) {
  const auto index = uuid_index(origin);
  const auto& ids = t.utf8("uuid");
  const auto& pred = t.utf8("prediction");
  const auto& opred = origin.utf8("prediction");
  size_t matched = 0, same = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!kept(only, ids[i])) continue;
    auto it = index.find(ids[i]);
    if (it == index.end()) continue;
    ++matched;
    same += pred[i] == opred[it->second];
  }
  if (matched == 0) return std::nullopt;
  return double(same) / double(matched);
}

// per_prompt: accuracy by paraphrase_index; the reported accuracy is the
// mean over indices < n (all indices when n is 0 or none is below n).
void score_per_prompt(MethodResult& r, const Loaded& l, int n, const UuidSet* only) {
  const auto& idx = l.table.int64("paraphrase_index");
  const auto& ids = l.table.utf8("uuid");
  std::map<int64_t, std::pair<size_t, size_t>> counts;  // index -> (correct, rows)
  r.per_paraphrase.clear();
  r.best_index = r.worst_index = -1;
  for (size_t i = 0; i < idx.size(); ++i) {
    if (!kept(only, ids[i])) continue;
    counts[idx[i]].first += l.correct[i];
    counts[idx[i]].second += 1;
  }
  bool any_below = false;
  for (auto& [k, c] : counts) {
    r.per_paraphrase[k] = double(c.first) / double(c.second);
    any_below |= n > 0 && k < n;
  }
  double sum = 0;
  size_t used = 0;
  for (auto& [k, acc] : r.per_paraphrase) {
    if (any_below && k >= n) continue;
    sum += acc;
    ++used;
    if (r.best_index < 0 || acc > r.per_paraphrase[r.best_index]) r.best_index = k;
    if (r.worst_index < 0 || acc < r.per_paraphrase[r.worst_index]) r.worst_index = k;
  }
  r.accuracy = used ? sum / double(used) : 0.0;
}

// Rows, correct rows and accuracy of r's file on the questions in `only`
// (every question when null), and its agreement with origin there.
void score_on(MethodResult& r, const Loaded& l, int n, const Loaded* origin, const UuidSet* only) {
  const auto& ids = l.table.utf8("uuid");
  r.rows = r.correct = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!kept(only, ids[i])) continue;
    ++r.rows;
    r.correct += l.correct[i];
  }
  r.accuracy = r.rows ? double(r.correct) / double(r.rows) : 0.0;
  if (r.method == "per_prompt") score_per_prompt(r, l, n, only);
  if (origin) r.agreement = agreement_with(l.table, origin->table, only);
}

MethodResult score_method(Cache& cache, const data::OutputPaths& paths,
                          const AnalyzeOptions& o, const std::string& method, int n,
                          const Loaded* origin, const std::string& variant = {}) {
  MethodResult r;
  r.method = method;
  r.variant = variant;
  const bool numbered = recipe(std::string_view(method)).numbered;
  r.n = numbered ? n : 0;
  r.file = paths.run_file(method, std::max(r.n, 1), {}, variant);
  r.command = generate_command(o, method, r.n > 0 ? r.n : 5);
  if ((numbered && r.n == 0) || !fs::exists(r.file)) return r;
  const Loaded& l = cache.get(r.file);
  r.present = true;
  score_on(r, l, n, origin, nullptr);
  r.own_questions = uuid_index(l.table).size();
  r.own_accuracy = r.accuracy;
  if (auto w = l.table.metadata_value("selfens.wall_seconds")) {
    char* end = nullptr;
    const double v = std::strtod(w->c_str(), &end);
    if (end != w->c_str() && std::isfinite(v)) r.wall_seconds = v;
  }
  r.incomplete = l.table.metadata_value("selfens.complete") == std::optional<std::string>("false");
  return r;
}

DatasetStats dataset_stats(const Loaded& l) {
  DatasetStats s;
  s.file = l.table.origin();
  s.questions = l.table.num_rows();
  const auto& pred = l.table.utf8("prediction");
  if (l.table.has("paraphrases")) {
    const auto& p = l.table.list_utf8("paraphrases");
    size_t total = 0;
    s.paraphrases_min = p.empty() ? 0 : p[0].size();
    for (const auto& row : p) {
      total += row.size();
      s.paraphrases_min = std::min(s.paraphrases_min, row.size());
      s.paraphrases_max = std::max(s.paraphrases_max, row.size());
    }
    s.paraphrases_mean = p.empty() ? 0 : double(total) / double(p.size());
  }
  double words = 0, chars = 0;
  for (const std::string& x : pred) {
    words += double(word_count(x));
    chars += double(x.size());
    s.empty_predictions += x.find_first_not_of(" \t\r\n") == std::string::npos;
  }
  if (!pred.empty()) s.prediction_words = words / pred.size(), s.prediction_chars = chars / pred.size();
  return s;
}

std::vector<SampleRow> sample_rows(const Loaded& l, int count) {
  std::vector<SampleRow> out;
  const auto& t = l.table;
  for (size_t i = 0; i < t.num_rows() && int(out.size()) < count; ++i)
    out.push_back({t.utf8("uuid")[i], question_of(t, i), join(t.list_utf8("answers")[i], " | "),
                   t.utf8("prediction")[i], bool(l.correct[i])});
  return out;
}

void error_rows(Analysis& a, const Loaded& fused, const Loaded& origin, const UuidSet* only) {
  const auto index = uuid_index(origin.table);
  const auto& ids = fused.table.utf8("uuid");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!kept(only, ids[i])) continue;
    auto it = index.find(ids[i]);
    if (it == index.end()) continue;
    const bool f = fused.correct[i], o = origin.correct[it->second];
    if (f == o) continue;
    ErrorRow e{ids[i], question_of(fused.table, i), join(fused.table.list_utf8("answers")[i], " | "),
               origin.table.utf8("prediction")[it->second], fused.table.utf8("prediction")[i]};
    auto& list = f ? a.fused_only : a.origin_only;
    (f ? a.fused_only_count : a.origin_only_count) += 1;
    if (int(list.size()) < a.options.max_error_rows) list.push_back(std::move(e));
  }
}

// Segment sizes of row 0 in words (a stand-in for tokens), scaled so the
// picture stays readable.
void picture_shape(Analysis& a, const Loaded* l, int n) {
  PlanShape s{40, std::vector<int>(std::max(n, 1), 8), 6};
  a.picture_note = "illustrative segment sizes";
  if (l && l->table.num_rows() > 0 && l->table.has("prompts")) {
    const auto& prompts = l->table.list_utf8("prompts")[0];
    if (!prompts.empty()) {
      const size_t cut = prompts[0].rfind("Q: ");
      const std::string prefix = cut == std::string::npos ? "" : prompts[0].substr(0, cut);
      s.prefix_len = int(word_count(prefix));
      s.question_lens.clear();
      for (const std::string& p : prompts)
        // at least 2: a question segment holds its answer cue and something before it
        s.question_lens.push_back(std::max<int>(2, int(word_count(p)) - s.prefix_len));
      s.generated_len = std::max<int>(1, int(word_count(l->table.utf8("prediction")[0])));
      a.picture_note = "segment sizes in words of the first question (uuid " +
                       l->table.utf8("uuid")[0] + ")";
    }
  }
  const int total = s.prefix_len + s.generated_len +
                    [&] { int t = 0; for (int q : s.question_lens) t += q; return t; }();
  if (total > 120) {  // scale down, each segment keeps at least one token (questions two)
    const double f = 120.0 / total;
    auto scale = [&](int& v, int least) { v = std::max(least, int(std::lround(v * f))); };
    scale(s.prefix_len, 1);
    scale(s.generated_len, 1);
    for (int& q : s.question_lens) scale(q, 2);
    a.picture_note += ", scaled down";
  }
  a.picture_shape = s;
}

std::string missing_message(const AnalyzeOptions& o, const fs::path& dir) {
  const int n = o.num_paraphrases > 0 ? o.num_paraphrases : 5;
  return "no result files for dataset '" + o.dataset + "' and model '" + o.model + "' in " +
         dir.string() +
         " (expected origin.feather, per_prompt.feather, ensemble_{avg,max,weighted_avg,"
         "weighted_max}-N.feather, flex_attention-N.feather); make them with `" +
         generate_command(o, "origin", 0) + "` and `" +
         generate_command(o, "flex_attention", n) + "`";
}

// Restricts the comparison to the questions every present file answers
// (InputError under --strict when their sets differ). Returns the set, or
// null when every file answers the same questions.
std::optional<UuidSet> match_question_sets(Analysis& a, Cache& cache, const Loaded* origin) {
  std::vector<const Loaded*> files;
  std::string counts;
  for (const MethodResult& r : a.comparison) {
    if (!r.present) continue;
    files.push_back(&cache.get(r.file));
    counts += (counts.empty() ? "" : ", ") + r.file.filename().string() + ": " +
              std::to_string(r.own_questions);
  }
  if (files.empty()) return std::nullopt;
  UuidSet shared = shared_uuids(files);
  a.shared_questions = shared.size();
  bool same = true;
  for (const MethodResult& r : a.comparison)
    if (r.present && r.own_questions != shared.size()) same = false;
  if (same) return std::nullopt;
  a.mismatched_sets = true;
  SELFENS_REQUIRE(!a.options.strict, "analyze --strict: the result files answer different "
                                     "questions (" + counts + "; " +
                                         std::to_string(shared.size()) + " shared)");
  SELFENS_REQUIRE(!shared.empty(), "analyze: the result files share no question (" + counts +
                                       "); nothing can be compared");
  for (MethodResult& r : a.comparison)
    if (r.present) score_on(r, cache.get(r.file), a.n, origin, &shared);
  return shared;
}

// Accuracy against N for every file with an N, on the questions all of
// them answer.
void accuracy_by_n(Analysis& a, Cache& cache, const std::vector<RunFile>& files) {
  std::vector<const Loaded*> loaded;
  for (const RunFile& f : files)
    if (f.n > 0) loaded.push_back(&cache.get(f.path));
  if (loaded.empty()) return;
  const UuidSet shared = shared_uuids(loaded);
  a.by_n_questions = shared.size();
  for (const RunFile& f : files) {
    if (f.n <= 0) continue;
    MethodResult r;
    r.method = f.method;
    score_on(r, cache.get(f.path), f.n, nullptr, &shared);
    a.by_n[f.variant.empty() ? f.method : f.method + "_" + f.variant].push_back({f.n, r.accuracy});
  }
}

}  // namespace

std::string method_label(const MethodResult& r) {
  const std::string base = r.n > 0 ? r.method + "-" + std::to_string(r.n) : r.method;
  return r.variant.empty() ? base : base + "_" + r.variant;
}

// The method and N a result file's name stands for (method_recipe.h's file
// stems: STEM.feather, or STEM-N.feather for numbered methods, then
// _VARIANT for a fused plan's options: flex_attention-5_mean_T0.5.feather).
std::optional<RunFile> run_file_of(const fs::path& path) {
  const std::string name = path.filename().string();
  if (data::is_shard_file(name)) return std::nullopt;
  for (const MethodRecipe& r : method_recipes()) {
    const std::string stem = r.file_stem;
    if (!r.numbered) {
      if (name == stem + ".feather") return RunFile{r.name, 0, path, ""};
      continue;
    }
    const std::string head = stem + "-", tail = ".feather";
    if (name.size() <= head.size() + tail.size() || name.compare(0, head.size(), head) != 0 ||
        name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
      continue;
    std::string digits = name.substr(head.size(), name.size() - head.size() - tail.size());
    std::string variant;
    if (const size_t cut = digits.find('_'); cut != std::string::npos && r.plan == PlanKind::kFused) {
      variant = digits.substr(cut + 1);
      digits.resize(cut);
      if (variant.empty()) continue;
    }
    if (digits.empty() || digits.size() > 4 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    return RunFile{r.name, std::stoi(digits), path, variant};
  }
  return std::nullopt;
}

std::vector<RunFile> scan_results(const fs::path& dir) {
  std::vector<RunFile> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file())
      if (auto f = run_file_of(e.path())) out.push_back(std::move(*f));
  std::sort(out.begin(), out.end(), [](const RunFile& a, const RunFile& b) {
    return std::make_tuple(method_rank(a.method), a.n, a.variant) <
           std::make_tuple(method_rank(b.method), b.n, b.variant);
  });
  return out;
}

std::string confidence_command(const AnalyzeOptions& o) {
  const std::string out = o.output_dir != "datasets" ? " --output_dir " + o.output_dir.string() : "";
  return "selfens confidence --dataset " + o.dataset + " --model " + o.model + out;
}

std::string generate_command(const AnalyzeOptions& o, const std::string& method, int n) {
  const std::string common = " --dataset " + o.dataset + " --model " + o.model;
  const std::string out = o.output_dir != "datasets" ? " --output_dir " + o.output_dir.string() : "";
  std::string cmd;
  const MethodRecipe& r = recipe(std::string_view(method));
  // The weighted ensembles read the confidence scores of `selfens confidence`.
  if (r.weighted) cmd = confidence_command(o) + " && ";
  cmd += "selfens generate" + common + " --method " + method;
  if (r.numbered) cmd += " --num_paraphrases " + std::to_string(n);
  return cmd + out;
}

bool Analysis::grid_only() const {
  for (const MethodResult& r : comparison)
    if (r.present) return false;
  return !pools.empty();
}

const MethodResult* Analysis::find(const std::string& method) const {
  for (const MethodResult& r : comparison)
    if (r.method == method) return &r;
  return nullptr;
}

Analysis analyze(const AnalyzeOptions& o) {
  SELFENS_REQUIRE(o.num_paraphrases >= 0,
                  "--num_paraphrases must be >= 0, got " + std::to_string(o.num_paraphrases));
  const data::OutputPaths paths(o.output_dir, o.dataset, o.model);
  Analysis a;
  a.options = o;
  a.dir = paths.dir();
  a.model_dir = paths.model();
  const std::vector<RunFile> files = scan_results(a.dir);
  Cache cache(o.lemma_dir);
  a.pools = pool_grid(cache, a.dir);
  SELFENS_REQUIRE(!files.empty() || !a.pools.empty(), missing_message(o, a.dir));
  a.n = o.num_paraphrases;
  for (const RunFile& f : files)
    if (o.num_paraphrases == 0) a.n = std::max(a.n, f.n);

  const Loaded* origin = fs::exists(paths.origin()) ? &cache.get(paths.origin()) : nullptr;
  for (const std::string& m : method_names()) {
    a.comparison.push_back(score_method(cache, paths, o, m, a.n, origin));
    for (const RunFile& f : files)  // the method's fusion variants at this N, after it
      if (f.method == m && f.n == a.n && !f.variant.empty())
        a.comparison.push_back(score_method(cache, paths, o, m, a.n, origin, f.variant));
  }
  const std::optional<UuidSet> shared = match_question_sets(a, cache, origin);
  const UuidSet* only = shared ? &*shared : nullptr;

  const MethodResult* fused = a.find("flex_attention");
  const Loaded* fused_l = fused->present ? &cache.get(fused->file) : nullptr;
  const Loaded* main = fused_l;
  for (const MethodResult& r : a.comparison)
    if (!main && r.present) main = &cache.get(r.file);
  if (!main)  // nothing at this N, or only the grid's files
    main = &cache.get(!files.empty()            ? files.front().path
                      : !a.pools.cells.empty() ? a.pools.cells.front().file
                                               : a.pools.synced.front().file);
  a.stats = dataset_stats(*main);
  a.samples = sample_rows(*main, o.samples);

  if (fused_l) {
    if (origin) a.gain_over_origin = fused->accuracy - a.find("origin")->accuracy;
    const MethodResult* best = nullptr;
    for (const MethodResult& r : a.comparison)
      if (is_logit_ensemble(std::string_view(r.method)) && r.present && (!best || r.accuracy > best->accuracy))
        best = &r;
    if (best) a.gain_over_ensemble = fused->accuracy - best->accuracy, a.best_ensemble = best->method;
    if (origin) error_rows(a, *fused_l, *origin, only);
  }
  std::vector<FusedFile> fused_files;
  for (const MethodResult& r : a.comparison)
    if (r.present && r.n == a.n && r.n > 0) fused_files.push_back({method_label(r), r.file});
  a.paraphrases = paraphrase_figures(cache, paths.run_file("per_prompt", 1), paths.origin(),
                                     fused_files, a.n, only);
  if (!a.paraphrases.present)
    a.paraphrases.missing = fs::exists(paths.run_file("per_prompt", 1))
                                ? "per_prompt.feather has no question with all " +
                                      std::to_string(a.n) + " paraphrases answered"
                                : "needs per_prompt.feather: " + generate_command(o, "per_prompt", a.n) +
                                      " --num_paraphrases " + std::to_string(a.n);
  a.calibration = calibration(paths.confidence(), only);
  if (!a.calibration.present)
    a.calibration.missing = "needs confidence.feather: " + confidence_command(o);
  if (!o.export_path.empty()) {
    std::vector<FusedFile> all;
    for (const MethodResult& r : a.comparison)
      if (r.present) all.push_back({method_label(r), r.file});
    export_rows(cache, all, paths.run_file("per_prompt", 1), a.n, only, o.export_path);
  }
  a.has_by_n = o.compare_all || !o.html_path.empty();
  if (a.has_by_n) accuracy_by_n(a, cache, files);
  picture_shape(a, main, a.n);
  return a;
}

namespace {

std::vector<std::string> split_models(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string m = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    SELFENS_REQUIRE(!m.empty(), "--model '" + s + "': an empty name in the list");
    out.push_back(m);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int run_analyze_models(const AnalyzeOptions& o, const std::vector<std::string>& models) {
  SELFENS_REQUIRE(o.export_path.empty(), "--export takes one --model, not a list");
  std::vector<Analysis> all;
  for (const std::string& m : models) {
    AnalyzeOptions one = o;
    one.model = m;
    one.html_path.clear();
    all.push_back(analyze(one));
  }
  if (!o.html_path.empty()) io::atomic_write_file(o.html_path, models_html(all));
  if (o.json)
    std::cout << models_json(all).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  else if (!o.quiet)
    std::cout << models_text(all) << std::flush;
  return 0;
}

}  // namespace

int run_analyze(const AnalyzeOptions& o) {
  if (const auto models = split_models(o.model); models.size() > 1)
    return run_analyze_models(o, models);
  const Analysis a = analyze(o);
  if (!o.html_path.empty()) io::atomic_write_file(o.html_path, analysis_html(a));
  if (o.json) {
    std::cout << analysis_json(a).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  } else if (!o.quiet) {
    std::cout << analysis_text(a) << std::flush;
  }
  return 0;
}

}  // namespace selfens::report
