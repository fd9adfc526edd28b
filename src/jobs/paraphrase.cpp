#include "jobs/paraphrase.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <unordered_map>

#include "data/dataset.h"
#include "data/jsonl.h"
#include "data/output_paths.h"
#include "engine/engine.h"
#include "io/atomic_file.h"
#include "methods/answer_text.h"
#include "methods/prompt_tokens.h"
#include "methods/sampler.h"
#include "methods/session.h"
#include "backend/backend.h"
#include "io/output_lock.h"
#include "jobs/job_loop.h"
#include "util/check.h"
#include "util/interrupt.h"
#include "util/log.h"

namespace selfens {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// data/demo/paraphrase_fewshot.json verbatim (tests/jobs/paraphrase_test.cpp
// checks that this copy equals the file).
constexpr std::string_view kDemoFewshot = R"selfens_para({
 "instruction": "Rewrite the question below in other words. Keep its meaning exactly, but change the wording and the sentence structure so that it reads naturally.",
 "prompt_format": "{instruction}\\n{examples joined by blank lines}\\n\\nQ: {question}\\nParaphrase:  where each example is 'Q: {example_question}\\nParaphrase: {its i-th paraphrase}' for round i (0-4)",
 "examples": [
  {
   "question": "what is the tallest mountain in the world?",
   "paraphrases": [
    "which mountain on Earth is the highest?",
    "what is the name of the world's highest peak?",
    "which peak rises higher than any other mountain on the planet?",
    "can you name the tallest mountain on Earth?",
    "the highest mountain in the world is which one?"
   ]
  },
  {
   "question": "who painted the mona lisa?",
   "paraphrases": [
    "which artist created the Mona Lisa?",
    "the Mona Lisa was painted by whom?",
    "who is the painter behind the Mona Lisa?",
    "whose brush produced the famous Mona Lisa portrait?",
    "do you know which artist painted the Mona Lisa?"
   ]
  },
  {
   "question": "what is the longest river in south america?",
   "paraphrases": [
    "which river in South America is the longest?",
    "South America's longest river is which one?",
    "what river runs the greatest distance in South America?",
    "can you tell me the name of the longest South American river?",
    "of all the rivers in South America, which is the longest?"
   ]
  },
  {
   "question": "how many players are on a soccer team?",
   "paraphrases": [
    "how many players does one soccer team put on the field?",
    "a soccer team has how many players in a match?",
    "what is the number of players on a football side?",
    "how many people play for each team in a soccer game?",
    "in soccer, how many players make up a team?"
   ]
  },
  {
   "question": "what year did the first man land on the moon?",
   "paraphrases": [
    "in which year did a human first walk on the moon?",
    "when did the first moon landing with a person take place?",
    "what was the year of the first crewed landing on the moon?",
    "the first person set foot on the moon in what year?",
    "which year saw the first man reach the surface of the moon?"
   ]
  }
 ],
 "sampling": {
  "rounds": 5,
  "temperature": 1.5,
  "top_p": 0.9,
  "max_new_tokens": 30,
  "seed": "round index",
  "keep": "first line of the stripped generation"
 }
}
)selfens_para";

// Every question of the data set (uuid and text only).
std::vector<data::Question> source_questions_all(const ParaphraseOptions& o) {
  std::vector<data::Question> qs;
  if (o.dataset == "demo") {
    qs = data::load_dataset("demo", o.data_dir, o.model, o.output_dir).questions;
  } else {
    // Read test.jsonl directly: load_dataset would also read (and check) an
    // earlier paraphrases.jsonl, which this command replaces.
    for (const auto& rec : data::read_jsonl(o.data_dir / "webqa" / "test.jsonl")) {
      data::Question q;
      q.uuid = rec.str("uuid");
      q.question = rec.str("question");
      qs.push_back(std::move(q));
    }
  }
  for (auto& q : qs) q.paraphrases = {q.question};
  return qs;
}

// The questions a run selects: the first --max_samples.
std::vector<data::Question> source_questions(const ParaphraseOptions& o) {
  std::vector<data::Question> qs = source_questions_all(o);
  if (o.max_samples >= 0 && qs.size() > static_cast<size_t>(o.max_samples))
    qs.resize(static_cast<size_t>(o.max_samples));
  return qs;
}

// The text every prompt of a round starts with (instruction and examples).
std::string round_prefix(const data::ParaphraseFewshot& shots, int round) {
  std::string s = data::paraphrase_prompt(shots, round, "");
  const std::string tail = "Q: \nParaphrase:";
  SELFENS_CHECK(s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0,
                "paraphrase prompt layout changed");
  return s.substr(0, s.size() - tail.size());
}

// One round: a sampled paraphrase per question, appended to its list.
// Returns false when interrupted.
// The rounds share one engine: the weights go to the device once.
bool run_round(const ParaphraseOptions& o, const data::ParaphraseFewshot& shots, int round,
               Session& session, Engine& engine, std::vector<data::Question>& qs,
               ParaphraseResult& res) {
  std::vector<std::vector<std::string>> prompts;
  for (const auto& q : qs) prompts.push_back({data::paraphrase_prompt(shots, round, q.question)});
  TokenizedRun tokens = tokenize_run(*session.tokenizer, prompts, round_prefix(shots, round));
  for (size_t i = 0; i < qs.size(); ++i)
    require_within_context(session.model->config, "question uuid '" + qs[i].uuid + "' (paraphrase prompt)",
                           static_cast<int64_t>(tokens.prefix.size() + tokens.views[i][0].size()),
                           shots.max_new_tokens);
  SampleRunnerOptions ro;
  ro.sampling = {.temperature = shots.temperature, .top_p = shots.top_p,
                 .top_k = o.top_k.value_or(sampling_defaults(session.model->generation).top_k),
                 .seed = static_cast<uint64_t>(round + 1)};  // the original: seed i in round i
  ro.max_new_tokens = shots.max_new_tokens;
  const int in_flight = std::max(1, std::min<int>(o.batch_size, static_cast<int>(qs.size())));
  SampleRunner runner(engine, *session.tokenizer, ro, tokens.prefix);
  std::vector<SampleJob> jobs(qs.size());
  for (size_t i = 0; i < qs.size(); ++i)
    jobs[i] = {.index = i, .tokens = &tokens.views[i][0], .greedy = false, .num_samples = 1,
               .uuid_hash = stable_hash(qs[i].uuid), .paraphrase = 0};
  std::vector<std::string> out(qs.size());
  // No checkpoints: a round is written only when every round is done.
  JobLoop loop("paraphrase round " + std::to_string(round + 1) + "/" + std::to_string(shots.rounds),
               static_cast<int64_t>(qs.size()), o.quiet, {}, {});
  bool done = runner.run(jobs, in_flight, [&](SampleOutput&& r) {
    out[r.index] = prediction_from_generation(session.tokenizer->decode(r.samples[0], true));
    loop.finished_one();
  }, interrupted);
  loop.finish();
  if (!done) return false;
  for (size_t i = 0; i < qs.size(); ++i) {
    res.empty += out[i].empty() ? 1 : 0;
    qs[i].paraphrases.push_back(std::move(out[i]));
  }
  return true;
}

}  // namespace

std::string_view demo_paraphrase_fewshot_json() { return kDemoFewshot; }

data::ParaphraseFewshot paraphrase_fewshot_for(const std::string& dataset,
                                               const fs::path& data_dir) {
  if (dataset == "webqa") return data::load_paraphrase_fewshot(data_dir / "webqa" / "paraphrase_fewshot.json");
  SELFENS_REQUIRE(dataset == "demo", "paraphrase: --dataset must be webqa or demo, got '" + dataset +
                                         "' (myriadlama and .jsonl sets bring their own paraphrases)");
  // data::load_paraphrase_fewshot reads a file: hand it the compiled-in copy.
  fs::path tmp = fs::temp_directory_path() / "selfens-demo-paraphrase-XXXXXX.json";
  std::string name = tmp.string();
  int fd = ::mkstemps(name.data(), 5);
  SELFENS_REQUIRE(fd >= 0, name + ": cannot create a temporary file");
  ::close(fd);
  io::atomic_write_file(name, kDemoFewshot);
  try {
    data::ParaphraseFewshot shots = data::load_paraphrase_fewshot(name);
    fs::remove(name);
    return shots;
  } catch (...) {
    fs::remove(name);
    throw;
  }
}

namespace {

// Paraphrases an earlier run wrote, by uuid; InputError when they were made
// with another number of rounds.
std::unordered_map<std::string, std::vector<std::string>> existing_paraphrases(
    const fs::path& path, int rounds) {
  std::unordered_map<std::string, std::vector<std::string>> out;
  for (const auto& rec : data::read_jsonl(path)) {
    std::vector<std::string> paras = data::numbered_paraphrases(rec);
    SELFENS_REQUIRE(static_cast<int>(paras.size()) == rounds + 1,
                    rec.where() + ": " + std::to_string(paras.size()) +
                        " paraphrases, this run makes " + std::to_string(rounds + 1) +
                        " per question; use --overwrite to make the file again");
    out.emplace(rec.str("uuid"), std::move(paras));
  }
  return out;
}

}  // namespace

ParaphraseResult run_paraphrase(const ParaphraseOptions& o) {
  const auto start = Clock::now();
  SELFENS_REQUIRE(o.batch_size > 0, "paraphrase: --batch_size must be positive");
  SELFENS_REQUIRE(o.max_samples == -1 || o.max_samples > 0,
                  "paraphrase: --max_samples must be at least 1, got " + std::to_string(o.max_samples));
  SELFENS_REQUIRE(!o.output_dir.empty(), "paraphrase: --output-dir is empty");
  const std::string backend = resolve_backend_kind(o.device);
  data::ParaphraseFewshot shots = paraphrase_fewshot_for(o.dataset, o.data_dir);
  if (o.temperature) shots.temperature = *o.temperature;
  if (o.top_p) shots.top_p = *o.top_p;
  if (o.max_new_tokens) shots.max_new_tokens = *o.max_new_tokens;
  validate(SamplingParams{.temperature = shots.temperature, .top_p = shots.top_p,
                          .top_k = o.top_k.value_or(0)});
  SELFENS_REQUIRE(shots.max_new_tokens > 0, "paraphrase: --max_new_tokens must be positive");
  SELFENS_REQUIRE(shots.rounds > 0, "paraphrase: the few-shot file asks for no rounds");

  ParaphraseResult res;
  res.rounds = shots.rounds;
  res.path = data::OutputPaths(o.output_dir, o.dataset, o.model).paraphrases();
  io::OutputLock lock(res.path);
  std::vector<data::Question> all = source_questions(o);
  SELFENS_REQUIRE(!all.empty(), "paraphrase: no questions in data set '" + o.dataset + "'");
  // An existing file is extended: questions it covers keep their paraphrases
  // (each question's samples depend only on its uuid and the round).
  std::unordered_map<std::string, std::vector<std::string>> have;
  if (!o.overwrite && fs::exists(res.path)) have = existing_paraphrases(res.path, shots.rounds);
  std::vector<data::Question> todo;
  for (const auto& q : all)
    if (!have.count(q.uuid)) todo.push_back(q);
  if (todo.empty()) {
    log::info(res.path.string() + " covers the " + std::to_string(all.size()) +
              " selected questions; skipping (use --overwrite to make new paraphrases)");
    res.skipped = true;
    res.questions = have.size();
    return res;
  }
  if (!have.empty())
    log::info("extending " + res.path.string() + " (" + std::to_string(have.size()) +
              " questions) by " + std::to_string(todo.size()));
  Session session = open_session(o.model, load_options_for(backend));
  const std::unique_ptr<Engine> engine = open_job_engine(session.model, backend, o.threads);
  for (int r = 0; r < shots.rounds; ++r) {
    if (!run_round(o, shots, r, session, *engine, todo, res)) {
      res.interrupted = true;
      log::warn("interrupted: nothing written; run the same command again");
      return res;
    }
  }
  for (auto& q : todo) have[q.uuid] = std::move(q.paraphrases);
  // Every question the file covers, in data set order.
  std::vector<data::Question> out;
  for (auto& q : source_questions_all(o)) {
    auto it = have.find(q.uuid);
    if (it == have.end()) continue;
    q.paraphrases = it->second;
    out.push_back(std::move(q));
  }
  data::write_paraphrases_jsonl(res.path, out);
  res.questions = out.size();
  if (res.empty > 0) log::warn(std::to_string(res.empty) + " generated paraphrases are empty");
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return res;
}

}  // namespace selfens
