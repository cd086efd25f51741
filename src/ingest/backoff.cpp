#include "ingest/backoff.hpp"

#include <algorithm>

namespace sl {

Backoff::Backoff(int64_t initial_ms, int64_t max_ms)
    : initial_ms_(std::max<int64_t>(1, initial_ms)),
      max_ms_(std::max(initial_ms_, max_ms)),
      next_ms_(initial_ms_) {}

int64_t Backoff::next_delay_ms() {
  const int64_t delay = next_ms_;
  next_ms_ = std::min(max_ms_, next_ms_ * 2);
  ++attempts_;
  return delay;
}

void Backoff::reset() {
  next_ms_ = initial_ms_;
  attempts_ = 0;
}

}  // namespace sl
