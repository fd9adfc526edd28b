#include "util/checkpoint.h"

namespace selfens {

Checkpointer::Checkpointer(CheckpointPolicy policy) : policy_(policy), last_save_(Clock::now()) {}

bool Checkpointer::finished_one() {
  ++since_save_;
  const double elapsed = std::chrono::duration<double>(Clock::now() - last_save_).count();
  if (policy_.seconds > 0 && elapsed >= policy_.seconds) return true;
  return policy_.questions > 0 && since_save_ >= policy_.questions && elapsed >= 1.0;
}

void Checkpointer::saved() {
  since_save_ = 0;
  last_save_ = Clock::now();
}

}  // namespace selfens
