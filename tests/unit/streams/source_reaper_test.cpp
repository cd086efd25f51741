#include "streams/source_reaper.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace sl {
namespace {

class SlowSource final : public Source {
 public:
  explicit SlowSource(std::atomic<int>& stopped) : stopped_(stopped) {}
  void start() override {}
  void stop() override {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ++stopped_;
  }

 private:
  std::atomic<int>& stopped_;
};

// DELETE and lease expiry run on network threads: handing a source over must not wait for its
// thread to be joined (a network source can take a read timeout to notice).
TEST(SourceReaper, HandingOverDoesNotWaitAndDrainDoes) {
  std::atomic<int> stopped{0};
  SourceReaper reaper;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) reaper.stop(nullptr, std::make_unique<SlowSource>(stopped));
  const auto handed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(handed, std::chrono::milliseconds(150));
  reaper.drain();
  EXPECT_EQ(stopped.load(), 3);
}

TEST(SourceReaper, DestructorStopsWhatIsQueued) {
  std::atomic<int> stopped{0};
  {
    SourceReaper reaper;
    reaper.stop(nullptr, std::make_unique<SlowSource>(stopped));
    reaper.stop(nullptr, std::make_unique<SlowSource>(stopped));
  }
  EXPECT_EQ(stopped.load(), 2);
}

}  // namespace
}  // namespace sl
