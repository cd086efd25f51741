#include "engine/torch/row_pool.hpp"

#include <algorithm>
#include <chrono>

namespace sl::engine::torch_impl {

namespace {

// How long a worker keeps polling for the next job before it blocks. Short: the products of a
// decode step come a few to a few hundred microseconds apart, and a worker that polls longer
// takes CPU time from the caller's own thread whenever another process wants the cores (with
// the kernel's autogroup scheduling, a process's threads share one share of the machine):
// measured on 2 shared cores under load 4-5, polling 300 us made a 500M decode step slower than
// no pool at all. A worker woken late only takes fewer chunks (run() hands them out one by one).
constexpr auto kSpin = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

RowPool::RowPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

RowPool::~RowPool() {
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);  // see run(): no lost wake-up
    stop_.store(true);
  }
  generation_.fetch_add(1);
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void RowPool::run(std::int64_t count, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (count <= 0) return;
  grain = std::max<std::int64_t>(grain, 1);
  if (workers_.empty() || count <= grain || !busy_.try_lock()) {
    fn(0, count);
    return;
  }
  std::lock_guard<std::mutex> hold(busy_, std::adopt_lock);
  fn_ = &fn;
  count_ = count;
  grain_ = grain;
  next_.store(0, std::memory_order_relaxed);
  closed_.store(false);  // publishes the job to workers that enter from now on
  generation_.fetch_add(1);
  {
    // A worker checks generation_ under this mutex before it sleeps: taking it here means it
    // either saw the new generation or is already waiting when notified.
    std::lock_guard<std::mutex> lock(sleep_mutex_);
  }
  wake_.notify_all();
  take_chunks();
  // Every chunk is claimed; close the job and wait for workers still inside it (finishing a
  // chunk, or just entered and leaving). A worker that enters after this sees closed_ and leaves
  // without touching the job (closed_ and entered_ are sequentially consistent: either it sees
  // closed_ or this loop sees it entered).
  closed_.store(true);
  for (int i = 0; entered_.load() != 0; ++i) {
    if (i < 1024) cpu_relax();
    else std::this_thread::yield();
  }
}

void RowPool::take_chunks() {
  for (;;) {
    const std::int64_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
    if (begin >= count_) return;
    (*fn_)(begin, std::min(begin + grain_, count_));
  }
}

bool RowPool::wait_for_job(std::uint64_t& seen) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (int i = 1;; ++i) {
    const std::uint64_t g = generation_.load(std::memory_order_acquire);
    if (g != seen) {
      seen = g;
      return true;
    }
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline) break;
  }
  std::unique_lock<std::mutex> lock(sleep_mutex_);
  wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
  if (stop_.load()) return false;
  seen = generation_.load();
  return true;
}

void RowPool::work() {
  std::uint64_t seen = 0;
  for (;;) {
    if (!wait_for_job(seen)) return;
    entered_.fetch_add(1);
    if (!closed_.load()) take_chunks();
    entered_.fetch_sub(1);
    if (stop_.load()) return;
  }
}

}  // namespace sl::engine::torch_impl
