#pragma once
// A small fixed-size pool of worker threads for data-parallel loops (tangent-vector
// blocks, sweep points). The caller takes part in every loop, so a pool of size 1 runs
// everything on the calling thread. Which thread runs which index never changes a result:
// callers split work into pieces that do not depend on the thread count.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace chaoschip {

class thread_pool {
 public:
  // `threads` counts the caller; 0 means std::thread::hardware_concurrency().
  explicit thread_pool(unsigned threads = 1);
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  unsigned size() const noexcept { return static_cast<unsigned>(workers_.size()) + 1; }

  // Runs fn(i) for every i in [0, count) and returns when all are done. Indices are handed
  // out dynamically. The first exception thrown by fn is rethrown here (the remaining
  // indices are skipped).
  void parallel_for(std::size_t count, const std::function<void(std::size_t)>& fn);

 private:
  void work_on_current();
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  // The current loop.
  const std::function<void(std::size_t)>* fn_ = nullptr;
  std::size_t count_ = 0;
  std::atomic<std::size_t> next_{0};
  std::size_t busy_ = 0;  // workers still inside the current loop
  std::exception_ptr error_;
};

}  // namespace chaoschip
