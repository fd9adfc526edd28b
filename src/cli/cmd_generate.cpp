// `selfens generate`: the main job.
#include <cstdio>
#include <iterator>
#include <set>

#include "cli/args.h"
#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/job_options.h"
#include "backend/backend.h"
#include "jobs/generate.h"
#include "jobs/job_loop.h"
#include "methods/session.h"
#include "util/check.h"
#include "util/log.h"

namespace selfens::cli {
namespace {

// The method lines come from the recipes table (plan/method_recipe.h).
std::string method_lines() {
  std::string out;
  for (const MethodRecipe& r : method_recipes()) {
    std::string name = r.name;
    name.resize(16, ' ');
    out += "      " + name + r.summary + "\n";
  }
  return out;
}

constexpr const char* kUsage =
    "usage: selfens generate [--method M] [--dataset D] [--model M] [options]\n"
    "  --method M      (default origin):\n"
    "%s"
    "      all             origin, then per_prompt, on one loaded model\n"
    "  --dataset       webqa | myriadlama | demo | PATH.jsonl (default demo)\n"
    "  --data-dir      folder with myriadlama/ and webqa/ (default data)\n"
    "  --model         name, .gguf file or HF directory (default smollm2_135m_it)\n"
    "  --num_paraphrases N / --num_ensemble N   paraphrases per question (default 5)\n"
    "  --indexs 0,2,4  explicit paraphrase indices (repeats allowed)\n"
    "  --num_manual M --num_auto A --num_samples S  (MyriadLAMA) the original's pools: M of\n"
    "                  the 5 manual slots, A of the auto templates, then S of that pool;\n"
    "                  file ensemble_{method}-mMaAsS.feather, column paraphrase_indices\n"
    "  --pool_order draw|first  draw (default): CPython's random.seed(f\"{uuid}:{seed}\");\n"
    "                  first: the templates in order (m5a0sN = the first N)\n"
    "  --seed K (0)    --allow_short_pools  a question short of A auto templates takes\n"
    "                  what it has (else an error naming it)\n"
    "  --synced_samples S [--repeat_paras]  S asks per question, each N paraphrases drawn\n"
    "                  as g_ori_sample_sync_xzhao.py (random.seed(uuid) over permutations);\n"
    "                  file syncedsample_ensemble_{method}-Nparas-Ssamples.feather\n"
    "  --max_samples K first K questions      --batch_size B  questions in flight (16)\n"
    "  --max_new_tokens N (20)   --threads T   --output-dir DIR (datasets)\n"
    "  --device auto|cpu|cuda|cuda-fp16|cuda-fp8|cuda-f32 (auto: cuda when a GPU is usable, else cpu;\n"
    "                  cuda: bf16 weights, cuda-fp16: fp16 (closer to the CPU, range to 65504),\n"
    "                  cuda-fp8: the layers' products in fp8 on Hopper, ~1.3x faster, lossy (on\n"
    "                  SmolLM2-135M a third of MyriadLAMA answers differ from bf16's),\n"
    "                  cuda-f32: fp32 weights, the CPU's predictions)\n"
    "%s"
    "  --paraphrase_order original|file  MyriadLAMA: manual templates, then the auto ones in\n"
    "                  the original's seeded draw (default), or in file order\n"
    "  --overwrite   --lemmaize   --quiet\n"
    "  --csv           also write FILE.csv beside the Feather file, as pandas' to_csv\n"
    "                  (index=False) writes it; with --lemmaize, a correctness column\n"
    "  --checkpoint_seconds S (10)  --checkpoint_questions K (50)  the partial file is saved\n"
    "                  after K new questions or S seconds, whichever comes first (at most once\n"
    "                  a second; 0 turns one off); Ctrl+C saves too, and the same command resumes\n"
    "  --devices 0,1|all  one engine (model copy, KV pool) per GPU, questions dealt out;\n"
    "                  the rows are those of one GPU (on the CPU: engines sharing the cores)\n"
    "  --split layers  instead, one model copy whose layers are spread over the --devices\n"
    "                  GPUs by their memory (for a model larger than one GPU)\n"
    "  --shard K/N     the questions i with i mod N = K-1 only, into FILE.shardKofN.feather\n"
    "                  (resumable as any run); `selfens merge` joins the N shards\n"
    "  --no_newline_stop  answers run to --max_new_tokens (or EOS) past their first line\n"
    "                  (same predictions; for timing exactly N new tokens)\n"
    "  --margins       add column `margin`: the smallest gap between the best and the\n"
    "                  second-best fused score over the answer (slower: host-side choice)\n";

// --num_paraphrases/--num_ensemble N or --indexs; a pool when any of
// --num_manual/--num_auto/--num_samples is given (the others default to 5,
// as in the original's generate_original.py); or --synced_samples S of N.
data::ParaphraseSelection paraphrase_selection(const Args& a, Method method) {
  data::ParaphraseSelection s;
  SELFENS_REQUIRE(!(a.has("num_paraphrases") && a.has("num_ensemble")),
                  "generate: give --num_paraphrases or --num_ensemble, not both");
  s.n = a.integer("num_paraphrases",
                  a.integer("num_ensemble", method == Method::kOrigin ? 1 : 5, 1, 1000), 1, 1000);
  if (method == Method::kOrigin) s.n = 1;
  s.indexs = a.int_list("indexs");
  if (a.has("num_manual") || a.has("num_auto") || a.has("num_samples")) {
    data::PoolSpec p;
    p.manual = a.integer("num_manual", 5);
    p.autos = a.integer("num_auto", 5);
    p.samples = a.integer("num_samples", 5);
    p.order = data::parse_pool_order(a.str("pool_order", "draw"));
    p.seed = seed_option(a);
    p.allow_short = a.flag("allow_short_pools");
    s.pool = p;
  } else {
    for (const char* name : {"pool_order", "seed", "allow_short_pools"})
      SELFENS_REQUIRE(!a.has(name), std::string("generate: --") + name +
                                        " applies to paraphrase pools (--num_manual, --num_auto, "
                                        "--num_samples)");
  }
  if (a.has("synced_samples")) s.synced = data::SyncedSpec{a.integer("synced_samples", 5),
                                                           a.flag("repeat_paras")};
  SELFENS_REQUIRE(s.synced || !a.has("repeat_paras"),
                  "generate: --repeat_paras applies to --synced_samples");
  return s;
}

MethodConfig method_config(const Args& a, Method method) {
  MethodConfig m;
  m.method = method;
  m.paraphrases = paraphrase_selection(a, m.method);
  m.plan = plan_options(a);
  m.max_new_tokens = a.integer("max_new_tokens", 20, 1, 1 << 20);
  m.stop_at_newline = !a.flag("no_newline_stop");
  return m;
}

std::set<std::string> generate_option_names() {
  std::set<std::string> options(std::begin(kJobOptionNames), std::end(kJobOptionNames));
  options.insert(std::begin(kPlanOptionNames), std::end(kPlanOptionNames));
  options.insert({"method", "num_paraphrases", "num_ensemble", "indexs", "max_new_tokens",
                  "checkpoint_seconds", "checkpoint_questions", "paraphrase_order", "num_manual",
                  "num_auto", "num_samples", "pool_order", "seed", "synced_samples", "shard",
                  "devices", "split"});
  return options;
}
const std::set<std::string> kGenerateFlags = {
    "quiet", "overwrite", "lemmaize", "margins", "no_newline_stop", "allow_short_pools",
    "repeat_paras", "csv", "help"};

// --method all: the original's generate_baseline.py `--method all`.
constexpr const char* kAllMethods = "all";

GenerateOptions generate_options(const Args& a, Method method) {
  GenerateOptions o;
  o.method = method_config(a, method);
  read_job_options(a, o);
  o.paraphrase_order = paraphrase_order_option(a);
  o.checkpoint = checkpoint_policy(a);
  o.lemmaize = a.flag("lemmaize");
  o.margins = a.flag("margins");
  o.csv = a.flag("csv");
  o.shard = shard_option(a);
  o.devices = devices_option(a, o.device);
  o.split_layers = split_option(a);
  return o;
}

// Runs one method's job and reports it; false when interrupted.
bool run_and_report(const GenerateOptions& o) {
  GenerateResult r = run_generate(o);
  if (!r.skipped)
    log::info("wrote " + std::to_string(r.rows) + " rows (" + std::to_string(r.new_questions) +
              " new questions, " + std::to_string(r.generated_tokens) + " generated tokens, " +
              std::to_string(r.wall_seconds).substr(0, 6) + " s)" +
              (r.interrupted ? "; interrupted: run the same command again to resume" : ""));
  std::printf("%s\n", r.path.c_str());
  std::fflush(stdout);
  return !r.interrupted;
}

}  // namespace

GenerateOptions parse_generate_options(const std::vector<std::string>& args) {
  Args a("generate", args, generate_option_names(), kGenerateFlags);
  return generate_options(a, parse_method(a.str("method", "origin")));
}

int cmd_generate(int argc, char** argv) {
  Args a("generate", argc, argv, 2, generate_option_names(), kGenerateFlags);
  if (a.flag("help")) {
    std::printf(kUsage, method_lines().c_str(), kPlanOptionsUsage);
    return 0;
  }
  const std::string name = a.str("method", "origin");
  if (name != kAllMethods) {
    GenerateOptions o = generate_options(a, parse_method(name));
    if (o.quiet) log::set_level(log::Level::kWarn);
    return run_and_report(o) ? 0 : static_cast<int>(ExitCode::kInterrupted);
  }
  // origin, then per_prompt on one loaded model.
  std::vector<GenerateOptions> jobs = {generate_options(a, Method::kOrigin),
                                       generate_options(a, Method::kPerPrompt)};
  if (jobs[0].quiet) log::set_level(log::Level::kWarn);
  const std::string backend = resolve_backend_kind(jobs[0].device);
  auto loaded = std::make_shared<LoadedModel>(
      open_session(jobs[0].model, load_options_for(backend)));
  for (GenerateOptions& o : jobs) {
    o.device = backend;
    o.preloaded = loaded;
    if (!run_and_report(o)) return static_cast<int>(ExitCode::kInterrupted);
  }
  return 0;
}

}  // namespace selfens::cli
