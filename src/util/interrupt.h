#pragma once
// Ctrl+C handling for long runs: the first SIGINT sets a flag that the run
// loop polls (it then stops cleanly and saves what it finished); a second one
// falls back to the default action. The flag is process-wide by nature.
namespace selfens {

// Installs the handler (idempotent) and clears the flag.
void install_interrupt_handler();
bool interrupted();
// For tests: raise the flag as SIGINT would.
void request_interrupt();

}  // namespace selfens
