#include "jobs/job_schedule.hpp"

#include <gtest/gtest.h>

namespace sl::jobs {
namespace {

TEST(JobSchedule, ARunWithinItsPeriodSkipsNothing) {
  EXPECT_EQ(next_due(1000, 500, 1200, 100).at, 1500);
  EXPECT_EQ(next_due(1000, 500, 1200, 100).skipped, 0);
  // Ending exactly on the next due instant: that run is not skipped.
  EXPECT_EQ(next_due(1000, 500, 1500, 100).at, 1500);
  EXPECT_EQ(next_due(1000, 500, 1500, 100).skipped, 0);
}

TEST(JobSchedule, DueInstantsPassedDuringARunAreSkippedNotQueued) {
  // Due at 1000, ran until 2600: 1500, 2000 and 2500 passed; the next run is at 3000.
  const NextDue n = next_due(1000, 500, 2600, 100);
  EXPECT_EQ(n.at, 3000);
  EXPECT_EQ(n.skipped, 3);
  // Ending exactly on a due instant runs it.
  const NextDue m = next_due(1000, 500, 2500, 100);
  EXPECT_EQ(m.at, 2500);
  EXPECT_EQ(m.skipped, 2);
}

TEST(JobSchedule, ZeroPeriodIsBackToBackWithAFloor) {
  EXPECT_EQ(next_due(1000, 0, 1030, 100).at, 1100);  // a quick run waits for the floor
  EXPECT_EQ(next_due(1000, 0, 1700, 100).at, 1700);  // a slow one is followed at once
  EXPECT_EQ(next_due(1000, 0, 1700, 100).skipped, 0);
}

}  // namespace
}  // namespace sl::jobs
