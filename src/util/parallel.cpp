#include "util/parallel.h"

#include <algorithm>
#include <future>
#include <thread>
#include <vector>

namespace selfens {

int hardware_threads() { return int(std::max(std::thread::hardware_concurrency(), 1u)); }

void parallel_ranges(size_t n, size_t min_part, const std::function<void(size_t, size_t)>& body) {
  const size_t hardware = size_t(hardware_threads());
  const size_t parts = std::min<size_t>({hardware, 16, n / std::max<size_t>(min_part, 1)});
  if (parts <= 1) {
    if (n > 0) body(0, n);
    return;
  }
  std::vector<std::future<void>> jobs;
  for (size_t p = 1; p < parts; ++p)
    jobs.push_back(std::async(std::launch::async, [&, p] { body(n * p / parts, n * (p + 1) / parts); }));
  body(0, n / parts);
  for (auto& j : jobs) j.get();  // a future's destructor waits too: no thread outlives this
}

void parallel_each(size_t n, const std::function<void(size_t)>& fn) {
  parallel_ranges(n, 1, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) fn(i);
  });
}

}  // namespace selfens
