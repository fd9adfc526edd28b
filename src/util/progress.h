#pragma once
// A progress bar on stderr with rate and ETA. Silent when quiet is set or
// stderr is not a terminal (then one summary line at the end).
#include <chrono>
#include <cstdint>
#include <string>

namespace selfens {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool quiet);
  ~ProgressBar();
  void advance(int64_t n = 1);
  void finish();

 private:
  void draw(bool final_line);
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool quiet_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace selfens
