#include "streams/source_reaper.hpp"

#include "streams/stream.hpp"

namespace sl {

SourceReaper::SourceReaper() : thread_([this] { run(); }) {}

SourceReaper::~SourceReaper() {
  {
    std::lock_guard lk(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SourceReaper::stop(std::shared_ptr<Stream> owner, std::shared_ptr<Source> source) {
  if (!source) return;
  {
    std::lock_guard lk(mu_);
    jobs_.push_back(Job{std::move(owner), std::move(source)});
  }
  cv_.notify_one();
}

void SourceReaper::drain() {
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [&] { return jobs_.empty() && !busy_; });
}

void SourceReaper::run() {
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [&] { return quit_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // quit_ with nothing left
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lk.unlock();
    job.source->stop();
    job.source.reset();
    job.owner.reset();  // may destroy the stream (its source is gone already)
    lk.lock();
    busy_ = false;
    if (jobs_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace sl
