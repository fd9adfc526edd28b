#pragma once
// Per-op timing of the CUDA backend for finding where a step's time goes,
// switched on with SELFENS_CUDA_PROFILE=1 (off: no cost beyond a null check).
// Each profiled op synchronizes the stream after its launch, so the table
// shows host time (checks, uploads, launch) and device time per kind of op;
// the run itself is slower while profiling. Printed to stderr at teardown.
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
  struct Entry {
    long long calls = 0;
    double host_s = 0;   // until the op returned
    double total_s = 0;  // until the stream finished it
  };

  class Scope {
   public:
    Scope(OpProfile* p, std::string name, cudaStream_t s)
        : p_(p), name_(p ? std::move(name) : std::string()), s_(s),
          t0_(std::chrono::steady_clock::now()) {}
    ~Scope() {
      if (p_ == nullptr) return;
      const auto t1 = std::chrono::steady_clock::now();
      cudaStreamSynchronize(s_);
      const auto t2 = std::chrono::steady_clock::now();
      Entry& e = p_->entries_[name_];
      e.calls += 1;
      e.host_s += std::chrono::duration<double>(t1 - t0_).count();
      e.total_s += std::chrono::duration<double>(t2 - t0_).count();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    OpProfile* p_;
    std::string name_;
    cudaStream_t s_;
    std::chrono::steady_clock::time_point t0_;
  };

  void print(std::FILE* out) const {
    std::vector<std::pair<std::string, Entry>> v(entries_.begin(), entries_.end());
    double sum = 0;
    for (const auto& [n, e] : v) sum += e.total_s;
    std::sort(v.begin(), v.end(),
              [](const auto& a, const auto& b) { return a.second.total_s > b.second.total_s; });
    std::fprintf(out, "cuda op profile (synchronized per op; %.3f s in all)\n", sum);
    std::fprintf(out, "  %-28s %9s %10s %10s %9s\n", "op", "calls", "host ms", "total ms", "us/call");
    for (const auto& [n, e] : v)
      std::fprintf(out, "  %-28s %9lld %10.1f %10.1f %9.1f\n", n.c_str(), e.calls, e.host_s * 1e3,
                   e.total_s * 1e3, e.total_s * 1e6 / double(e.calls));
  }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace selfens::cuda
