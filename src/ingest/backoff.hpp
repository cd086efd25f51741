// Capped exponential backoff for reconnecting pull sources: initial, 2x, 4x, ... up to the cap,
// back to the initial delay after a connection that worked. No jitter: one server reconnecting
// to one camera gains nothing from it, and a fixed sequence is easy to test.
#pragma once

#include <cstdint>

namespace sl {

class Backoff {
 public:
  Backoff(int64_t initial_ms, int64_t max_ms);
  // The delay before the next attempt; each call doubles the following one, up to the cap.
  int64_t next_delay_ms();
  void reset();
  // Delays handed out since construction or the last reset().
  int attempts() const { return attempts_; }

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  int64_t next_ms_;
  int attempts_ = 0;
};

}  // namespace sl
