#pragma once
// A progress bar on stderr with rate and ETA. Silent when quiet is set or
// stderr is not a terminal (then one summary line at the end). A host (the
// Python API's tqdm bar) may take the updates instead: ScopedProgressSink.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace selfens {

// Receives a bar's updates instead of stderr: at most every 100 ms and once
// at the end (final true). Not called when the bar is quiet.
using ProgressSink =
    std::function<void(const std::string& label, int64_t done, int64_t total, bool final)>;

// Sends every ProgressBar's updates to `sink` while it lives (process-wide;
// the previous sink returns after).
class ScopedProgressSink {
 public:
  explicit ScopedProgressSink(ProgressSink sink);
  ~ScopedProgressSink();
  ScopedProgressSink(const ScopedProgressSink&) = delete;
  ScopedProgressSink& operator=(const ScopedProgressSink&) = delete;

 private:
  ProgressSink previous_;
};

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
