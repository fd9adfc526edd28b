#pragma once
// Paths the tests read (and a shell runner for the CLI tests): fixtures in the repository, the model cache, and the
// shared data directory that sits beside the checkout (../shared/data).
#include <filesystem>
#include <string>

namespace selfens::test {

std::filesystem::path source_dir();     // repository root
std::filesystem::path fixtures_dir();   // tests/fixtures
std::filesystem::path shared_data_dir();  // $SELFENS_DATA_DIR or ../shared/data
std::filesystem::path selfens_binary();   // the built CLI
// The default model's GGUF file (fetched by scripts/fetch_model.sh). Tests
// that need it fail with a message saying how to fetch it.
std::filesystem::path default_model_gguf();

// Runs `cmd` with /bin/sh; captures stdout, and stderr too unless
// `with_stderr` is false (then stderr goes to the test's own stderr).
struct ShellResult {
  int code = -1;    // exit status; -1 when killed by a signal
  std::string out;
};
ShellResult shell(const std::string& cmd, bool with_stderr = true);

}  // namespace selfens::test
