#include "jobs/job_schedule.hpp"

#include <algorithm>

namespace sl::jobs {

NextDue next_due(int64_t due, int64_t period_ms, int64_t now, int64_t min_gap_ms) {
  if (period_ms <= 0) return {std::max(now, due + std::max<int64_t>(min_gap_ms, 0)), 0};
  if (now <= due + period_ms) return {due + period_ms, 0};
  // The smallest k >= 2 with due + k*P >= now; the k - 1 instants before it were skipped.
  const int64_t k = (now - due + period_ms - 1) / period_ms;
  return {due + k * period_ms, k - 1};
}

}  // namespace sl::jobs
