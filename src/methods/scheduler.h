#pragma once
// The continuous-batching loop both runners share (greedy methods in
// runner.h, sampling in sampler.h): up to `in_flight` items in flight; each
// step adds the decode rows of the active items, admits new items into the
// same batch, runs one forward call (the runner's step: forward, choose,
// accept), then emits and releases the finished items, keeping slots
// compact in admission order. Stops before a step, dropping unfinished
// items, when should_stop() turns true; returns false then.
//
// Holding (hold_until_free > 0, for backends that replay the graphs of
// shapes they have seen: Engine::steady_shapes): a finished item's output is
// delivered at once, but the item stays in flight as padding rows (the
// runner's add_decode_rows feeds them, their results unused), so that the
// next steps have the shape of the last, until `hold_until_free` slots
// would be free: then every held item goes and new items are admitted
// together. An item that can hold no longer (its KV reservation is full:
// can_hold) goes at once. Outputs are the same either way; only which
// step a question starts in changes.
//
// The runner provides, for its item and active-item types:
//   void begin_step();                                          per-step state
//   void add_decode_rows(Active&, size_t slot, StepBatch&);
//   void admit(const Item&, StepBatch&, std::vector<Active>&);  appends one
//   void step(const StepBatch&, std::vector<Active>&);
//   bool finished(const Active&) const;
//   Output take_output(Active&);   void release(Active&);   void deliver(Output&&);
// and, to hold: bool can_hold(const Active&) const (add_decode_rows then
// feeds the padding rows of finished items and of finished parts of items).
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "engine/step_batch.h"

namespace selfens {

template <class Runner, class Item, class Active>
bool run_continuous_batches(Runner& runner, std::span<const Item> items, int in_flight,
                            const std::function<bool()>& should_stop, int hold_until_free) {
  // Whether the runner can hold finished items at all (the sampler cannot).
  constexpr bool kHolds = requires(const Runner& r, const Active& a) { r.can_hold(a); };
  std::vector<Active> active;
  std::vector<bool> held;  // per slot: finished, delivered, kept as padding
  size_t n_held = 0;
  size_t next = 0;
  StepBatch batch;
  bool stopped = false;
  const auto drop = [&](size_t slot) {
    runner.release(active[slot]);
    active.erase(active.begin() + static_cast<std::ptrdiff_t>(slot));
    n_held -= held[slot] ? 1 : 0;
    held.erase(held.begin() + static_cast<std::ptrdiff_t>(slot));
  };
  while (next < items.size() || active.size() > n_held) {
    if (should_stop && should_stop()) {
      stopped = true;
      break;
    }
    // Refill when enough slots would be free (always, when not holding).
    const size_t live = active.size() - n_held;
    const bool refill = live == 0 || static_cast<int>(in_flight - live) >= hold_until_free;
    if constexpr (kHolds) {
      for (size_t slot = active.size(); slot-- > 0;)
        if (held[slot] && (refill || !runner.can_hold(active[slot]))) drop(slot);
    }
    batch.clear();
    runner.begin_step();
    for (size_t slot = 0; slot < active.size(); ++slot)
      runner.add_decode_rows(active[slot], slot, batch);
    while (refill && next < items.size() && static_cast<int>(active.size()) < in_flight) {
      runner.admit(items[next++], batch, active);
      held.push_back(false);
    }
    if (!batch.empty()) runner.step(batch, active);
    for (size_t slot = 0; slot < active.size();) {
      if (held[slot] || !runner.finished(active[slot])) {
        ++slot;
        continue;
      }
      auto out = runner.take_output(active[slot]);
      bool keep = false;
      if constexpr (kHolds) keep = hold_until_free > 0 && runner.can_hold(active[slot]);
      if (keep) {
        held[slot] = true;
        ++n_held;
        ++slot;
      } else {
        drop(slot);
      }
      runner.deliver(std::move(out));
    }
  }
  for (auto& a : active) runner.release(a);
  return !stopped;
}

}  // namespace selfens
