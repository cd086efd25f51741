// The synthetic source of SPEC's test_pattern type: frames at a fixed rate on an absolute
// schedule (late frames catch up in a burst so frame n is always at n*1000/fps ms; only a stall
// of over 2 s skips ahead), each drawn with the §7
// barcode of its frame number (0, 1, 2, ...: the store's lifetime index) and encoded to H.264
// (one keyframe per second) so the store holds real packets as it would for a camera.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ingest/source.hpp"

namespace sl {

class TestPatternSource final : public Source {
 public:
  TestPatternSource(SourceSpec spec, MediaSink& sink, const Clock& clock);
  ~TestPatternSource() override;
  TestPatternSource(const TestPatternSource&) = delete;
  TestPatternSource& operator=(const TestPatternSource&) = delete;

  void start() override;
  void stop() override;

 private:
  void run();

  const SourceSpec spec_;
  MediaSink& sink_;
  const Clock& clock_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace sl
