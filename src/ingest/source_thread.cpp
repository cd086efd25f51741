#include "ingest/source_thread.hpp"

#include <chrono>

namespace sl {

void SourceThread::run(std::function<void()> fn) {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread(std::move(fn));
}

void SourceThread::request_stop() {
  {
    // Under the lock, so a waiter between its predicate check and its sleep cannot miss it.
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

bool SourceThread::wait_for_ms(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  if (ms > 0) cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
  return !stop_;
}

void SourceThread::join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

}  // namespace sl
