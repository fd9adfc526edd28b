#include "jobs/generate.h"

#include <algorithm>
#include <mutex>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
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
#include "jobs/confidence.h"
#include "methods/prompt_tokens.h"
#include "jobs/results.h"
#include "methods/runner.h"
#include "methods/session.h"
#include "backend/backend.h"
#include "io/output_lock.h"
#include "jobs/job_loop.h"
#include "jobs/run_identity.h"
#include "model/resolve.h"
#include "util/parallel.h"
#include "util/check.h"
#include "util/interrupt.h"
#include "util/fingerprint.h"
#include "util/log.h"

namespace selfens {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Confidence scores of each (uuid, paraphrase) from confidence.feather, and
// the settings that made them (part of a weighted run's identity).
struct Confidences {
  std::unordered_map<std::string, double> by_key;
  std::string settings;
};

std::string confidence_key(const std::string& uuid, const std::string& paraphrase) {
  return uuid + '\x1f' + paraphrase;
}

Confidences load_confidences(const fs::path& path, const std::string& dataset) {
  if (!fs::exists(path)) {
    const auto sets = shard_sets(path.parent_path());
    SELFENS_REQUIRE(std::find(sets.begin(), sets.end(), path) == sets.end(),
                    path.string() + ": not found, but its shards are there: run `selfens merge " +
                        path.string() + "` first");
    throw InputError(path.string() + ": not found; weighted methods need the confidence "
                     "scores of `selfens confidence` for this data set and model");
  }
  io::Table t = io::read_feather(path);
  check_confidence_dataset(t, path, dataset);
  Confidences c;
  c.settings = confidence_settings(t);
  const auto& uuid = t.utf8("uuid");
  const auto& para = t.utf8("paraphrase");
  const auto& conf = t.float64("confidence");
  for (size_t i = 0; i < uuid.size(); ++i) {
    // A score outside [0, 1] (NaN, inf) would silently empty every fused answer.
    SELFENS_REQUIRE(std::isfinite(conf[i]) && conf[i] >= 0 && conf[i] <= 1,
                    path.string() + ": row " + std::to_string(i) + " (uuid '" + uuid[i] +
                        "'): confidence " + std::to_string(conf[i]) +
                        " is not a number in [0, 1]; run `selfens confidence --overwrite`");
    c.by_key[confidence_key(uuid[i], para[i])] = conf[i];
  }
  return c;
}

struct Job {
  size_t question = 0;
  data::Ask ask;  // the paraphrase positions asked, and the synced sample
  std::vector<std::string> paraphrases;
  std::vector<std::string> prompts;
  std::vector<float> weights;
};

// A row group's key in `done`: the uuid, and for synced samples the sample.
std::string ask_key(const std::string& uuid, int64_t sample) {
  return sample < 0 ? uuid : uuid + '\x1f' + std::to_string(sample);
}

// Each question's asks under the run's selection, drawn once per run (pool
// and synced draws seed a generator per question) and shared by the jobs,
// the check of a resumed file's rows and the completeness check.
class AskTable {
 public:
  AskTable(const data::Dataset& ds, const data::ParaphraseSelection& selection)
      : ds_(ds), selection_(selection) {}
  const std::vector<data::Ask>& of(size_t question) {
    auto it = asks_.find(question);
    if (it == asks_.end())
      it = asks_.emplace(question, data::asks_of(ds_.questions[question], selection_)).first;
    return it->second;
  }
  // The asks of question i whose rows are not in `done`. Without synced
  // samples a question has one ask, keyed by its uuid: no draw is needed to
  // see that it is done.
  std::vector<const data::Ask*> missing(size_t i, const std::unordered_set<std::string>& done) {
    const std::string& uuid = ds_.questions[i].uuid;
    std::vector<const data::Ask*> out;
    if (!selection_.synced && done.count(uuid)) return out;
    for (const data::Ask& a : of(i))
      if (!done.count(ask_key(uuid, a.sample))) out.push_back(&a);
    return out;
  }

 private:
  const data::Dataset& ds_;
  const data::ParaphraseSelection& selection_;
  std::unordered_map<size_t, std::vector<data::Ask>> asks_;
};

// The file's optional columns for this run.
ResultColumns result_columns(const GenerateOptions& o) {
  const data::ParaphraseSelection& s = o.method.paraphrases;
  ResultColumns c;
  c.paraphrase_index = o.method.method == Method::kPerPrompt;
  c.paraphrase_indices = s.pool.has_value() || s.synced.has_value();
  c.sample_index = s.synced.has_value();
  c.margin = o.margins;
  return c;
}

// A job for each ask of the first `selected` questions (of the shard) not in `done`.
std::vector<Job> make_jobs(const data::Dataset& ds, const MethodConfig& m, AskTable& asks,
                           size_t selected, const Shard& shard,
                           const std::unordered_set<std::string>& done, const Confidences& conf,
                           const fs::path& conf_path) {
  std::vector<Job> jobs;
  for (size_t i = 0; i < selected; ++i) {
    if (!shard.holds(i)) continue;
    const auto& q = ds.questions[i];
    for (const data::Ask* ask : asks.missing(i, done)) {
      Job j;
      j.question = i;
      j.paraphrases = data::ask_paraphrases(q, *ask);
      j.ask = *ask;
      for (const auto& p : j.paraphrases) {
        j.prompts.push_back(data::build_prompt(ds.block, p));
        if (!is_weighted(m.method)) continue;
        auto it = conf.by_key.find(confidence_key(q.uuid, p));
        SELFENS_REQUIRE(it != conf.by_key.end(), conf_path.string() +
                                                     ": no confidence for question " + q.uuid +
                                                     " paraphrase '" + p + "'");
        j.weights.push_back(static_cast<float>(it->second));
      }
      jobs.push_back(std::move(j));
    }
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
    if (per_prompt)
      r.paraphrase_indices = {job.ask.indices[g]};
    else
      r.paraphrase_indices.assign(job.ask.indices.begin(), job.ask.indices.end());
    r.sample_index = job.ask.sample;
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

// Rows in data set order, a question's synced samples in sample order.
bool row_order(const ResultRow& a, const ResultRow& b) {
  return a.question != b.question ? a.question < b.question : a.sample_index < b.sample_index;
}

struct RunCounters {
  double wall = 0;        // whole call, model loading included
  double decoding = 0;    // the scheduler's run (prefix encoding and questions)
  int64_t prefix_tokens = 0, forwarded = 0, generated = 0;
  EngineStats engine;     // forward calls; host (enqueue) and device-wait time
  std::string device;     // the backend that ran ("cpu", "cuda", "cuda-f32")
};

// Every setting that shapes the rows (run_identity.h).
RunIdentity run_identity(const GenerateOptions& o, const data::Dataset& ds,
                         const std::string& backend, const Confidences* conf) {
  const MethodConfig& m = o.method;
  RunIdentity id;
  id.add("method", method_name(m.method))
      .add("n", std::to_string(m.method == Method::kOrigin ? 1 : m.views()))
      .add("indexs", data::join_indexs(m.paraphrases.indexs))
      .add("layout", layout_name(m.plan.layout))
      .add("positions", positions_name(m.plan.positions))
      .add("fusion_bias", fusion_bias_name(m.plan.fusion_bias))
      .add("fusion_temperature", fusion_number(m.plan.fusion_temperature))
      .add("fusion_scale", fusion_number(m.plan.fusion_scale))
      .add("max_new_tokens", std::to_string(m.max_new_tokens))
      .add("stop_at_newline", m.stop_at_newline ? "true" : "false")
      .add("dataset", ds.name)
      .add("dataset_fingerprint", ds.fingerprint)
      .add("paraphrase_order", ds.paraphrase_order)
      .add("model_fingerprint", model_fingerprint(resolve_model_path(o.model)))
      .add("precision", backend_precision(backend));
  if (conf) id.add("confidence", conf->settings);
  // Recorded when not the default only, so that older files stay continuable.
  if (m.plan.attention != ParaphraseAttention::kIsolated)
    id.add("paraphrase_attention", paraphrase_attention_name(m.plan.attention));
  // Pools and synced samples only: files of first-N runs stay as they were.
  const std::string selection = m.paraphrases.identity();
  if (!selection.empty()) id.add("paraphrase_selection", selection);
  return id;
}

io::Metadata run_metadata(const GenerateOptions& o, const RunIdentity& id, size_t selection,
                          size_t total, bool complete, const RunCounters& c) {
  io::Metadata m = {{"selfens.version", SELFENS_VERSION}};
  for (auto& kv : id.metadata()) m.push_back(std::move(kv));
  const std::vector<std::pair<std::string, std::string>> rest = {
      {"model", o.model},
      {"device", c.device},
      {"max_samples", selection_text(selection, total)},
      {"prompt_tokens", std::to_string(c.prefix_tokens)},
      {"forwarded_tokens", std::to_string(c.forwarded)},
      {"generated_tokens", std::to_string(c.generated)},
      {"wall_seconds", std::to_string(c.wall)},
      {"decode_seconds", std::to_string(c.decoding)},
      {"forward_calls", std::to_string(c.engine.forward_calls)},
      {"enqueue_seconds", std::to_string(c.engine.enqueue_seconds)},
      {"finish_seconds", std::to_string(c.engine.finish_seconds)},
      {"complete", complete ? "true" : "false"}};
  for (const auto& [k, v] : rest) m.emplace_back("selfens." + k, v);
  if (o.shard.sharded()) m.emplace_back("selfens.shard", o.shard.text());
  return m;
}

// The rows of an earlier run of the file, in data set order, after checking
// that it was made the same way: same identity, and each row asked with the
// prompts this run builds for its question (webqa's paraphrases may have
// been regenerated since).
std::vector<ResultRow> previous_rows(const io::Table& file, const fs::path& path,
                                     const data::Dataset& ds, const GenerateOptions& o,
                                     const RunIdentity& id, AskTable& asks_of_question) {
  id.require_same(file, path);
  const bool per_prompt = o.method.method == Method::kPerPrompt;
  std::vector<ResultRow> rows;
  try {
    rows = rows_from_table(file, result_columns(o));
  } catch (const InputError& e) {
    throw InputError(path.string() + ": cannot read the existing result file (" + e.what() +
                     "); use --overwrite to replace it");
  }
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < ds.questions.size(); ++i) index.emplace(ds.questions[i].uuid, i);
  const std::string redo = "; use --overwrite to replace it, or write elsewhere with --output-dir";
  for (ResultRow& r : rows) {
    auto it = index.find(r.uuid);
    SELFENS_REQUIRE(it != index.end(), path.string() + ": question uuid '" + r.uuid +
                                           "' is not in data set '" + ds.name + "'" + redo);
    r.question = it->second;
    const auto& q = ds.questions[r.question];
    const std::vector<data::Ask>& asks = asks_of_question.of(r.question);
    const size_t ask = r.sample_index < 0 ? 0 : size_t(r.sample_index);
    SELFENS_REQUIRE(ask < asks.size(), path.string() + ": question uuid '" + r.uuid +
                                           "': sample_index " + std::to_string(r.sample_index) +
                                           " out of range" + redo);
    std::vector<std::string> paras = data::ask_paraphrases(q, asks[ask]);
    if (per_prompt) {
      SELFENS_REQUIRE(r.paraphrase_index >= 0 && size_t(r.paraphrase_index) < paras.size(),
                      path.string() + ": question uuid '" + r.uuid + "': paraphrase_index " +
                          std::to_string(r.paraphrase_index) + " out of range" + redo);
      paras = {paras[size_t(r.paraphrase_index)]};
    }
    std::vector<std::string> prompts;
    for (const auto& p : paras) prompts.push_back(data::build_prompt(ds.block, p));
    SELFENS_REQUIRE(r.paraphrases == paras && r.prompts == prompts,
                    path.string() + ": question uuid '" + r.uuid +
                        "' was asked with other prompts than this run builds (the data set or " +
                        "its paraphrases changed since)" + redo);
  }
  std::stable_sort(rows.begin(), rows.end(), row_order);
  return rows;
}

// Whether every ask of the first `count` questions has its rows.
bool covers(size_t count, AskTable& asks, const Shard& shard,
            const std::unordered_set<std::string>& done) {
  for (size_t i = 0; i < count; ++i)
    if (shard.holds(i) && !asks.missing(i, done).empty()) return false;
  return true;
}

// --split layers: the devices one engine's parts go to (none without it).
std::vector<int> split_devices(const GenerateOptions& o) {
  if (!o.split_layers) return {};
  return o.devices.empty() ? std::vector<int>{0} : o.devices;
}

// Runs the jobs, appending each finished question's rows (and uuid to
// `done`); saves checkpoints through `save`. One engine per --devices entry:
// the jobs dealt out round robin, each engine's runner on its own thread,
// rows, progress and checkpoints under one lock. False when interrupted.
bool answer_jobs(const GenerateOptions& o, const std::string& backend, const data::Dataset& ds,
                 const std::vector<Job>& jobs, const TokenizedRun& tokens, const Session& session,
                 std::vector<ResultRow>& rows, std::unordered_set<std::string>& done,
                 RunCounters& counters, GenerateResult& res,
                 const std::function<bool(bool)>& save) {
  const bool per_prompt = o.method.method == Method::kPerPrompt;
  const std::vector<int> split = split_devices(o);  // --split layers: one engine over them
  std::vector<int> devices = o.devices.empty() ? std::vector<int>{0} : o.devices;
  if (!split.empty()) devices = {split.front()};
  devices.resize(std::max<size_t>(1, std::min(devices.size(), jobs.size())));
  const size_t n_engines = devices.size();
  // CPU engines share the cores (each its own pool).
  const int cores = o.threads > 0 ? o.threads : hardware_threads();
  const int threads = backend == "cpu" && n_engines > 1 ? std::max(1, cores / int(n_engines)) : o.threads;
  std::vector<std::unique_ptr<JobEngine>> engines;
  for (int d : devices)
    engines.push_back(
        std::make_unique<JobEngine>(o.preloaded, session, backend, threads, d, split));
  const auto decode_start = Clock::now();
  std::mutex mu;  // rows, done, counters, margins, progress and checkpoints
  // --margins: per question and group, the smallest gap between the best
  // and the second-best fused score over the generated tokens.
  std::unordered_map<size_t, std::vector<double>> margins_of;
  std::vector<std::unique_ptr<MethodRunner>> runners;
  std::vector<std::vector<QuestionInput>> inputs(n_engines);
  for (size_t e = 0; e < n_engines; ++e) {
    runners.push_back(std::make_unique<MethodRunner>(**engines[e], *session.tokenizer, o.method,
                                                     tokens.prefix, tokens.cue_len));
    counters.prefix_tokens += runners.back()->prefix_tokens();
    if (o.margins)
      runners.back()->set_step_observer([&](size_t q, size_t g, int, std::span<const float> scores) {
        std::lock_guard<std::mutex> lock(mu);
        auto& v = margins_of[q];
        if (v.size() <= g) v.resize(g + 1, std::numeric_limits<double>::infinity());
        v[g] = std::min(v[g], top2_gap(scores));
      });
  }
  counters.device = (**engines[0]).backend().name();
  for (size_t i = 0; i < jobs.size(); ++i) {
    QuestionInput in;
    in.index = i;
    in.views = &tokens.views[i];
    in.weights = jobs[i].weights;
    inputs[i % n_engines].push_back(std::move(in));
  }
  auto take_stats = [&] {
    counters.decoding = std::chrono::duration<double>(Clock::now() - decode_start).count();
    counters.engine = {};
    for (const auto& e : engines) counters.engine += (**e).stats();
  };
  JobLoop loop("generate " + method_name(o.method.method), static_cast<int64_t>(jobs.size()),
               o.quiet, o.checkpoint, [&] {
                 take_stats();
                 save(false);
               });
  auto on_done = [&](QuestionOutput&& out) {
    std::lock_guard<std::mutex> lock(mu);
    const Job& job = jobs[out.index];
    counters.forwarded += out.forwarded_tokens;
    for (const auto& a : out.answers) counters.generated += static_cast<int64_t>(a.size());
    const data::Question& q = ds.questions[job.question];
    add_rows(q, job, out, *session.tokenizer, per_prompt, margins_of[out.index], rows);
    margins_of.erase(out.index);
    done.insert(ask_key(q.uuid, job.ask.sample));
    ++res.new_questions;
    loop.finished_one();
  };
  // Each engine on its own thread; one that fails stops the others.
  const bool finished = run_in_parallel(n_engines, [&](size_t e, const std::function<bool()>& stop) {
    (**engines[e]).bind_thread();
    const int batch = std::max(1, std::min<int>(o.batch_size, int(inputs[e].size())));
    return runners[e]->run(inputs[e], batch, on_done, stop);
  });
  loop.finish();
  take_stats();
  return finished;
}

void validate_options(const GenerateOptions& o) {
  validate(o.method);
  SELFENS_REQUIRE(o.max_samples == -1 || o.max_samples >= 1,
                  "generate: --max_samples must be at least 1, got " + std::to_string(o.max_samples));
  SELFENS_REQUIRE(o.batch_size > 0, "generate: --batch_size must be positive, got " +
                                        std::to_string(o.batch_size));
  SELFENS_REQUIRE(o.threads >= 0, "generate: --threads must be positive");
  SELFENS_REQUIRE(o.checkpoint.seconds >= 0 && o.checkpoint.questions >= 0,
                  "generate: checkpoint intervals must be >= 0");
  SELFENS_REQUIRE(!o.output_dir.empty(), "generate: --output-dir is empty");
}

// Every prompt plus the answer must fit the model's context: checked for
// all questions before the engine starts (a long question would otherwise
// run for minutes or fail allocating its KV cache).
void check_context(const ModelConfig& config, const GenerateOptions& o, const data::Dataset& ds,
                   const std::vector<Job>& jobs, const TokenizedRun& tokens) {
  const auto prefix = static_cast<int64_t>(tokens.prefix.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    const int64_t needed = positions_needed(o.method, prefix, tokens.views[i], tokens.cue_len);
    require_within_context(config,
                           "question uuid '" + ds.questions[jobs[i].question].uuid + "' (" +
                               method_name(o.method.method) + ")",
                           needed - o.method.max_new_tokens, o.method.max_new_tokens);
  }
}

}  // namespace

GenerateResult run_generate(const GenerateOptions& options) {
  validate_options(options);
  const std::string backend = resolve_backend_kind(options.device);
  const auto start = Clock::now();
  const std::string method = method_name(options.method.method);
  data::Dataset ds = data::load_dataset(options.dataset, options.data_dir, options.model,
                                        options.output_dir, options.paraphrase_order);
  GenerateOptions o = options;  // with the pool sizes checked against the data set
  o.method.paraphrases = data::checked_selection(options.method.paraphrases, ds);
  const size_t total = ds.questions.size();
  const size_t selected = o.max_samples < 0 ? total : std::min(total, size_t(o.max_samples));
  if (uses_paraphrases(o.method.method)) data::require_paraphrases(ds, selected, method, o.model);
  data::OutputPaths paths(o.output_dir, ds.name, o.model);
  GenerateResult res;
  res.path = shard_path(paths.selection_file(method, o.method.paraphrases,
                                             fusion_variant(o.method.plan)),
                        o.shard);
  io::OutputLock lock(res.path);  // and the directory exists and is writable

  Confidences conf;
  if (is_weighted(o.method.method)) conf = load_confidences(paths.confidence(), ds.name);
  const RunIdentity id = run_identity(o, ds, backend, is_weighted(o.method.method) ? &conf : nullptr);
  std::optional<io::Table> file = o.overwrite ? std::nullopt : read_existing_output(res.path);
  std::vector<ResultRow> rows;
  AskTable asks(ds, o.method.paraphrases);
  if (file) rows = previous_rows(*file, res.path, ds, o, id, asks);
  std::unordered_set<std::string> done;
  for (const auto& r : rows) done.insert(ask_key(r.uuid, r.sample_index));
  // The file's selection grows to this run's; it never shrinks.
  const size_t selection = std::max(selected, file ? recorded_selection(*file, total) : 0);
  std::vector<Job> jobs = make_jobs(ds, o.method, asks, selected, o.shard, done, conf, paths.confidence());
  if (jobs.empty() && file) {
    res.rows = rows.size();
    res.skipped = true;
    res.complete = file->metadata_value("selfens.complete").value_or("true") == "true";
    const size_t recorded = recorded_selection(*file, total);
    const std::string unfinished =
        !res.complete && recorded > selected ? "; it is an unfinished run of " + selection_text(recorded, total) +
                                  " questions: give that --max_samples (or none for all) to finish it"
                            : "";
    log::info(res.path.string() + " already holds the " + std::to_string(selected) +
              " selected questions (" + std::to_string(rows.size()) + " rows" +
              (res.complete ? ", complete" : "") + unfinished +
              "); skipping (use --overwrite to redo)");
    if (o.csv) write_csv_copy(res.path, *file);
    return res;
  }
  if (!done.empty())
    log::info("resuming " + res.path.string() + ": " + std::to_string(done.size()) +
              " questions done, " + std::to_string(jobs.size()) + " to go");

  RunCounters counters;
  bool finished = true;
  // --lemmaize: the tables are loaded once (and before the long part), not per checkpoint.
  std::optional<eval::Lemmatizer> lemmatizer;
  if (o.lemmaize) lemmatizer = eval::Lemmatizer::load_default();
  std::function<bool(bool)> save = [&](bool run_finished) {
    std::stable_sort(rows.begin(), rows.end(), row_order);
    counters.wall = std::chrono::duration<double>(Clock::now() - start).count();
    const bool complete = run_finished && covers(selection, asks, o.shard, done);
    io::Table t = rows_to_table(rows, result_columns(o),
                                run_metadata(o, id, selection, total, complete, counters));
    if (lemmatizer) eval::add_lemma_columns(t, *lemmatizer);
    io::write_feather(res.path, t);
    if (o.csv) write_csv_copy(res.path, t);
    return complete;
  };
  if (!jobs.empty()) {
    const Session session = job_session(o.preloaded, o.model, backend, split_devices(o));
    std::vector<std::vector<std::string>> prompts;
    for (const auto& j : jobs) prompts.push_back(j.prompts);
    std::string prefix_text = data::prompt_parts(ds.block, "").prefix;
    TokenizedRun tokens = tokenize_run(*session.tokenizer, prompts, prefix_text);
    check_context(session.model->config, o, ds, jobs, tokens);
    finished = answer_jobs(o, backend, ds, jobs, tokens, session, rows, done, counters, res, save);
  }
  res.complete = save(finished);
  res.interrupted = !finished;
  res.forwarded_tokens = counters.forwarded;
  res.generated_tokens = counters.generated;
  res.rows = rows.size();
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return res;
}

}  // namespace selfens
