#pragma once
// Ctrl+C handling for long runs: while an InterruptScope lives, the first
// SIGINT sets a flag that the run loop polls (it then stops cleanly and
// saves what it finished) and puts the previous handler back, so a second
// Ctrl+C does what it did before the run (the CLI: end the process). The
// scope's end restores the previous handler too: a host process (Python)
// gets its own Ctrl+C handling back after a job. The flag is process-wide.
#include <csignal>

namespace selfens {

class InterruptScope {
 public:
  InterruptScope();  // installs the handler and clears the flag
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_ {};
  bool outer_ = false;  // the outermost scope installs and restores
};

bool interrupted();
// For tests: raise the flag as SIGINT would.
void request_interrupt();

}  // namespace selfens
