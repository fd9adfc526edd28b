// `selfens confidence` and `selfens paraphrase`: the two sampling jobs.
#include <cstdio>
#include <iterator>
#include <set>
#include <string>

#include "cli/args.h"
#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/job_options.h"
#include "jobs/confidence.h"
#include "jobs/paraphrase.h"
#include "util/check.h"
#include "util/log.h"

namespace selfens::cli {
namespace {

constexpr const char* kConfidenceUsage =
    "usage: selfens confidence [--dataset D] [--model M] [options]\n"
    "  Greedy answer + sampled answers per question and paraphrase; confidence =\n"
    "  fraction of samples whose lemmas match the greedy answer's. Writes\n"
    "  OUTPUT/{dataset}/{model}/confidence.feather (read by weighted_avg/weighted_max).\n"
    "  --dataset       webqa | myriadlama | demo | PATH.jsonl (default demo)\n"
    "  --data-dir      folder with myriadlama/ and webqa/ (default data)\n"
    "  --model         name, .gguf file or HF directory (default smollm2_135m_it)\n"
    "  --num_samples S sampled answers per paraphrase (default 100)\n"
    "  --num_paraphrases N  first N paraphrases of each question (default all)\n"
    "  --temperature T --top_p P --top_k K   (default: the model's generation config)\n"
    "  --seed N (0)   --max_samples K first K questions   --batch_size B prompts in flight (4)\n"
    "  --paraphrase_order original|file (MyriadLAMA; default original, as generate)\n"
    "  --max_new_tokens N (20)   --threads T   --output-dir DIR (datasets)\n"
    "  --device auto|cpu|cuda|cuda-fp16|cuda-fp8|cuda-f32 (auto: the GPU when present)   --overwrite   --quiet\n"
    "  --csv  also confidence.csv (as pandas' to_csv)   --shard K/N  questions i mod N = K-1,\n"
    "                  into confidence.shardKofN.feather; `selfens merge` joins them\n"
    "  --checkpoint_seconds S (10)  --checkpoint_questions K (50)  the partial file is saved\n"
    "                  after K new prompts or S seconds, whichever comes first (at most once\n"
    "                  a second; 0 turns one off); Ctrl+C saves too, and the same command resumes\n";

constexpr const char* kParaphraseUsage =
    "usage: selfens paraphrase [--dataset webqa|demo] [--model M] [options]\n"
    "  The original's paraphrase generation: 5 rounds of a few-shot prompt\n"
    "  (DATA/webqa/paraphrase_fewshot.json), temperature 1.5, top-p 0.9, 30 new\n"
    "  tokens, seed = round. Writes OUTPUT/{dataset}/{model}/paraphrases.jsonl,\n"
    "  which generate reads for webqa.\n"
    "  --dataset webqa | demo (default webqa)   --data-dir DIR (data)\n"
    "  --model M   --max_samples K   --batch_size B questions in flight (16)\n"
    "  --temperature T --top_p P --max_new_tokens N   (override the file's values)\n"
    "  --top_k K (default: the model's, 50 when unset, as transformers)\n"
    "  --threads T   --device auto|cpu|cuda|cuda-fp16|cuda-fp8|cuda-f32   --output-dir DIR (datasets)\n"
    "  --overwrite   --quiet\n"
    "  An existing file is extended by the selected questions it lacks.\n";


}  // namespace

namespace {

std::set<std::string> confidence_option_names() {
  std::set<std::string> options(std::begin(kJobOptionNames), std::end(kJobOptionNames));
  options.insert({"num_samples", "num_paraphrases", "max_new_tokens", "temperature", "top_p",
                  "top_k", "seed", "checkpoint_seconds", "checkpoint_questions",
                  "paraphrase_order", "shard"});
  return options;
}
const std::set<std::string> kConfidenceFlags = {"quiet", "overwrite", "csv", "help"};

ConfidenceOptions confidence_options(const Args& a) {
  ConfidenceOptions o;
  read_job_options(a, o);
  o.paraphrase_order = paraphrase_order_option(a);
  o.checkpoint = checkpoint_policy(a);
  o.num_samples = a.integer("num_samples", o.num_samples, 1, 100000);
  o.num_paraphrases = a.integer("num_paraphrases", -1, 1, 1000);
  o.max_new_tokens = a.integer("max_new_tokens", o.max_new_tokens, 1, 1 << 20);
  if (a.has("temperature")) o.temperature = static_cast<float>(a.real("temperature", 1, 0));
  if (a.has("top_p")) o.top_p = static_cast<float>(a.real("top_p", 1, 0, 1));
  if (a.has("top_k")) o.top_k = a.integer("top_k", 0, 0);
  o.seed = seed_option(a);
  o.csv = a.flag("csv");
  o.shard = shard_option(a);
  return o;
}

}  // namespace

ConfidenceOptions parse_confidence_options(const std::vector<std::string>& args) {
  return confidence_options(Args("confidence", args, confidence_option_names(), kConfidenceFlags));
}

int cmd_confidence(int argc, char** argv) {
  Args a("confidence", argc, argv, 2, confidence_option_names(), kConfidenceFlags);
  if (a.flag("help")) {
    std::fputs(kConfidenceUsage, stdout);
    return 0;
  }
  ConfidenceOptions o = confidence_options(a);
  if (o.quiet) log::set_level(log::Level::kWarn);
  ConfidenceResult r = run_confidence(o);
  if (!r.skipped)
    log::info("wrote " + std::to_string(r.rows) + " rows (" + std::to_string(r.new_prompts) +
              " new prompts, " + std::to_string(r.sampled_tokens) + " sampled tokens, " +
              std::to_string(r.wall_seconds).substr(0, 6) + " s)" +
              (r.interrupted ? "; interrupted: run the same command again to resume" : ""));
  std::printf("%s\n", r.path.c_str());
  return r.interrupted ? static_cast<int>(ExitCode::kInterrupted) : 0;
}

int cmd_paraphrase(int argc, char** argv) {
  std::set<std::string> options(std::begin(kJobOptionNames), std::end(kJobOptionNames));
  options.insert({"temperature", "top_p", "max_new_tokens", "top_k"});
  Args a("paraphrase", argc, argv, 2, options,
         {"quiet", "overwrite", "help"});
  if (a.flag("help")) {
    std::fputs(kParaphraseUsage, stdout);
    return 0;
  }
  ParaphraseOptions o;
  read_job_options(a, o);
  if (a.has("temperature")) o.temperature = static_cast<float>(a.real("temperature", 1, 0));
  if (a.has("top_p")) o.top_p = static_cast<float>(a.real("top_p", 1, 0, 1));
  if (a.has("max_new_tokens")) o.max_new_tokens = a.integer("max_new_tokens", 30, 1, 1 << 20);
  if (a.has("top_k")) o.top_k = a.integer("top_k", 0, 0);
  if (o.quiet) log::set_level(log::Level::kWarn);
  ParaphraseResult r = run_paraphrase(o);
  if (r.interrupted) return static_cast<int>(ExitCode::kInterrupted);
  if (!r.skipped)
    log::info("wrote " + std::to_string(r.questions) + " questions x " + std::to_string(r.rounds) +
              " paraphrases (" + std::to_string(r.wall_seconds).substr(0, 6) + " s)");
  std::printf("%s\n", r.path.c_str());
  return 0;
}

}  // namespace selfens::cli
