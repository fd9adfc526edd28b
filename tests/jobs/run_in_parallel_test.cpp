// run_in_parallel (--devices: one engine per thread): every run happens,
// a failing run stops the others and its exception reaches the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "jobs/job_loop.h"

namespace selfens {
namespace {

TEST(RunInParallel, RunsEachIndexOnce) {
  std::atomic<int> mask{0};
  EXPECT_TRUE(run_in_parallel(4, [&](size_t i, const std::function<bool()>&) {
    mask |= 1 << i;
    return true;
  }));
  EXPECT_EQ(mask.load(), 0xf);
  EXPECT_FALSE(run_in_parallel(3, [](size_t i, const std::function<bool()>&) { return i != 1; }));
}

TEST(RunInParallel, AFailureStopsTheOthersAndIsRethrown) {
  std::atomic<int> stopped{0};
  EXPECT_THROW(run_in_parallel(3, [&](size_t i, const std::function<bool()>& stop) -> bool {
                 if (i == 0) throw std::runtime_error("engine 0 failed");
                 const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                 while (!stop() && std::chrono::steady_clock::now() < deadline)
                   std::this_thread::sleep_for(std::chrono::milliseconds(1));
                 stopped += stop() ? 1 : 0;
                 return false;
               }),
               std::runtime_error);
  EXPECT_EQ(stopped.load(), 2);
}

}  // namespace
}  // namespace selfens
