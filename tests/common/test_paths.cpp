#include "common/test_paths.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace selfens::test {
namespace fs = std::filesystem;

fs::path source_dir() { return fs::path(SELFENS_SOURCE_DIR); }
fs::path fixtures_dir() { return source_dir() / "tests" / "fixtures"; }

fs::path shared_data_dir() {
  if (const char* d = std::getenv("SELFENS_DATA_DIR")) return fs::path(d);
  return source_dir().parent_path() / "shared" / "data";
}

fs::path selfens_binary() { return fs::path(SELFENS_BINARY); }

fs::path default_model_gguf() {
  fs::path dir;
  if (const char* d = std::getenv("SELFENS_MODELS_DIR")) {
    dir = d;
  } else if (const char* h = std::getenv("HOME")) {
    dir = fs::path(h) / ".cache" / "selfens" / "models";
  }
  fs::path p = dir / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(p))
    throw std::runtime_error("default model missing at " + p.string() +
                             ": run scripts/fetch_model.sh");
  return p;
}

ShellResult shell(const std::string& cmd, bool with_stderr) {
  ShellResult r;
  FILE* p = ::popen((with_stderr ? cmd + " 2>&1" : cmd).c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace selfens::test
