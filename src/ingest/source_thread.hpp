// SourceThread: the one thread a source runs on, with the stop flag and the stop-aware sleep
// every source needs. run(fn) starts fn on a new thread; request_stop() sets the flag and wakes
// any wait_for_ms(); join() waits for fn to return. request_stop() may be called from fn itself
// (a sink callback deciding to stop); join() from fn's own thread is a no-op, so the owner's
// later join() (or the destructor) reaps it.
// Threading: request_stop/stopping/wait_for_ms are thread-safe; run/join belong to the owner.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace sl {

class SourceThread {
 public:
  SourceThread() = default;
  ~SourceThread() { stop_and_join(); }
  SourceThread(const SourceThread&) = delete;
  SourceThread& operator=(const SourceThread&) = delete;

  // Starts fn unless a thread is running already (a second start() is a no-op).
  void run(std::function<void()> fn);
  void request_stop();
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  // Sleeps up to `ms`; false when a stop was requested before or meanwhile.
  bool wait_for_ms(int64_t ms);
  void join();
  void stop_and_join() {
    request_stop();
    join();
  }
  // For interrupt callbacks that are given a raw pointer: the flag itself.
  const std::atomic<bool>& stop_flag() const { return stop_; }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace sl
