#pragma once
// A small fixed pool of worker threads for data-parallel loops (attention
// rows x heads, element-wise ops over rows). The calling thread works too.
// Threads spin briefly between loops before sleeping (thread_pool.cpp).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace selfens::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // total threads incl. the caller; >= 1
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  // Calls fn(begin, end) on disjoint chunks covering [0, n); returns when all
  // are done. Runs inline when n < min_parallel or the pool has one thread.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                    int64_t min_parallel = 2);

 private:
  void worker(int index);
  void run_chunk(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  std::atomic<uint64_t> generation_{0};  // bumped per loop; release publishes job_
  std::atomic<int> pending_{0};           // workers still running the loop
  bool stop_ = false;
};

}  // namespace selfens::cpu
