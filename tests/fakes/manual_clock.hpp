// A Clock that tests advance by hand.
#pragma once

#include <atomic>

#include "core/clock.hpp"

namespace sl::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t wall_ms = 1'700'000'000'000, int64_t steady_ms = 1'000'000)
      : wall_(wall_ms), steady_(steady_ms) {}
  int64_t wall_ms() const override { return wall_.load(); }
  int64_t steady_ms() const override { return steady_.load(); }
  void advance(int64_t ms) { wall_ += ms; steady_ += ms; }

 private:
  std::atomic<int64_t> wall_;
  std::atomic<int64_t> steady_;
};

}  // namespace sl::testing
