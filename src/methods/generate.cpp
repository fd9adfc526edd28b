#include "methods/generate.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "data/dataset.h"
#include "data/output_paths.h"
#include "data/prompt.h"
#include "engine/engine.h"
#include "eval/lemmatizer.h"
#include "methods/answer_text.h"
#include "methods/confidence.h"
#include "methods/prompt_tokens.h"
#include "methods/results.h"
#include "methods/runner.h"
#include "methods/session.h"
#include "util/check.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/progress.h"

namespace selfens {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// What an earlier run of the same file left.
struct Previous {
  std::vector<ResultRow> rows;
  bool complete = false;
  bool exists = false;
};

Previous load_previous(const fs::path& path, bool per_prompt) {
  Previous p;
  if (!fs::exists(path)) return p;
  io::Table t = io::read_feather(path);
  p.exists = true;
  p.complete = t.metadata_value("selfens.complete").value_or("true") == "true";
  p.rows = rows_from_table(t, per_prompt);
  return p;
}

// Confidence of each (uuid, paraphrase) from confidence.feather.
std::unordered_map<std::string, double> load_confidences(const fs::path& path,
                                                         const std::string& dataset) {
  SELFENS_REQUIRE(fs::exists(path), path.string() +
                                        ": not found; weighted methods need the confidence "
                                        "scores of `selfens confidence` for this data set and model");
  io::Table t = io::read_feather(path);
  check_confidence_dataset(t, path, dataset);
  const auto& uuid = t.utf8("uuid");
  const auto& para = t.utf8("paraphrase");
  const auto& conf = t.float64("confidence");
  std::unordered_map<std::string, double> out;
  for (size_t i = 0; i < uuid.size(); ++i) out[uuid[i] + '\x1f' + para[i]] = conf[i];
  return out;
}

struct Job {
  size_t question = 0;
  std::vector<std::string> paraphrases;
  std::vector<std::string> prompts;
  std::vector<float> weights;
};

std::vector<Job> make_jobs(const data::Dataset& ds, const GenerateOptions& o,
                           const std::unordered_set<std::string>& done, const fs::path& conf_path) {
  const MethodConfig& m = o.method;
  std::unordered_map<std::string, double> conf;
  if (is_weighted(m.method)) conf = load_confidences(conf_path, ds.name);
  size_t count = o.max_samples < 0 ? ds.questions.size()
                                   : std::min(ds.questions.size(), size_t(o.max_samples));
  std::vector<Job> jobs;
  for (size_t i = 0; i < count; ++i) {
    const auto& q = ds.questions[i];
    if (done.count(q.uuid)) continue;
    Job j;
    j.question = i;
    j.paraphrases = m.method == Method::kOrigin ? data::select_paraphrases(q, 1, m.indexs)
                                                : data::select_paraphrases(q, m.n, m.indexs);
    for (const auto& p : j.paraphrases) {
      j.prompts.push_back(data::build_prompt(ds.block, p));
      if (!is_weighted(m.method)) continue;
      auto it = conf.find(q.uuid + '\x1f' + p);
      SELFENS_REQUIRE(it != conf.end(), conf_path.string() + ": no confidence for question " +
                                            q.uuid + " paraphrase '" + p + "'");
      j.weights.push_back(static_cast<float>(it->second));
    }
    jobs.push_back(std::move(j));
  }
  return jobs;
}

// Rows of one finished question: one row, or one per paraphrase (per_prompt).
// margins: the smallest top-1/top-2 gap of each group (may be empty).
void add_rows(const data::Question& q, const Job& job, const QuestionOutput& out,
              const Tokenizer& tok, bool per_prompt, const std::vector<double>& margins,
              std::vector<ResultRow>& rows) {
  for (size_t g = 0; g < out.answers.size(); ++g) {
    ResultRow r;
    if (g < margins.size()) r.margin = margins[g];
    r.question = job.question;
    r.uuid = q.uuid;
    r.answers = q.answers;
    r.paraphrases = per_prompt ? std::vector<std::string>{job.paraphrases[g]} : job.paraphrases;
    r.prompts = per_prompt ? std::vector<std::string>{job.prompts[g]} : job.prompts;
    r.paraphrase_index = per_prompt ? static_cast<int64_t>(g) : -1;
    r.generation = tok.decode(out.answers[g], true);
    r.prediction = prediction_from_generation(r.generation);
    rows.push_back(std::move(r));
  }
}

// Best minus second-best score (0 for a tie; infinity for one entry).
double top2_gap(std::span<const float> scores) {
  float best = -std::numeric_limits<float>::infinity(), second = best;
  for (float s : scores) {
    if (s > best) {
      second = best;
      best = s;
    } else if (s > second) {
      second = s;
    }
  }
  return double(best) - double(second);
}

struct RunCounters {
  double wall = 0;        // whole call, model loading included
  double decoding = 0;    // the scheduler's run (prefix encoding and questions)
  int64_t prefix_tokens = 0, forwarded = 0, generated = 0;
  EngineStats engine;     // forward calls; host (enqueue) and device-wait time
  std::string device;     // the backend that ran ("cpu", "cuda", "cuda-f32")
};

io::Metadata run_metadata(const GenerateOptions& o, const data::Dataset& ds, bool complete,
                          const RunCounters& c) {
  const MethodConfig& m = o.method;
  std::string indexs = data::join_indexs(m.indexs);
  return {{"selfens.version", SELFENS_VERSION},
          {"selfens.method", method_name(m.method)},
          {"selfens.model", o.model},
          {"selfens.device", c.device.empty() ? o.device : c.device},
          {"selfens.dataset", ds.name},
          {"selfens.n", std::to_string(m.method == Method::kOrigin ? 1 : m.views())},
          {"selfens.indexs", indexs},
          {"selfens.layout", layout_name(m.layout)},
          {"selfens.positions", positions_name(m.positions)},
          {"selfens.fusion_bias", fusion_bias_name(m.fusion_bias)},
          {"selfens.max_new_tokens", std::to_string(m.max_new_tokens)},
          {"selfens.stop_at_newline", m.stop_at_newline ? "true" : "false"},
          {"selfens.prompt_tokens", std::to_string(c.prefix_tokens)},
          {"selfens.forwarded_tokens", std::to_string(c.forwarded)},
          {"selfens.generated_tokens", std::to_string(c.generated)},
          {"selfens.wall_seconds", std::to_string(c.wall)},
          {"selfens.decode_seconds", std::to_string(c.decoding)},
          {"selfens.forward_calls", std::to_string(c.engine.forward_calls)},
          {"selfens.enqueue_seconds", std::to_string(c.engine.enqueue_seconds)},
          {"selfens.finish_seconds", std::to_string(c.engine.finish_seconds)},
          {"selfens.complete", complete ? "true" : "false"}};
}

void add_lemmas(io::Table& t) {
  auto lem = eval::Lemmatizer::load_default();
  std::vector<io::Strings> pred;
  std::vector<std::vector<io::Strings>> ans;
  for (const auto& p : t.utf8("prediction")) pred.push_back(lem.lemmas(p));
  for (const auto& a : t.list_utf8("answers")) {
    ans.emplace_back();
    for (const auto& s : a) ans.back().push_back(lem.lemmas(s));
  }
  t.set("predict_lemma", std::move(pred));
  t.set("answer_lemmas", std::move(ans));
}

void ensure_writable_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  SELFENS_REQUIRE(!ec, dir.string() + ": cannot create the output directory: " + ec.message());
  SELFENS_REQUIRE(::access(dir.c_str(), W_OK) == 0,
                  dir.string() + ": the output directory is not writable");
}

}  // namespace

GenerateResult run_generate(const GenerateOptions& o) {
  validate(o.method);
  const auto start = Clock::now();
  const bool per_prompt = o.method.method == Method::kPerPrompt;
  data::Dataset ds = data::load_dataset(o.dataset, o.data_dir, o.model, o.output_dir);
  if (uses_paraphrases(o.method.method)) data::require_paraphrases(ds, method_name(o.method.method), o.model);
  data::OutputPaths paths(o.output_dir, ds.name, o.model);
  const std::string method = method_name(o.method.method);
  GenerateResult res;
  res.path = paths.run_file(method, o.method.views(), o.method.indexs);

  Previous prev = o.overwrite ? Previous{} : load_previous(res.path, per_prompt);
  if (prev.complete) {
    log::info(res.path.string() + " exists and is complete; skipping (use --overwrite to redo)");
    res.skipped = res.complete = true;
    res.rows = prev.rows.size();
    return res;
  }
  std::unordered_set<std::string> done;
  for (const auto& r : prev.rows) done.insert(r.uuid);
  if (!done.empty()) log::info("resuming " + res.path.string() + ": " + std::to_string(done.size()) + " questions done");
  std::vector<Job> jobs = make_jobs(ds, o, done, paths.confidence());
  std::vector<ResultRow> rows = std::move(prev.rows);

  ensure_writable_dir(res.path.parent_path());  // before the long part of the run

  RunCounters counters;
  int64_t& forwarded = counters.forwarded;
  int64_t& generated = counters.generated;
  bool finished = true;
  if (!jobs.empty()) {
    Session session = open_session(o.model, load_options_for(o.device));
    std::vector<std::vector<std::string>> prompts;
    for (const auto& j : jobs) prompts.push_back(j.prompts);
    std::string prefix_text = data::prompt_parts(ds.block, "").prefix;
    TokenizedRun tokens = tokenize_run(*session.tokenizer, prompts, prefix_text);
    const int batch = std::max(1, std::min<int>(o.batch_size, static_cast<int>(jobs.size())));
    EngineOptions eo;
    eo.threads = o.threads;
    eo.backend = o.device;
    eo.kv_pages = kv_pages_needed(o.method, static_cast<int64_t>(tokens.prefix.size()),
                                  tokens.max_view_len(), o.method.views(), batch, eo.page_size);
    Engine engine(session.model, eo);
    const auto decode_start = Clock::now();
    MethodRunner runner(engine, *session.tokenizer, o.method, tokens.prefix, tokens.cue_len);
    counters.prefix_tokens = runner.prefix_tokens();
    // --margins: per question and group, the smallest gap between the best
    // and the second-best fused score over the generated tokens.
    std::unordered_map<size_t, std::vector<double>> margins_of;
    if (o.margins)
      runner.set_step_observer([&](size_t q, size_t g, int, std::span<const float> scores) {
        auto& v = margins_of[q];
        if (v.size() <= g) v.resize(g + 1, std::numeric_limits<double>::infinity());
        v[g] = std::min(v[g], top2_gap(scores));
      });

    std::vector<QuestionInput> inputs(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) {
      inputs[i].index = i;
      inputs[i].views = &tokens.views[i];
      inputs[i].weights = jobs[i].weights;
    }
    install_interrupt_handler();
    ProgressBar bar("generate " + method, static_cast<int64_t>(jobs.size()), o.quiet);
    auto last_save = Clock::now();
    auto save = [&](bool complete) {
      std::vector<ResultRow> sorted = rows;
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const ResultRow& a, const ResultRow& b) { return a.question < b.question; });
      counters.wall = std::chrono::duration<double>(Clock::now() - start).count();
      counters.decoding = std::chrono::duration<double>(Clock::now() - decode_start).count();
      counters.engine = engine.stats();
      counters.device = engine.backend().name();
      io::Table t =
          rows_to_table(sorted, per_prompt, run_metadata(o, ds, complete, counters), o.margins);
      if (o.lemmaize) add_lemmas(t);
      io::write_feather(res.path, t);
    };
    finished = runner.run(inputs, batch, [&](QuestionOutput&& out) {
      const Job& job = jobs[out.index];
      forwarded += out.forwarded_tokens;
      for (const auto& a : out.answers) generated += static_cast<int64_t>(a.size());
      add_rows(ds.questions[job.question], job, out, *session.tokenizer, per_prompt,
               margins_of[out.index], rows);
      margins_of.erase(out.index);
      ++res.new_questions;
      bar.advance();
      if (o.checkpoint_seconds > 0 &&
          std::chrono::duration<double>(Clock::now() - last_save).count() > o.checkpoint_seconds) {
        save(false);
        last_save = Clock::now();
      }
    }, [] { return interrupted(); });
    bar.finish();
    res.forwarded_tokens = forwarded;
    res.generated_tokens = generated;
    res.complete = finished;
    res.interrupted = !finished;
    save(finished);
  } else {
    // Nothing left to answer: mark the file complete.
    io::Table t = rows_to_table(rows, per_prompt, run_metadata(o, ds, true, counters), o.margins);
    if (o.lemmaize) add_lemmas(t);
    io::write_feather(res.path, t);
    res.complete = true;
  }
  res.rows = rows.size();
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return res;
}

}  // namespace selfens
