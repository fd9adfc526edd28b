#pragma once
// Small helpers shared by the loaders (internal to the model module).
#include <algorithm>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace selfens::detail {

inline std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

// Runs fn(i) for i in [0, n) on up to 16 threads; rethrows the first error.
inline void parallel_for(int n, const std::function<void(int)>& fn) {
  const int n_threads =
      static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 16u));
  std::vector<std::future<void>> jobs;
  for (int t = 0; t < std::min(n_threads, n); ++t)
    jobs.push_back(std::async(std::launch::async, [&, t] {
      for (int i = t; i < n; i += n_threads) fn(i);
    }));
  for (auto& j : jobs) j.get();
}

}  // namespace selfens::detail
