#pragma once
// What every long job does around its runner: one engine on the loaded
// weights, a progress bar, checkpoints of the partial output, and Ctrl+C.
// generate, confidence and paraphrase rounds use it, so a job is its rows
// and its file, not its plumbing.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "model/model.h"
#include "util/checkpoint.h"
#include "util/interrupt.h"
#include "util/progress.h"

namespace selfens {

// An engine for a job on `backend` (resolve_backend_kind's name) with
// `threads` CPU threads; its KV pool is sized by the job's runner.
std::unique_ptr<Engine> open_job_engine(std::shared_ptr<const Model> model,
                                        const std::string& backend, int threads);

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
