#include "util/progress.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace selfens {
namespace {
ProgressSink g_sink;
}  // namespace

ScopedProgressSink::ScopedProgressSink(ProgressSink sink) : previous_(std::move(g_sink)) {
  g_sink = std::move(sink);
}
ScopedProgressSink::~ScopedProgressSink() { g_sink = std::move(previous_); }

ProgressBar::ProgressBar(std::string label, int64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total),
      quiet_(quiet),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  // A sink's bar starts now, so that its own clock gives the true rate.
  if (g_sink && !quiet_) g_sink(label_, 0, total_, false);
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::advance(int64_t n) {
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  if ((tty_ || g_sink) && now - last_draw_ > std::chrono::milliseconds(100)) {
    last_draw_ = now;
    draw(false);
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void ProgressBar::draw(bool final_line) {
  if (quiet_) return;
  if (g_sink) {
    g_sink(label_, done_, total_, final_line);
    return;
  }
  if (!tty_ && !final_line) return;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? done_ / secs : 0.0;
  double eta = rate > 0 && total_ > done_ ? (total_ - done_) / rate : 0.0;
  constexpr int kWidth = 30;
  int filled = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : 0;
  if (filled > kWidth) filled = kWidth;
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  std::fprintf(stderr, "%s%s [%s] %lld/%lld %.2f/s elapsed %.0fs ETA %.0fs%s",
               tty_ ? "\r" : "", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_), rate,
               secs, eta, final_line ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace selfens
