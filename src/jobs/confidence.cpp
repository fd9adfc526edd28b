#include "jobs/confidence.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "data/dataset.h"
#include "data/output_paths.h"
#include "data/prompt.h"
#include "engine/engine.h"
#include "eval/lemmatizer.h"
#include "methods/answer_text.h"
#include "methods/prompt_tokens.h"
#include "methods/sampler.h"
#include "methods/session.h"
#include "backend/backend.h"
#include "io/output_lock.h"
#include "jobs/results.h"
#include "jobs/job_loop.h"
#include "jobs/run_identity.h"
#include "model/resolve.h"
#include "util/check.h"
#include "util/interrupt.h"
#include "util/fingerprint.h"
#include "util/log.h"

namespace selfens {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// One prompt: a question asked with one (distinct) paraphrase.
struct Job {
  size_t question = 0;
  size_t para = 0;  // index of the paraphrase in the question's list
  std::string paraphrase;
  std::string prompt;
};

struct Row {
  size_t question = 0, para = 0;  // sort keys
  std::string uuid, paraphrase, prompt, greedy;
  io::Strings answers, samples, greedy_lemma;
  std::vector<io::Strings> sample_lemmas, answer_lemmas;
  double confidence = 0;
};

std::string key(const std::string& uuid, const std::string& paraphrase) {
  return uuid + '\x1f' + paraphrase;
}

std::string real_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// The prompts a run selects: the first `questions` questions, each with its
// first `paraphrases` paraphrases (SIZE_MAX: all).
struct Selection {
  size_t questions = 0, paraphrases = SIZE_MAX;
  Shard shard;  // of those questions, the shard's (i mod N = K-1)
};

Selection selection_of(const data::Dataset& ds, const ConfidenceOptions& o) {
  const size_t total = ds.questions.size();
  return {o.max_samples < 0 ? total : std::min(total, static_cast<size_t>(o.max_samples)),
          o.num_paraphrases < 0 ? SIZE_MAX : static_cast<size_t>(o.num_paraphrases), o.shard};
}

// The larger of this run's selection and the one the file records.
Selection widened(Selection s, const io::Table& file, size_t total) {
  s.questions = std::max(s.questions, recorded_selection(file, total));
  const auto p = file.metadata_value("selfens.num_paraphrases");
  if (p == std::optional<std::string>("all")) s.paraphrases = SIZE_MAX;
  else if (p && s.paraphrases != SIZE_MAX)
    s.paraphrases = std::max<size_t>(s.paraphrases, std::strtoull(p->c_str(), nullptr, 10));
  return s;
}

// Every selected (question, distinct paraphrase) not yet in `done`.
// Calls f(question index, paraphrase index) for every selected (question,
// distinct paraphrase) whose key is not in `done`.
template <class F>
void for_each_missing(const data::Dataset& ds, Selection sel,
                      const std::unordered_set<std::string>& done, F&& f) {
  for (size_t q = 0; q < sel.questions; ++q) {
    if (!sel.shard.holds(q)) continue;
    const auto& question = ds.questions[q];
    const size_t n = std::min(question.paraphrases.size(), sel.paraphrases);
    std::unordered_set<std::string> seen;
    for (size_t v = 0; v < n; ++v) {
      const std::string& p = question.paraphrases[v];
      if (seen.insert(p).second && !done.count(key(question.uuid, p))) f(q, v);
    }
  }
}

std::vector<Job> make_jobs(const data::Dataset& ds, Selection sel,
                           const std::unordered_set<std::string>& done) {
  std::vector<Job> jobs;
  for_each_missing(ds, sel, done, [&](size_t q, size_t v) {
    const std::string& p = ds.questions[q].paraphrases[v];
    jobs.push_back({q, v, p, data::build_prompt(ds.block, p)});
  });
  return jobs;
}

// Whether `rows` hold every prompt of the selection.
bool covers(const data::Dataset& ds, Selection sel, const std::vector<Row>& rows) {
  std::unordered_set<std::string> have;
  for (const auto& r : rows) have.insert(key(r.uuid, r.paraphrase));
  bool all = true;
  for_each_missing(ds, sel, have, [&](size_t, size_t) { all = false; });
  return all;
}

// The keys of the sampling settings, in the file's metadata.
constexpr const char* kSamplingKeys[] = {"num_samples", "temperature", "top_p",
                                         "top_k", "seed", "max_new_tokens"};

std::vector<std::pair<std::string, std::string>> sampling_settings(const ConfidenceOptions& o,
                                                                   const SamplingParams& sp) {
  const std::string values[] = {std::to_string(o.num_samples), real_text(sp.temperature),
                                real_text(sp.top_p),           std::to_string(sp.top_k),
                                std::to_string(sp.seed),       std::to_string(o.max_new_tokens)};
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < std::size(kSamplingKeys); ++i) out.emplace_back(kSamplingKeys[i], values[i]);
  return out;
}

// Every setting that shapes the rows (run_identity.h).
RunIdentity run_identity(const ConfidenceOptions& o, const data::Dataset& ds,
                         const SamplingParams& sp, const std::string& backend) {
  RunIdentity id;
  id.add("dataset", ds.name)
      .add("dataset_fingerprint", ds.fingerprint)
      .add("paraphrase_order", ds.paraphrase_order)
      .add("model_fingerprint", model_fingerprint(resolve_model_path(o.model)))
      .add("precision", backend_precision(backend));
  for (const auto& [k, v] : sampling_settings(o, sp)) id.add(k, v);
  return id;
}

io::Metadata run_metadata(const ConfidenceOptions& o, const RunIdentity& id, Selection sel,
                          size_t total, bool complete, double wall) {
  io::Metadata m = {{"selfens.version", SELFENS_VERSION}};
  for (auto& kv : id.metadata()) m.push_back(std::move(kv));
  m.emplace_back("selfens.model", o.model);
  m.emplace_back("selfens.max_samples", selection_text(sel.questions, total));
  m.emplace_back("selfens.num_paraphrases",
                 sel.paraphrases == SIZE_MAX ? "all" : std::to_string(sel.paraphrases));
  m.emplace_back("selfens.wall_seconds", real_text(wall));
  m.emplace_back("selfens.complete", complete ? "true" : "false");
  if (o.shard.sharded()) m.emplace_back("selfens.shard", o.shard.text());
  return m;
}

std::vector<Row> rows_from_table(const io::Table& t, const data::Dataset& ds) {
  std::unordered_map<std::string, size_t> qi;
  for (size_t i = 0; i < ds.questions.size(); ++i) qi.emplace(ds.questions[i].uuid, i);
  const auto& uuid = t.utf8("uuid");
  const auto& para = t.utf8("paraphrase");
  std::vector<Row> rows(uuid.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    Row& r = rows[i];
    auto it = qi.find(uuid[i]);
    SELFENS_REQUIRE(it != qi.end(), t.origin() + ": row " + std::to_string(i) + ": uuid '" +
                                        uuid[i] + "' is not in data set '" + ds.name + "'");
    r.question = it->second;
    const auto& paras = ds.questions[r.question].paraphrases;
    r.para = static_cast<size_t>(std::find(paras.begin(), paras.end(), para[i]) - paras.begin());
    r.uuid = uuid[i];
    r.paraphrase = para[i];
    r.prompt = t.utf8("prompt")[i];
    r.answers = t.list_utf8("answers")[i];
    r.greedy = t.utf8("greedy_predict")[i];
    r.samples = t.list_utf8("sample_predicts")[i];
    r.greedy_lemma = t.list_utf8("greedy_lemma")[i];
    r.sample_lemmas = t.list_list_utf8("sample_lemmas")[i];
    r.answer_lemmas = t.list_list_utf8("answer_lemmas")[i];
    r.confidence = t.float64("confidence")[i];
  }
  return rows;
}

io::Table rows_to_table(std::vector<Row> rows, io::Metadata metadata) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.question != b.question ? a.question < b.question : a.para < b.para;
  });
  io::Strings uuid, para, prompt, greedy;
  std::vector<io::Strings> answers, samples, greedy_lemma;
  std::vector<std::vector<io::Strings>> sample_lemmas, answer_lemmas;
  std::vector<double> conf;
  for (auto& r : rows) {
    uuid.push_back(std::move(r.uuid));
    para.push_back(std::move(r.paraphrase));
    prompt.push_back(std::move(r.prompt));
    answers.push_back(std::move(r.answers));
    greedy.push_back(std::move(r.greedy));
    samples.push_back(std::move(r.samples));
    greedy_lemma.push_back(std::move(r.greedy_lemma));
    sample_lemmas.push_back(std::move(r.sample_lemmas));
    answer_lemmas.push_back(std::move(r.answer_lemmas));
    conf.push_back(r.confidence);
  }
  io::Table t("confidence");
  t.set("uuid", std::move(uuid));
  t.set("paraphrase", std::move(para));
  t.set("prompt", std::move(prompt));
  t.set("answers", std::move(answers));
  t.set("greedy_predict", std::move(greedy));
  t.set("sample_predicts", std::move(samples));
  t.set("greedy_lemma", std::move(greedy_lemma));
  t.set("sample_lemmas", std::move(sample_lemmas));
  t.set("answer_lemmas", std::move(answer_lemmas));
  t.set("confidence", std::move(conf));
  t.metadata = std::move(metadata);
  return t;
}

Row make_row(const data::Question& q, const Job& job, const SampleOutput& out,
             const Tokenizer& tok, const eval::Lemmatizer& lem) {
  Row r;
  r.question = job.question;
  r.para = job.para;
  r.uuid = q.uuid;
  r.paraphrase = job.paraphrase;
  r.prompt = job.prompt;
  r.answers = q.answers;
  r.greedy = prediction_from_generation(tok.decode(out.greedy, true));
  r.greedy_lemma = lem.lemmas(r.greedy);
  for (const auto& ids : out.samples) {
    r.samples.push_back(prediction_from_generation(tok.decode(ids, true)));
    r.sample_lemmas.push_back(lem.lemmas(r.samples.back()));
  }
  for (const auto& a : q.answers) r.answer_lemmas.push_back(lem.lemmas(a));
  r.confidence = confidence_score(r.greedy_lemma, r.sample_lemmas);
  return r;
}

SamplingParams sampling_params(const ConfidenceOptions& o, const Model& model) {
  SamplingParams p = sampling_defaults(model.generation, o.seed);
  if (o.temperature) p.temperature = *o.temperature;
  if (o.top_p) p.top_p = *o.top_p;
  if (o.top_k) p.top_k = *o.top_k;
  validate(p);
  return p;
}

void validate_options(const ConfidenceOptions& o) {
  SELFENS_REQUIRE(o.num_samples > 0,
                  "confidence: --num_samples must be positive, got " + std::to_string(o.num_samples));
  SELFENS_REQUIRE(o.batch_size > 0, "confidence: --batch_size must be positive");
  SELFENS_REQUIRE(o.max_new_tokens > 0, "confidence: --max_new_tokens must be positive");
  SELFENS_REQUIRE(o.num_paraphrases == -1 || o.num_paraphrases > 0,
                  "confidence: --num_paraphrases must be positive");
  SELFENS_REQUIRE(o.max_samples == -1 || o.max_samples > 0,
                  "confidence: --max_samples must be at least 1, got " + std::to_string(o.max_samples));
  SELFENS_REQUIRE(o.threads >= 0, "confidence: --threads must be positive");
  SELFENS_REQUIRE(!o.output_dir.empty(), "confidence: --output-dir is empty");
  // Checked before the model loads; the model's own defaults are checked later.
  validate(SamplingParams{.temperature = o.temperature.value_or(1.0f),
                          .top_p = o.top_p.value_or(1.0f),
                          .top_k = o.top_k.value_or(0)});
}

}  // namespace

double confidence_score(const eval::LemmaSeq& greedy, const std::vector<eval::LemmaSeq>& samples) {
  if (samples.empty()) return 0;
  size_t hits = 0;
  for (const auto& s : samples) hits += eval::bidirectional_match(greedy, s) ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(samples.size());
}

std::string confidence_settings(const io::Table& table) {
  std::string out;
  for (const char* k : kSamplingKeys)
    out += std::string(out.empty() ? "" : ",") + k + "=" +
           table.metadata_value(std::string("selfens.") + k).value_or("?");
  for (const char* k : {"model_fingerprint", "precision"})
    if (auto v = table.metadata_value(std::string("selfens.") + k)) out += "," + std::string(k) + "=" + *v;
  return out;
}

void check_confidence_dataset(const io::Table& table, const fs::path& path,
                              const std::string& dataset) {
  auto have = table.metadata_value("selfens.dataset");
  SELFENS_REQUIRE(!have || *have == dataset,
                  path.string() + ": confidence scores of data set '" + *have + "', not '" +
                      dataset + "'; run `selfens confidence --dataset " + dataset + "`");
}

namespace {

// Samples every job's prompt (greedy + S samples), appending rows; saves
// checkpoints through `save`. False when interrupted.
bool sample_jobs(const ConfidenceOptions& o, const std::string& backend, const data::Dataset& ds,
                 const std::vector<Job>& jobs, const SamplingParams& sp, const Session& session,
                 const eval::Lemmatizer& lem, std::vector<Row>& rows, ConfidenceResult& res,
                 const std::function<void()>& save) {
  std::vector<std::vector<std::string>> prompts;
  for (const auto& j : jobs) prompts.push_back({j.prompt});
  TokenizedRun tokens =
      tokenize_run(*session.tokenizer, prompts, data::prompt_parts(ds.block, "").prefix);
  for (size_t i = 0; i < jobs.size(); ++i)
    require_within_context(session.model->config,
                           "question uuid '" + ds.questions[jobs[i].question].uuid +
                               "' (paraphrase " + std::to_string(jobs[i].para) + ")",
                           static_cast<int64_t>(tokens.prefix.size() + tokens.views[i][0].size()),
                           o.max_new_tokens);
  SampleRunnerOptions ro{.sampling = sp, .max_new_tokens = o.max_new_tokens};
  const int in_flight = std::max(1, std::min<int>(o.batch_size, static_cast<int>(jobs.size())));
  const JobEngine engine(o.preloaded, session, backend, o.threads);
  SampleRunner runner(*engine, *session.tokenizer, ro, tokens.prefix);
  std::vector<SampleJob> sjobs(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i)
    sjobs[i] = {.index = i, .tokens = &tokens.views[i][0], .greedy = true,
                .num_samples = o.num_samples,
                .uuid_hash = stable_hash(ds.questions[jobs[i].question].uuid),
                .paraphrase = jobs[i].para};
  JobLoop loop("confidence", static_cast<int64_t>(jobs.size()), o.quiet, o.checkpoint, save);
  const bool finished = runner.run(sjobs, in_flight, [&](SampleOutput&& out) {
    const Job& job = jobs[out.index];
    res.forwarded_tokens += out.forwarded_tokens;
    for (const auto& s : out.samples) res.sampled_tokens += static_cast<int64_t>(s.size());
    rows.push_back(make_row(ds.questions[job.question], job, out, *session.tokenizer, lem));
    ++res.new_prompts;
    loop.finished_one();
  }, interrupted);
  loop.finish();
  return finished;
}

}  // namespace

ConfidenceResult run_confidence(const ConfidenceOptions& o) {
  validate_options(o);
  const std::string backend = resolve_backend_kind(o.device);
  const auto start = Clock::now();
  data::Dataset ds =
      data::load_dataset(o.dataset, o.data_dir, o.model, o.output_dir, o.paraphrase_order);
  const size_t total = ds.questions.size();
  const Selection selected = selection_of(ds, o);
  data::require_paraphrases(ds, selected.questions, "confidence", o.model);
  data::OutputPaths paths(o.output_dir, ds.name, o.model);
  ConfidenceResult res;
  res.path = shard_path(paths.confidence(), o.shard);
  io::OutputLock lock(res.path);
  eval::Lemmatizer lem = eval::Lemmatizer::load_default();  // fail before the long part
  const Session session = job_session(o.preloaded, o.model, backend);
  const SamplingParams sp = sampling_params(o, *session.model);
  const RunIdentity id = run_identity(o, ds, sp, backend);

  std::vector<Row> rows;
  Selection selection = selected;
  std::optional<io::Table> file = o.overwrite ? std::nullopt : read_existing_output(res.path);
  if (file) {
    check_confidence_dataset(*file, res.path, ds.name);
    id.require_same(*file, res.path);
    rows = rows_from_table(*file, ds);
    selection = widened(selected, *file, total);
  }
  std::unordered_set<std::string> done;
  for (const auto& r : rows) done.insert(key(r.uuid, r.paraphrase));
  std::vector<Job> jobs = make_jobs(ds, selected, done);
  if (jobs.empty() && file) {
    res.skipped = true;
    res.complete = file->metadata_value("selfens.complete").value_or("true") == "true";
    res.rows = rows.size();
    log::info(res.path.string() + " already holds the selected prompts" +
              (res.complete ? "" : " (it is an unfinished run of more: give its options to finish it)") +
              "; skipping (use --overwrite to redo)");
    if (o.csv) write_csv_copy(res.path, *file);
    return res;
  }
  if (!done.empty())
    log::info("resuming " + res.path.string() + ": " + std::to_string(done.size()) + " prompts done");
  log::info("confidence: " + std::to_string(jobs.size()) + " prompts x " +
            std::to_string(o.num_samples) + " samples, " + describe(sp));
  auto save = [&](bool run_finished) {
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    const bool complete = run_finished && covers(ds, selection, rows);
    const io::Table t = rows_to_table(rows, run_metadata(o, id, selection, total, complete, wall));
    io::write_feather(res.path, t);
    if (o.csv) write_csv_copy(res.path, t);
    return complete;
  };
  bool finished = true;
  if (!jobs.empty())
    finished = sample_jobs(o, backend, ds, jobs, sp, session, lem, rows, res, [&] { save(false); });
  res.complete = save(finished);
  res.interrupted = !finished;
  res.rows = rows.size();
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return res;
}

}  // namespace selfens
