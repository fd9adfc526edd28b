#include "util/interrupt.h"

#include <csignal>

namespace selfens {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_sigint(int) {
  g_interrupted = 1;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl+C ends the process
}

}  // namespace

void install_interrupt_handler() {
  g_interrupted = 0;
  std::signal(SIGINT, on_sigint);
}

bool interrupted() { return g_interrupted != 0; }
void request_interrupt() { g_interrupted = 1; }

}  // namespace selfens
