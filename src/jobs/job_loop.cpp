#include "jobs/job_loop.h"

#include <atomic>
#include <exception>
#include <thread>

#include "util/interrupt.h"

namespace selfens {

std::unique_ptr<Engine> open_job_engine(std::shared_ptr<const Model> model,
                                        const std::string& backend, int threads, int device,
                                        const std::vector<int>& split_devices) {
  EngineOptions eo;
  eo.threads = threads;
  eo.tuning.cuda_device = device;
  eo.split_devices = split_devices;
  eo.backend = backend;
  eo.kv_pages = 0;  // the runner sizes the pool for its plan
  return std::make_unique<Engine>(std::move(model), eo);
}

Engine& LoadedModel::engine(const std::string& backend, int threads, int device,
                            const std::vector<int>& split_devices) {
  std::unique_ptr<Engine>& e = engines_[{backend, threads, device, split_devices}];
  if (!e) e = open_job_engine(session_.model, backend, threads, device, split_devices);
  return *e;
}

Session job_session(const std::shared_ptr<LoadedModel>& preloaded, const std::string& model,
                    const std::string& backend, const std::vector<int>& split_devices) {
  if (preloaded) return preloaded->session();
  return open_session(model, load_options_for(backend, split_devices));
}

JobEngine::JobEngine(const std::shared_ptr<LoadedModel>& preloaded, const Session& session,
                     const std::string& backend, int threads, int device,
                     const std::vector<int>& split_devices) {
  if (preloaded) {
    engine_ = &preloaded->engine(backend, threads, device, split_devices);
    engine_->reset_stats();
  } else {
    owned_ = open_job_engine(session.model, backend, threads, device, split_devices);
    engine_ = owned_.get();
  }
}

bool run_in_parallel(size_t count,
                     const std::function<bool(size_t, const std::function<bool()>& stop)>& run) {
  std::atomic<bool> failed{false};
  const std::function<bool()> stop = [&] { return failed.load() || interrupted(); };
  std::vector<char> finished(count, 0);
  std::vector<std::exception_ptr> errors(count);
  auto drive = [&](size_t i) {
    try {
      finished[i] = run(i, stop);
    } catch (...) {
      errors[i] = std::current_exception();
      failed = true;
    }
  };
  if (count == 1) {
    drive(0);
  } else {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < count; ++i) threads.emplace_back(drive, i);
    for (auto& t : threads) t.join();
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  for (char f : finished)
    if (!f) return false;
  return true;
}

JobLoop::JobLoop(const std::string& label, int64_t total, bool quiet, CheckpointPolicy checkpoint,
                 std::function<void()> save)
    : bar_(label, total, quiet), checkpoint_(checkpoint), save_(std::move(save)) {}

void JobLoop::finished_one() {
  bar_.advance();
  if (save_ && checkpoint_.finished_one()) {
    save_();
    checkpoint_.saved();
  }
}

void JobLoop::finish() { bar_.finish(); }

}  // namespace selfens
