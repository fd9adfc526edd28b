#pragma once
// The continuous-batching loop both runners share (greedy methods in
// runner.h, sampling in sampler.h): up to `in_flight` items in flight; each
// step adds the decode rows of the active items, admits new items into the
// same batch, runs one forward call (the runner's step: forward, choose,
// accept), then emits and releases the finished items, keeping slots
// compact in admission order. Stops before a step, dropping unfinished
// items, when should_stop() turns true; returns false then.
//
// The runner provides, for its item and active-item types:
//   void begin_step();                                          per-step state
//   void add_decode_rows(Active&, size_t slot, StepBatch&);
//   void admit(const Item&, StepBatch&, std::vector<Active>&);  appends one
//   void step(const StepBatch&, std::vector<Active>&);
//   bool finished(const Active&) const;
//   Output take_output(Active&);   void release(Active&);   void deliver(Output&&);
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "engine/step_batch.h"

namespace selfens {

template <class Runner, class Item, class Active>
bool run_continuous_batches(Runner& runner, std::span<const Item> items, int in_flight,
                            const std::function<bool()>& should_stop) {
  std::vector<Active> active;
  size_t next = 0;
  StepBatch batch;
  bool stopped = false;
  while (next < items.size() || !active.empty()) {
    if (should_stop && should_stop()) {
      stopped = true;
      break;
    }
    batch.clear();
    runner.begin_step();
    for (size_t slot = 0; slot < active.size(); ++slot)
      runner.add_decode_rows(active[slot], slot, batch);
    while (next < items.size() && static_cast<int>(active.size()) < in_flight)
      runner.admit(items[next++], batch, active);
    if (!batch.empty()) runner.step(batch, active);
    for (size_t slot = 0; slot < active.size();) {
      if (!runner.finished(active[slot])) {
        ++slot;
        continue;
      }
      auto out = runner.take_output(active[slot]);
      runner.release(active[slot]);
      active.erase(active.begin() + static_cast<std::ptrdiff_t>(slot));
      runner.deliver(std::move(out));
    }
  }
  for (auto& a : active) runner.release(a);
  return !stopped;
}

}  // namespace selfens
