#include "methods/confidence.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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
#include "util/check.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/progress.h"

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

size_t question_count(const data::Dataset& ds, int max_samples) {
  return max_samples < 0 ? ds.questions.size()
                         : std::min(ds.questions.size(), static_cast<size_t>(max_samples));
}

// Every selected (question, distinct paraphrase) not yet in `done`.
std::vector<Job> make_jobs(const data::Dataset& ds, const ConfidenceOptions& o,
                           const std::unordered_set<std::string>& done) {
  std::vector<Job> jobs;
  for (size_t q = 0; q < question_count(ds, o.max_samples); ++q) {
    const auto& question = ds.questions[q];
    size_t n = question.paraphrases.size();
    if (o.num_paraphrases >= 0) n = std::min(n, static_cast<size_t>(o.num_paraphrases));
    std::unordered_set<std::string> seen;
    for (size_t v = 0; v < n; ++v) {
      const std::string& p = question.paraphrases[v];
      if (!seen.insert(p).second || done.count(key(question.uuid, p))) continue;
      jobs.push_back({q, v, p, data::build_prompt(ds.block, p)});
    }
  }
  return jobs;
}

io::Metadata run_metadata(const ConfidenceOptions& o, const data::Dataset& ds,
                          const SamplingParams& sp, bool complete, double wall) {
  return {{"selfens.version", SELFENS_VERSION},
          {"selfens.dataset", ds.name},
          {"selfens.model", o.model},
          {"selfens.num_samples", std::to_string(o.num_samples)},
          {"selfens.temperature", real_text(sp.temperature)},
          {"selfens.top_p", real_text(sp.top_p)},
          {"selfens.top_k", std::to_string(sp.top_k)},
          {"selfens.seed", std::to_string(sp.seed)},
          {"selfens.max_new_tokens", std::to_string(o.max_new_tokens)},
          {"selfens.wall_seconds", real_text(wall)},
          {"selfens.complete", complete ? "true" : "false"}};
}

// A previous file may only be continued when it was made the same way.
void check_resumable(const io::Table& t, const fs::path& path, const io::Metadata& now) {
  for (const char* k : {"selfens.dataset", "selfens.num_samples", "selfens.temperature",
                        "selfens.top_p", "selfens.top_k", "selfens.seed", "selfens.max_new_tokens"}) {
    std::string want;
    for (const auto& [name, value] : now)
      if (name == k) want = value;
    auto have = t.metadata_value(k);
    SELFENS_REQUIRE(have && *have == want,
                    path.string() + ": made with " + k + "=" + have.value_or("(missing)") +
                        ", this run has " + want + "; use --overwrite to start again");
  }
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
  SELFENS_REQUIRE(o.num_paraphrases != 0, "confidence: --num_paraphrases must be positive");
  // Checked before the model loads; the model's own defaults are checked later.
  validate(SamplingParams{.temperature = o.temperature.value_or(1.0f),
                          .top_p = o.top_p.value_or(1.0f),
                          .top_k = o.top_k.value_or(0)});
}

void ensure_writable_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  SELFENS_REQUIRE(!ec, dir.string() + ": cannot create the output directory: " + ec.message());
  SELFENS_REQUIRE(::access(dir.c_str(), W_OK) == 0,
                  dir.string() + ": the output directory is not writable");
}

}  // namespace

double confidence_score(const eval::LemmaSeq& greedy, const std::vector<eval::LemmaSeq>& samples) {
  if (samples.empty()) return 0;
  size_t hits = 0;
  for (const auto& s : samples) hits += eval::bidirectional_match(greedy, s) ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(samples.size());
}

void check_confidence_dataset(const io::Table& table, const fs::path& path,
                              const std::string& dataset) {
  auto have = table.metadata_value("selfens.dataset");
  SELFENS_REQUIRE(!have || *have == dataset,
                  path.string() + ": confidence scores of data set '" + *have + "', not '" +
                      dataset + "'; run `selfens confidence --dataset " + dataset + "`");
}

ConfidenceResult run_confidence(const ConfidenceOptions& o) {
  validate_options(o);
  const auto start = Clock::now();
  data::Dataset ds = data::load_dataset(o.dataset, o.data_dir, o.model, o.output_dir);
  data::require_paraphrases(ds, "confidence", o.model);
  data::OutputPaths paths(o.output_dir, ds.name, o.model);
  ConfidenceResult res;
  res.path = paths.confidence();
  eval::Lemmatizer lem = eval::Lemmatizer::load_default();  // fail before the long part
  Session session = open_session(o.model, load_options_for(o.device));
  const SamplingParams sp = sampling_params(o, *session.model);

  std::vector<Row> rows;
  if (!o.overwrite && fs::exists(res.path)) {
    io::Table prev = io::read_feather(res.path);
    check_confidence_dataset(prev, res.path, ds.name);
    check_resumable(prev, res.path, run_metadata(o, ds, sp, false, 0));
    rows = rows_from_table(prev, ds);
    if (prev.metadata_value("selfens.complete").value_or("true") == "true") {
      log::info(res.path.string() + " exists and is complete; skipping (use --overwrite to redo)");
      res.skipped = res.complete = true;
      res.rows = rows.size();
      return res;
    }
  }
  std::unordered_set<std::string> done;
  for (const auto& r : rows) done.insert(key(r.uuid, r.paraphrase));
  if (!done.empty()) log::info("resuming " + res.path.string() + ": " + std::to_string(done.size()) + " prompts done");
  std::vector<Job> jobs = make_jobs(ds, o, done);
  ensure_writable_dir(res.path.parent_path());
  log::info("confidence: " + std::to_string(jobs.size()) + " prompts x " +
            std::to_string(o.num_samples) + " samples, " + describe(sp));

  auto save = [&](bool complete) {
    double wall = std::chrono::duration<double>(Clock::now() - start).count();
    io::write_feather(res.path, rows_to_table(rows, run_metadata(o, ds, sp, complete, wall)));
  };
  bool finished = true;
  if (!jobs.empty()) {
    std::vector<std::vector<std::string>> prompts;
    for (const auto& j : jobs) prompts.push_back({j.prompt});
    TokenizedRun tokens =
        tokenize_run(*session.tokenizer, prompts, data::prompt_parts(ds.block, "").prefix);
    SampleRunnerOptions ro{.sampling = sp, .max_new_tokens = o.max_new_tokens};
    const int in_flight = std::max(1, std::min<int>(o.batch_size, static_cast<int>(jobs.size())));
    EngineOptions eo;
    eo.threads = o.threads;
    eo.backend = o.device;
    eo.kv_pages = sample_kv_pages(ro, static_cast<int64_t>(tokens.prefix.size()),
                                  tokens.max_view_len(), o.num_samples + 1, in_flight, eo.page_size);
    Engine engine(session.model, eo);
    SampleRunner runner(engine, *session.tokenizer, ro, tokens.prefix);
    std::vector<SampleJob> sjobs(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i)
      sjobs[i] = {.index = i, .tokens = &tokens.views[i][0], .greedy = true,
                  .num_samples = o.num_samples,
                  .uuid_hash = stable_hash(ds.questions[jobs[i].question].uuid),
                  .paraphrase = jobs[i].para};
    install_interrupt_handler();
    ProgressBar bar("confidence", static_cast<int64_t>(jobs.size()), o.quiet);
    auto last_save = Clock::now();
    finished = runner.run(sjobs, in_flight, [&](SampleOutput&& out) {
      const Job& job = jobs[out.index];
      res.forwarded_tokens += out.forwarded_tokens;
      for (const auto& s : out.samples) res.sampled_tokens += static_cast<int64_t>(s.size());
      rows.push_back(make_row(ds.questions[job.question], job, out, *session.tokenizer, lem));
      ++res.new_prompts;
      bar.advance();
      if (o.checkpoint_seconds > 0 &&
          std::chrono::duration<double>(Clock::now() - last_save).count() > o.checkpoint_seconds) {
        save(false);
        last_save = Clock::now();
      }
    }, [] { return interrupted(); });
    bar.finish();
  }
  save(finished);
  res.complete = finished;
  res.interrupted = !finished;
  res.rows = rows.size();
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return res;
}

}  // namespace selfens
