// The HTML form of an Analysis: one self-contained page, charts as inline
// SVG, no scripts, nothing fetched.
#include <cstdio>
#include <sstream>

#include "report/analyze.h"
#include "report/number_format.h"
#include "report/mask.h"
#include "report/svg.h"

namespace selfens::report {

namespace {

std::string seconds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string label(const MethodResult& r) { return method_label(r); }

const char* kStyle = R"(<style>
body { font-family: sans-serif; margin: 24px; color: #222; background: #fff; max-width: 1150px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f8; } td.num { text-align: right; } .missing { color: #999; }
.note { color: #666; font-size: 12px; } code { background: #f4f4f4; padding: 1px 4px; }
</style>
)";

void comparison_table(std::ostringstream& h, const Analysis& a) {
  if (a.mismatched_sets)
    h << "<p class=\"note\">The files answer different questions: compared on the "
      << a.shared_questions << " questions every file answers; each file's own figures in "
      << "the last column.</p>\n";
  h << "<table id=\"comparison\"><tr><th>method</th><th>file</th><th>rows</th>"
       "<th>accuracy</th><th>same prediction as origin</th><th>seconds</th>"
    << (a.mismatched_sets ? "<th>own questions, accuracy</th>" : "") << "</tr>\n";
  for (const MethodResult& r : a.comparison) {
    if (!r.present) {
      h << "<tr class=\"missing\"><td>" << xml_escape(label(r)) << "</td><td colspan=\"5\">"
        << "not run: <code>" << xml_escape(r.command) << "</code></td>"
        << (a.mismatched_sets ? "<td></td>" : "") << "</tr>\n";
      continue;
    }
    h << "<tr><td>" << xml_escape(label(r)) << "</td><td>"
      << xml_escape(r.file.filename().string()) << "</td><td class=\"num\">" << r.rows
      << "</td><td class=\"num\">" << pct(r.accuracy) << "</td><td class=\"num\">"
      << (r.agreement ? pct(*r.agreement) : "n/a") << "</td><td class=\"num\">"
      << (r.wall_seconds ? seconds(*r.wall_seconds) : "n/a")
      << (r.incomplete ? " (incomplete run)" : "") << "</td>";
    if (a.mismatched_sets)
      h << "<td class=\"num\">" << r.own_questions << ", " << pct(r.own_accuracy) << "</td>";
    h << "</tr>\n";
  }
  h << "</table>\n";
}

std::string accuracy_chart(const Analysis& a) {
  std::vector<Bar> bars;
  for (const MethodResult& r : a.comparison)
    if (r.present) bars.push_back({label(r), r.accuracy, r.method == "flex_attention"});
  return svg_bar_chart(bars, "Accuracy by method (N = " + std::to_string(a.n) + ")",
                       "chart-accuracy", "accuracy");
}

std::string agreement_chart(const Analysis& a) {
  std::vector<Bar> bars;
  for (const MethodResult& r : a.comparison)
    if (r.present && r.agreement && r.method != "origin")
      bars.push_back({label(r), *r.agreement, r.method == "flex_attention"});
  return svg_bar_chart(bars, "Predictions identical to origin", "chart-agreement",
                       "fraction of questions");
}

std::string by_n_chart(const Analysis& a) {
  std::vector<Series> series;
  for (const std::string& m : method_names()) {
    auto it = a.by_n.find(m);
    if (it == a.by_n.end()) continue;
    Series s{m, {}, false};
    for (auto [n, acc] : it->second) s.points.push_back({double(n), acc});
    series.push_back(std::move(s));
  }
  for (const char* ref : {"origin", "per_prompt"}) {
    const MethodResult* r = a.find(ref);
    if (r && r->present) series.push_back({std::string(ref), {{0.0, r->accuracy}}, true});
  }
  return svg_line_chart(series, "Accuracy against number of paraphrases", "chart-by-n",
                        "number of paraphrases N", "accuracy");
}

// per_prompt against the fused files (report/paraphrase_figures.h).
void paraphrase_section(std::ostringstream& h, const Analysis& a) {
  const ParaphraseFigures& p = a.paraphrases;
  h << "<h2>Paraphrases: single accuracy, oracle, agreement, new and lost facts</h2>\n";
  if (!p.present) {
    h << "<p class=\"missing\">" << xml_escape(p.missing) << "</p>\n";
    return;
  }
  h << "<p class=\"note\">on the " << p.questions << " questions with all " << p.n
    << " paraphrases in per_prompt.feather and an answer in every fused file</p>\n";
  h << "<table id=\"per-paraphrase\"><tr><th>paraphrase</th><th>accuracy</th></tr>\n";
  for (size_t k = 0; k < p.per_index.size(); ++k)
    h << "<tr><td>" << k << "</td><td>" << pct(p.per_index[k]) << "</td></tr>\n";
  h << "<tr><td>mean / min / max</td><td>" << pct(p.mean) << " / " << pct(p.min) << " / "
    << pct(p.max) << "</td></tr>\n";
  if (p.origin) h << "<tr><td>origin</td><td>" << pct(*p.origin) << "</td></tr>\n";
  h << "</table>\n<table id=\"fused-gains\"><tr><th>fused file</th><th>accuracy</th>"
       "<th>over the mean single</th><th>over the best single</th><th>new facts</th>"
       "<th>lost facts</th></tr>\n";
  for (size_t i = 0; i < p.gains.size(); ++i)
    h << "<tr><td>" << xml_escape(p.gains[i].label) << "</td><td>" << pct(p.gains[i].accuracy)
      << "</td><td>" << points(p.gains[i].over_mean) << "</td><td>" << points(p.gains[i].over_best)
      << "</td><td>" << p.facts[i].new_facts << "</td><td>" << p.facts[i].lost_facts << "</td></tr>\n";
  h << "</table>\n";
  std::vector<Series> series = {{"any of the first n right (OR)", {}, false},
                                {"all of them right (AND)", {}, false}};
  for (const OraclePoint& o : p.oracle) {
    series[0].points.push_back({double(o.n), o.any_right});
    series[1].points.push_back({double(o.n), o.all_right});
  }
  for (const EnsembleGain& g : p.gains) series.push_back({g.label, {{double(p.n), g.accuracy}}, true});
  h << svg_line_chart(series, "Oracle curves and the fused files", "chart-oracle",
                      "first n paraphrases", "accuracy");
  h << "<p>agreement: " << pct(p.consistency) << " of questions get one answer from all " << p.n
    << " paraphrases; pairwise agreement " << pct(p.pairwise_agreement)
    << "; diversity (mean Jaccard distance of lemma sets) " << fixed(p.diversity, 3) << "</p>\n";
  h << "<table id=\"agreement-buckets\"><tr><th>largest agreeing group</th><th>questions</th>"
       "<th>mean single</th>";
  for (const EnsembleGain& g : p.gains) h << "<th>" << xml_escape(g.label) << "</th>";
  h << "</tr>\n";
  for (const AgreementBucket& b : p.buckets) {
    h << "<tr><td>" << b.agreeing << " of " << p.n << "</td><td>" << b.questions << "</td><td>"
      << pct(b.single_accuracy) << "</td>";
    for (const EnsembleGain& g : p.gains) {
      auto it = b.fused.find(g.label);
      h << "<td>" << (it != b.fused.end() ? pct(it->second) : "-") << "</td>";
    }
    h << "</tr>\n";
  }
  h << "</table>\n<table id=\"fact-examples\"><tr><th>fused file</th><th>kind</th><th>question</th>"
       "<th>gold</th><th>fused</th><th>paraphrase predictions</th></tr>\n";
  for (const FactChange& f : p.facts)
    for (const auto* list : {&f.new_examples, &f.lost_examples})
      for (const FactExample& e : *list) {
        std::string preds;
        for (const std::string& s : e.paraphrase_predictions) preds += (preds.empty() ? "" : " | ") + s;
        h << "<tr><td>" << xml_escape(f.label) << "</td><td>" << (list == &f.new_examples ? "new" : "lost")
          << "</td><td>" << xml_escape(e.question) << "</td><td>" << xml_escape(e.gold) << "</td><td>"
          << xml_escape(e.fused_prediction) << "</td><td>" << xml_escape(preds) << "</td></tr>\n";
      }
  h << "</table>\n";
}

// The reliability diagram: accuracy against mean confidence per bin.
void calibration_section(std::ostringstream& h, const Analysis& a) {
  const Calibration& c = a.calibration;
  h << "<h2>Confidence calibration</h2>\n";
  if (!c.present) {
    h << "<p class=\"missing\">" << xml_escape(c.missing) << "</p>\n";
    return;
  }
  h << "<p>" << c.rows << " paraphrase answers: accuracy " << pct(c.accuracy)
    << ", mean confidence " << pct(c.confidence) << ", expected calibration error <b>"
    << fixed(c.ece, 4) << "</b></p>\n";
  std::vector<Series> series = {{"accuracy", {}, false},
                                {"mean confidence", {}, false}};
  for (size_t b = 0; b < c.bins.size(); ++b) {
    if (c.bins[b].rows == 0) continue;
    series[0].points.push_back({double(b + 1), c.bins[b].accuracy});
    series[1].points.push_back({double(b + 1), c.bins[b].confidence});
  }
  h << svg_line_chart(series, "Reliability diagram", "chart-calibration",
                      "confidence bin (1: [0, 0.1) ... 10: [0.9, 1])", "fraction");
}

void error_table(std::ostringstream& h, const std::vector<ErrorRow>& rows, size_t count,
                 const std::string& id, const std::string& title) {
  h << "<h3>" << xml_escape(title) << " (" << count << ")</h3>\n";
  if (rows.size() < count)
    h << "<p class=\"note\">first " << rows.size() << " shown</p>\n";
  h << "<table id=\"" << id << "\"><tr><th>uuid</th><th>question</th><th>gold</th>"
       "<th>origin prediction</th><th>fused prediction</th></tr>\n";
  for (const ErrorRow& e : rows)
    h << "<tr><td>" << xml_escape(e.uuid) << "</td><td>" << xml_escape(e.question) << "</td><td>"
      << xml_escape(e.gold) << "</td><td>" << xml_escape(e.origin_prediction) << "</td><td>"
      << xml_escape(e.fused_prediction) << "</td></tr>\n";
  h << "</table>\n";
}

void stats_section(std::ostringstream& h, const Analysis& a) {
  const DatasetStats& s = a.stats;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%.2f (min %zu, max %zu)", s.paraphrases_mean,
                s.paraphrases_min, s.paraphrases_max);
  h << "<table id=\"stats\"><tr><th>file</th><td>" << xml_escape(s.file) << "</td></tr>"
    << "<tr><th>questions</th><td>" << s.questions << "</td></tr>"
    << "<tr><th>paraphrases per question</th><td>" << buf << "</td></tr>";
  std::snprintf(buf, sizeof buf, "%.2f words, %.1f characters", s.prediction_words,
                s.prediction_chars);
  h << "<tr><th>mean prediction length</th><td>" << buf << "</td></tr>"
    << "<tr><th>empty predictions</th><td>" << s.empty_predictions << "</td></tr></table>\n";
  h << "<table id=\"samples\"><tr><th>uuid</th><th>question</th><th>gold</th>"
       "<th>prediction</th><th>correct</th></tr>\n";
  for (const SampleRow& r : a.samples)
    h << "<tr><td>" << xml_escape(r.uuid) << "</td><td>" << xml_escape(r.question) << "</td><td>"
      << xml_escape(r.gold) << "</td><td>" << xml_escape(r.prediction) << "</td><td>"
      << (r.correct ? "yes" : "no") << "</td></tr>\n";
  h << "</table>\n";
}

}  // namespace

std::string analysis_html(const Analysis& a) {
  std::ostringstream h;
  const std::string title =
      "selfens analysis: " + a.options.dataset + " / " + a.model_dir + " (N = " +
      std::to_string(a.n) + ")";
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
    << xml_escape(title) << "</title>\n" << kStyle << "</head><body>\n";
  if (a.grid_only()) {  // pools and synced samples only: no empty method sections
    const std::string grid = "selfens analysis: " + a.options.dataset + " / " + a.model_dir +
                             ", the original's grid";
    h << "<h1>" << xml_escape(grid) << "</h1>\n<p class=\"note\">results: "
      << xml_escape(a.dir.string()) << "</p>\n" << pool_grid_html(a.pools)
      << "<h2>Dataset statistics and sample generations</h2>\n";
    stats_section(h, a);
    h << "</body></html>\n";
    return h.str();
  }
  h << "<h1>" << xml_escape(title) << "</h1>\n<p class=\"note\">results: "
    << xml_escape(a.dir.string()) << "</p>\n";
  const MethodResult* f = a.find("flex_attention");
  h << "<p>" << xml_escape(label(*f)) << " accuracy (lemmatized): <b>"
    << (f->present ? pct(f->accuracy) : "not run") << "</b>";
  if (a.gain_over_origin)
    h << "; over origin " << points(*a.gain_over_origin);
  if (a.gain_over_ensemble)
    h << "; over best logit ensemble (" << xml_escape(a.best_ensemble) << ") "
      << points(*a.gain_over_ensemble);
  if (a.mismatched_sets) h << " (on the " << a.shared_questions << " questions every file answers)";
  h << "</p>\n";
  h << "<h2>Method comparison</h2>\n";
  comparison_table(h, a);
  h << accuracy_chart(a);
  h << "<h2>Accuracy against number of paraphrases</h2>\n" << by_n_chart(a);
  h << pool_grid_html(a.pools);
  h << "<h2>Agreement with origin</h2>\n" << agreement_chart(a);
  paraphrase_section(h, a);
  calibration_section(h, a);
  h << "<h2>Dataset statistics and sample generations</h2>\n";
  stats_section(h, a);
  h << "<h2>Error analysis (flex_attention-" << a.n << " against origin)</h2>\n";
  if (f->present && a.find("origin")->present) {
    error_table(h, a.fused_only, a.fused_only_count, "errors-fused-right",
                "fused right, origin wrong");
    error_table(h, a.origin_only, a.origin_only_count, "errors-origin-right",
                "origin right, fused wrong");
  } else {
    h << "<p class=\"missing\">needs origin.feather and flex_attention-" << a.n
      << ".feather</p>\n";
  }
  h << "<h2>Attention plan of one question (flex_attention)</h2>\n<p class=\"note\">"
    << xml_escape(a.picture_note) << "</p>\n";
  const MethodPlan plan = build_method_plan("flex_attention", a.picture_shape);
  h << render_mask_svg(plan, mask_title("flex_attention", a.picture_shape.question_lens.size(), {}),
                       "attention-plan");
  h << "</body></html>\n";
  return h.str();
}

std::string models_html(const std::vector<Analysis>& analyses) {
  std::ostringstream h;
  const std::string title = "selfens: " + std::to_string(analyses.size()) + " models side by side";
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
    << xml_escape(title) << "</title>\n" << kStyle << "</head><body>\n<h1>" << xml_escape(title)
    << "</h1>\n<p class=\"note\">accuracy (lemmatized) of each method, on each model's shared "
       "questions; each model's own report: <code>selfens analyze --model M --html FILE</code></p>\n"
    << "<table id=\"models\"><tr><th>method</th>";
  for (const Analysis& a : analyses)
    h << "<th>" << xml_escape(a.model_dir) << "<br><span class=\"note\">" << a.shared_questions
      << " questions, N = " << a.n << "</span></th>";
  h << "</tr>\n";
  std::vector<Bar> bars;
  for (const std::string& label : side_by_side_labels(analyses)) {
    h << "<tr><td>" << xml_escape(label) << "</td>";
    for (const Analysis& a : analyses) {
      const auto acc = accuracy_of(a, label);
      h << "<td>" << (acc ? pct(*acc) : "-") << "</td>";
      if (acc) bars.push_back({a.model_dir + ": " + label, *acc, false});
    }
    h << "</tr>\n";
  }
  h << "</table>\n" << svg_bar_chart(bars, "Accuracy by model and method", "chart-models", "accuracy")
    << "</body></html>\n";
  return h.str();
}

}  // namespace selfens::report
