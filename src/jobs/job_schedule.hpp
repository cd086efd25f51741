// When a job's next run falls due, and how many due runs were skipped: the whole no-pile-up rule
// in one pure function, so it is tested without timers.
//
// A job's runs fall due at due0, due0 + P, due0 + 2P, ... (P = delay_seconds or
// interval_seconds). A run executes inline in the job's own coroutine; when it finishes at
// `now`, every due instant that passed while it ran is skipped (counted, never queued) and the
// next run is the first due instant at or after `now`. P = 0 (clip delay_seconds 0) means back
// to back: the next run starts when the previous one ends, but no sooner than `min_gap_ms`
// after the previous one started, and nothing counts as skipped.
#pragma once

#include <cstdint>

namespace sl::jobs {

struct NextDue {
  int64_t at = 0;       // steady ms
  int64_t skipped = 0;  // due instants that passed while the last run was going
};

// `due`: the instant the last run (or skip) was due; `now`: when it ended.
NextDue next_due(int64_t due, int64_t period_ms, int64_t now, int64_t min_gap_ms);

}  // namespace sl::jobs
