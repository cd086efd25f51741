// Internal to sl_engine_torch: a persistent pool of threads that splits a range of independent
// items (the output rows of a few-row matrix product) between the caller and its workers. A
// model owns one, sized to its `threads`; the destructor stops and joins the workers.
// Why persistent: a decode step makes ~4 products per layer, ~1 ms apart; starting threads per
// call cost more than it saved. Why not OpenBLAS's or libtorch's pool: the few-row bf16 products
// are our own kernel, and libtorch's OpenMP pool is kept at 1 thread (load_model.cpp).
// Workers spin for a short while after a job (the next product of the same step follows within
// microseconds), then block on a condition variable, so between requests and during a prefill
// (OpenBLAS's pool at work) they use no CPU.
// Threading: run() may be called from any thread; one job runs at a time, and a caller that finds
// the pool busy (another generation's step) runs its whole range itself. fn must not throw.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sl::engine::torch_impl {

class RowPool {
 public:
  // threads: the caller plus threads - 1 workers (threads <= 1: no workers).
  explicit RowPool(int threads);
  ~RowPool();
  RowPool(const RowPool&) = delete;
  RowPool& operator=(const RowPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls fn(begin, end) for consecutive chunks of [0, count) of `grain` items (the last may be
  // shorter), each chunk exactly once, on this thread and the workers; returns when all are done.
  // Which thread runs a chunk varies, so fn must give the same result wherever it runs.
  void run(std::int64_t count, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn);

 private:
  void work();             // a worker's loop
  void take_chunks();      // claims chunks of the current job until none are left
  bool wait_for_job(std::uint64_t& seen);  // false: stop

  std::vector<std::thread> workers_;
  std::mutex busy_;  // held by the caller of the running job

  // The current job; written while closed_ is true and no worker has entered_.
  const std::function<void(std::int64_t, std::int64_t)>* fn_ = nullptr;
  std::int64_t count_ = 0, grain_ = 1;
  std::atomic<std::int64_t> next_{0};  // first unclaimed item
  std::atomic<bool> closed_{true};     // the job takes no more workers
  std::atomic<int> entered_{0};        // workers inside the job

  std::atomic<std::uint64_t> generation_{0};  // bumped per job: wakes the workers
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};  // set under sleep_mutex_
};

}  // namespace sl::engine::torch_impl
