#include "util/interrupt.h"

namespace selfens {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
struct sigaction g_previous {};  // the handler before the outermost scope
int g_depth = 0;

extern "C" void on_sigint(int) {
  g_interrupted = 1;
  ::sigaction(SIGINT, &g_previous, nullptr);  // a second Ctrl+C: what it did before
}

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted = 0;
  outer_ = g_depth++ == 0;
  if (!outer_) return;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &previous_);
  g_previous = previous_;
}

InterruptScope::~InterruptScope() {
  --g_depth;
  if (outer_) ::sigaction(SIGINT, &previous_, nullptr);
}

bool interrupted() { return g_interrupted != 0; }
void request_interrupt() { g_interrupted = 1; }

}  // namespace selfens
