// The synthetic source of SPEC's test_pattern type: frames at a fixed rate on an absolute
// schedule (late frames catch up in a burst so frame n is always at n*1000/fps ms; only a stall
// of over 2 s skips ahead), each drawn with the §7
// barcode of its frame number (0, 1, 2, ...: the store's lifetime index) and encoded to H.264
// (one keyframe per second) so the store holds real packets as it would for a camera.
#pragma once

#include "ingest/source.hpp"
#include "ingest/source_thread.hpp"

namespace sl {

class TestPatternSource final : public Source {
 public:
  TestPatternSource(TestPatternSpec spec, MediaSink& sink, const Clock& clock);
  ~TestPatternSource() override;
  TestPatternSource(const TestPatternSource&) = delete;
  TestPatternSource& operator=(const TestPatternSource&) = delete;

  void start() override;
  void stop() override;

 private:
  void run();

  const TestPatternSpec spec_;
  MediaSink& sink_;
  const Clock& clock_;
  SourceThread thread_;  // last: joined first
};

}  // namespace sl
