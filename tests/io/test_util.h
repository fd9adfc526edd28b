#pragma once
// Helpers for the io tests: scratch directories and running python3.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace selfens::io::test {

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("selfens_io_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

struct PyResult {
  int status;          // 0 when the script succeeded
  std::string output;  // stdout and stderr
};

// Runs `script` with python3 (pyarrow and pandas installed, as in CI).
inline PyResult run_python(const std::filesystem::path& dir, const std::string& script) {
  auto file = dir / "script.py";
  std::ofstream(file) << script;
  std::string cmd = "python3 '" + file.string() + "' 2>&1";
  PyResult r{-1, ""};
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  r.status = ::pclose(p);
  return r;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace selfens::io::test
