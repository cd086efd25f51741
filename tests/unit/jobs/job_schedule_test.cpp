#include "jobs/job_schedule.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

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

#include "jobs/grid_prerender.hpp"

namespace sl::jobs {
namespace {

using Seen = GridPrerender::Seen;

TEST(GridPrerender, PicksTheFrameNearestEachInstantAsSoonAsTheNextFrameTellsWhich) {
  // 30 fps frames (0, 33, 67, 100, 133, ...), a 100 ms grid.
  EXPECT_EQ(GridPrerender::picks(std::nullopt, Seen{0, 0}, 100), std::vector<int64_t>{0});
  EXPECT_TRUE(GridPrerender::picks(Seen{0, 0}, Seen{1, 33}, 100).empty());
  EXPECT_TRUE(GridPrerender::picks(Seen{1, 33}, Seen{2, 67}, 100).empty());
  // Instant 100 lies on frame 3 itself.
  EXPECT_EQ(GridPrerender::picks(Seen{2, 67}, Seen{3, 100}, 100), std::vector<int64_t>{3});
  // Instant 200 between 183 and 217: 17 vs 17, a tie goes to the earlier frame.
  EXPECT_EQ(GridPrerender::picks(Seen{5, 183}, Seen{6, 217}, 100), std::vector<int64_t>{5});
  // Instant 300 between 283 and 350 (a frame was lost): 283 is nearer.
  EXPECT_EQ(GridPrerender::picks(Seen{8, 283}, Seen{9, 350}, 100), std::vector<int64_t>{8});
  // A gap over several instants: each picks the nearer end, without repeats.
  EXPECT_EQ(GridPrerender::picks(Seen{10, 390}, Seen{11, 720}, 100),
            (std::vector<int64_t>{10, 11}));
}

}  // namespace
}  // namespace sl::jobs
