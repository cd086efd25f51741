// Time sources. Code that needs "now" takes a Clock& so tests can drive time by hand
// (tests/fakes/manual_clock.hpp). wall = Unix epoch ms; steady = monotonic ms for intervals.
#pragma once

#include <cstdint>

namespace sl {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t wall_ms() const = 0;
  virtual int64_t steady_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t wall_ms() const override;
  int64_t steady_ms() const override;
};

}  // namespace sl
