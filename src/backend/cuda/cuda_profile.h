#pragma once
// Per-op timing of the CUDA backend for finding where a step's time goes.
// SELFENS_CUDA_PROFILE=1 synchronizes the stream after every op: the table
// shows host time (checks, uploads, launch) and host+device time per kind
// of op, and the run itself is slower. SELFENS_CUDA_PROFILE=2 records a pair
// of CUDA events around every op instead (no synchronization): the table
// shows each op's device time, and the summary line how much of the device
// timeline ops kept busy (the rest is the GPU waiting for the host; when the
// host is the bottleneck an op's interval also holds the host's time to
// launch it). SELFENS_CUDA_PROFILE=3 synchronizes before every op and then
// times it with events: host ms is the op's own host cost (no waiting for a
// full launch queue), device ms its own device time (launch included).
// Off: no cost beyond a null check. Printed to stderr at teardown.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace selfens::cuda {

class OpProfile {
 public:
  enum class Mode { kSync, kEvents, kIsolated };

  explicit OpProfile(Mode mode) : mode_(mode) {}
  ~OpProfile() {
    for (const Pending& p : pending_) free_.insert(free_.end(), {p.begin, p.end});
    for (cudaEvent_t e : free_) cudaEventDestroy(e);
  }
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  class Scope {
   public:
    Scope(OpProfile* p, std::string name, cudaStream_t s) : p_(p), s_(s) {
      if (p_ == nullptr) return;
      name_ = std::move(name);
      if (p_->mode_ == Mode::kIsolated) cudaStreamSynchronize(s_);
      t0_ = std::chrono::steady_clock::now();
      if (p_->mode_ != Mode::kSync) {
        ev0_ = p_->take_event();
        cudaEventRecord(ev0_, s_);
      }
    }
    ~Scope() {
      if (p_ == nullptr) return;
      const auto t1 = std::chrono::steady_clock::now();
      const double host_s = std::chrono::duration<double>(t1 - t0_).count();
      if (p_->mode_ != Mode::kSync) {
        cudaEvent_t ev1 = p_->take_event();
        cudaEventRecord(ev1, s_);
        p_->pending_.push_back({std::move(name_), ev0_, ev1, host_s});
        return;
      }
      cudaStreamSynchronize(s_);
      const auto t2 = std::chrono::steady_clock::now();
      Entry& e = p_->entries_[name_];
      e.calls += 1;
      e.host_s += host_s;
      e.total_s += std::chrono::duration<double>(t2 - t0_).count();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    OpProfile* p_;
    cudaStream_t s_;
    std::string name_;
    std::chrono::steady_clock::time_point t0_;
    cudaEvent_t ev0_ = nullptr;
  };

  // Events mode: reads the device times of the ops recorded so far. Call
  // after the stream has been synchronized (it waits for the last event).
  void flush() {
    if (pending_.empty()) return;
    cudaEventSynchronize(pending_.back().end);
    float window_ms = 0;
    cudaEventElapsedTime(&window_ms, pending_.front().begin, pending_.back().end);
    window_s_ += window_ms * 1e-3;
    for (Pending& p : pending_) {
      float ms = 0;
      cudaEventElapsedTime(&ms, p.begin, p.end);
      Entry& e = entries_[p.name];
      e.calls += 1;
      e.host_s += p.host_s;
      e.total_s += ms * 1e-3;
      free_.insert(free_.end(), {p.begin, p.end});
    }
    pending_.clear();
  }

  void print(std::FILE* out) {
    flush();
    std::vector<std::pair<std::string, Entry>> v(entries_.begin(), entries_.end());
    double sum = 0;
    for (const auto& [n, e] : v) sum += e.total_s;
    std::sort(v.begin(), v.end(),
              [](const auto& a, const auto& b) { return a.second.total_s > b.second.total_s; });
    if (mode_ == Mode::kSync) {
      std::fprintf(out, "cuda op profile (synchronized per op; %.3f s in all)\n", sum);
    } else if (mode_ == Mode::kIsolated) {
      std::fprintf(out,
                   "cuda op profile (each op alone: synchronized before, timed with events; "
                   "ops %.3f s of device time)\n",
                   sum);
    } else {
      std::fprintf(out,
                   "cuda op profile (device time from events; ops %.3f s of a %.3f s device "
                   "window between syncs: %.0f%% busy)\n",
                   sum, window_s_, window_s_ > 0 ? 100.0 * sum / window_s_ : 0.0);
    }
    std::fprintf(out, "  %-28s %9s %10s %10s %9s\n", "op", "calls", "host ms",
                 mode_ == Mode::kSync ? "total ms" : "device ms", "us/call");
    for (const auto& [n, e] : v)
      std::fprintf(out, "  %-28s %9lld %10.1f %10.1f %9.1f\n", n.c_str(), e.calls, e.host_s * 1e3,
                   e.total_s * 1e3, e.total_s * 1e6 / double(e.calls));
  }

 private:
  struct Entry {
    long long calls = 0;
    double host_s = 0;   // until the op returned
    double total_s = 0;  // sync mode: until the stream finished it; events: device time
  };
  struct Pending {
    std::string name;
    cudaEvent_t begin, end;
    double host_s;
  };

  cudaEvent_t take_event() {
    if (free_.empty()) {
      cudaEvent_t e = nullptr;
      cudaEventCreate(&e);
      return e;
    }
    cudaEvent_t e = free_.back();
    free_.pop_back();
    return e;
  }

  Mode mode_;
  std::map<std::string, Entry> entries_;
  std::vector<Pending> pending_;
  std::vector<cudaEvent_t> free_;
  double window_s_ = 0;  // device time from the first to the last event of each flush
};

}  // namespace selfens::cuda
