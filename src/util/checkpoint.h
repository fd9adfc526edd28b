#pragma once
// When a long job saves its partial output: after every `questions` newly
// finished questions or `seconds` since the last save, whichever comes
// first, but not more often than once a second (a big file rewritten after
// every few questions would slow a fast GPU run). 0 turns a trigger off;
// both 0: only the final save.
#include <chrono>
#include <cstdint>

namespace selfens {

struct CheckpointPolicy {
  double seconds = 10;
  int64_t questions = 50;
};

class Checkpointer {
 public:
  explicit Checkpointer(CheckpointPolicy policy);
  // Counts one finished question; true when a save is due now.
  bool finished_one();
  void saved();  // call after each save

 private:
  using Clock = std::chrono::steady_clock;
  CheckpointPolicy policy_;
  int64_t since_save_ = 0;
  Clock::time_point last_save_;
};

}  // namespace selfens
