// `selfens analyze` and `selfens mask`: reading results and picturing plans.
#include <cstdio>
#include <iterator>
#include <string>

#include "cli/args.h"
#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/job_options.h"
#include "report/analyze.h"
#include "report/export.h"
#include "report/mask.h"
#include "util/check.h"
#include "util/log.h"

namespace selfens::cli {
namespace {

constexpr const char* kAnalyzeUsage =
    "usage: selfens analyze [--dataset D] [--model M] [options]\n"
    "  Accuracy (lemma match) of the result files in OUTPUT/{dataset}/{model}/,\n"
    "  dataset statistics, sample generations, the comparison of origin,\n"
    "  per_prompt, avg, max, weighted_avg, weighted_max and flex_attention, and\n"
    "  the gain of attention fusion.\n"
    "  --dataset D          webqa | myriadlama | demo | NAME (default demo)\n"
    "  --model M            name, HF id or path, as given to generate (default smollm2_135m_it);\n"
    "                       a,b,c: several models side by side\n"
    "  --output-dir DIR     results root (default datasets)\n"
    "  --num_paraphrases N  the N compared (default: the largest found)\n"
    "  --compare_all        accuracy against N for every N found\n"
    "  Methods are compared on the questions every compared file answers (each\n"
    "  file's own count and accuracy are shown beside); --strict refuses files\n"
    "  that answer different question sets instead.\n"
    "  --json               one JSON object on stdout instead of the text report\n"
    "  --html FILE          also write a self-contained HTML report\n"
    "  --export FILE.csv|FILE.feather  one row per question and result file (uuid, method, n,\n"
    "                       prediction, answers, correct, per_prompt's paraphrase predictions)\n"
    "  --samples K (3)   --max_error_rows R (50)   --lemma-dir DIR   --quiet\n";

constexpr const char* kMaskUsage =
    "usage: selfens mask [--method M] [--num_paraphrases N] [options]\n"
    "  The attention mask of one question under a method's plan: rows are query\n"
    "  tokens, columns keys; segments P (shared prefix), Q1..QN (paraphrases),\n"
    "  G or G1..GN (generated tokens).\n"
    "  --method M           %s\n"
    "                       (default flex_attention)\n"
    "  --num_paraphrases N  (default: the number of --question_lens, else 3)\n"
    "%s"
    "  --prefix_len L (8)   --question_lens 5,6,7 (6 each; the answer cue \"A:\", one token,\n"
    "                       included: flex_attention moves it to G)   --generated_len G (4)\n"
    "  --format ascii|svg|png (ascii; --ascii, --svg, --png also work)\n"
    "  --output FILE        write there (atomically); default stdout (ascii, svg)\n";

report::MaskFormat mask_format(const Args& a) {
  int given = a.flag("ascii") + a.flag("svg") + a.flag("png") + a.has("format");
  SELFENS_REQUIRE(given <= 1, "give one of --format, --ascii, --svg, --png");
  if (a.flag("svg")) return report::MaskFormat::kSvg;
  if (a.flag("png")) return report::MaskFormat::kPng;
  if (a.flag("ascii")) return report::MaskFormat::kAscii;
  std::string f = a.str("format", "");
  if (f.empty()) {
    // No format given: take it from the output file's extension.
    std::string out = a.str("output", "");
    if (out.ends_with(".svg")) return report::MaskFormat::kSvg;
    if (out.ends_with(".png")) return report::MaskFormat::kPng;
    return report::MaskFormat::kAscii;
  }
  return report::parse_mask_format(f);
}

}  // namespace

namespace {

const std::set<std::string> kAnalyzeOptions = {"dataset", "model",          "output_dir",
                                               "num_paraphrases", "html", "samples",
                                               "max_error_rows", "lemma_dir", "export"};
const std::set<std::string> kAnalyzeFlags = {"compare_all", "json", "quiet", "help", "strict"};

report::AnalyzeOptions analyze_options(const Args& a) {
  SELFENS_REQUIRE(a.positional().empty(),
                  "analyze takes no positional arguments, got '" + a.positional()[0] + "'");
  report::AnalyzeOptions o;
  o.dataset = a.str("dataset", "demo");
  o.model = a.str("model", o.model);
  o.output_dir = a.str("output_dir", o.output_dir.string());
  o.num_paraphrases = a.integer("num_paraphrases", 0, 0, 1000);  // 0: the largest found
  o.strict = a.flag("strict");
  o.compare_all = a.flag("compare_all");
  o.json = a.flag("json");
  o.html_path = a.str("html", "");
  o.export_path = a.str("export", "");
  if (!o.export_path.empty()) report::check_export_path(o.export_path);
  o.quiet = a.flag("quiet");
  o.samples = a.integer("samples", o.samples, 0, 100000);
  o.max_error_rows = a.integer("max_error_rows", o.max_error_rows, 0);
  SELFENS_REQUIRE(!o.output_dir.empty(), "--output-dir is empty (give a folder; '.' for this one)");
  o.lemma_dir = a.str("lemma_dir", "");
  return o;
}

const std::set<std::string> kMaskOptions = [] {
  std::set<std::string> o(std::begin(kPlanOptionNames), std::end(kPlanOptionNames));
  o.insert({"method", "num_paraphrases", "format", "output", "prefix_len", "question_lens",
            "generated_len"});
  return o;
}();
const std::set<std::string> kMaskFlags = {"ascii", "svg", "png", "help"};

report::MaskOptions mask_options(const Args& a) {
  SELFENS_REQUIRE(a.positional().empty(),
                  "mask takes no positional arguments, got '" + a.positional()[0] + "'");
  report::MaskOptions o;
  o.method = a.str("method", o.method);
  o.n = a.integer("num_paraphrases", 0, 1, 64);
  o.plan = plan_options(a);
  o.format = mask_format(a);
  o.output = a.str("output", "");
  o.prefix_len = a.integer("prefix_len", o.prefix_len);
  o.generated_len = a.integer("generated_len", o.generated_len);
  if (a.has("question_lens")) o.question_lens = a.int_list("question_lens");
  return o;
}

}  // namespace

report::AnalyzeOptions parse_analyze_options(const std::vector<std::string>& args) {
  return analyze_options(Args("analyze", args, kAnalyzeOptions, kAnalyzeFlags));
}

report::MaskOptions parse_mask_options(const std::vector<std::string>& args) {
  return mask_options(Args("mask", args, kMaskOptions, kMaskFlags));
}

int cmd_analyze(int argc, char** argv) {
  Args a("analyze", argc, argv, 2, kAnalyzeOptions, kAnalyzeFlags);
  if (a.flag("help")) {
    std::fputs(kAnalyzeUsage, stdout);
    return 0;
  }
  const report::AnalyzeOptions o = analyze_options(a);
  if (o.quiet) log::set_level(log::Level::kWarn);
  int rc = report::run_analyze(o);
  if (!o.html_path.empty()) log::info("wrote " + o.html_path.string());
  return rc;
}

int cmd_mask(int argc, char** argv) {
  Args a("mask", argc, argv, 2, kMaskOptions, kMaskFlags);
  if (a.flag("help")) {
    std::printf(kMaskUsage, method_list(" | ").c_str(), kPlanOptionsUsage);
    return 0;
  }
  return report::run_mask(mask_options(a));
}

}  // namespace selfens::cli
