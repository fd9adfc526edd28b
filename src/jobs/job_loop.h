#pragma once
// What every long job does around its runner: one engine on the loaded
// weights, a progress bar, checkpoints of the partial output, and Ctrl+C.
// generate, confidence and paraphrase rounds use it, so a job is its rows
// and its file, not its plumbing.
#include <cstdint>
#include <functional>
#include <map>
#include <tuple>
#include <memory>
#include <string>
#include <utility>

#include "engine/engine.h"
#include "methods/session.h"
#include "model/model.h"
#include "util/checkpoint.h"
#include "util/interrupt.h"
#include "util/progress.h"

namespace selfens {

// An engine for a job on `backend` (resolve_backend_kind's name) with
// `threads` CPU threads, on GPU `device` for CUDA; its KV pool is sized by
// the job's runner.
// split_devices: --split layers over those devices (one engine).
std::unique_ptr<Engine> open_job_engine(std::shared_ptr<const Model> model,
                                        const std::string& backend, int threads, int device = 0,
                                        const std::vector<int>& split_devices = {});

// A model kept across jobs (the Python API's Model): its weights and
// tokenizer loaded once, and one engine per (backend, threads) whose device
// weights stay up between jobs. A job borrows the engine; its KV pool and
// spans are the job's and are freed when the job ends. One job at a time.
class LoadedModel {
 public:
  explicit LoadedModel(Session session) : session_(std::move(session)) {}
  const Session& session() const { return session_; }
  Engine& engine(const std::string& backend, int threads, int device = 0,
                 const std::vector<int>& split_devices = {});

 private:
  Session session_;
  std::map<std::tuple<std::string, int, int, std::vector<int>>, std::unique_ptr<Engine>> engines_;
};

// The session of a job: the preloaded one, or `model` loaded for `backend`.
Session job_session(const std::shared_ptr<LoadedModel>& preloaded, const std::string& model,
                    const std::string& backend, const std::vector<int>& split_devices = {});

// The engine of a job: the preloaded model's (its counters reset), or a new
// one that the job owns.
class JobEngine {
 public:
  // device: the GPU of a CUDA backend (--devices).
  JobEngine(const std::shared_ptr<LoadedModel>& preloaded, const Session& session,
            const std::string& backend, int threads, int device = 0,
            const std::vector<int>& split_devices = {});
  Engine& operator*() const { return *engine_; }
  Engine* operator->() const { return engine_; }

 private:
  std::unique_ptr<Engine> owned_;
  Engine* engine_ = nullptr;
};

// Calls run(i, stop) for i in [0, count): inline for one, else one thread
// each, however many cores there are (--devices: an engine per thread, a GPU
// engine mostly waits; util/parallel.h splits CPU work over the cores instead). stop() turns true on Ctrl+C or
// once some run threw; the first exception is rethrown after every thread
// joined. Returns whether every run returned true (finished).
bool run_in_parallel(size_t count,
                     const std::function<bool(size_t, const std::function<bool()>& stop)>& run);

class JobLoop {
 public:
  // `save` writes the partial output (called when a checkpoint is due; may
  // be empty: no checkpoints). Handles Ctrl+C while it lives.
  JobLoop(const std::string& label, int64_t total, bool quiet, CheckpointPolicy checkpoint,
          std::function<void()> save);
  void finished_one();  // one item done: the bar advances, a due checkpoint is saved
  void finish();        // the bar's last line (runners stop on util/interrupt.h's interrupted())

 private:
  InterruptScope interrupt_;  // Ctrl+C stops the runner; the host's handler returns after
  ProgressBar bar_;
  Checkpointer checkpoint_;
  std::function<void()> save_;
};

}  // namespace selfens
