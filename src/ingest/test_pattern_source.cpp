#include "ingest/test_pattern_source.hpp"

#include <chrono>
#include <cmath>
#include <vector>

#include "core/log.hpp"
#include "ingest/test_pattern_image.hpp"
#include "media/encoder.hpp"

namespace sl {

TestPatternSource::TestPatternSource(TestPatternSpec spec, MediaSink& sink, const Clock& clock)
    : spec_(std::move(spec)), sink_(sink), clock_(clock) {}

TestPatternSource::~TestPatternSource() { stop(); }

void TestPatternSource::start() {
  thread_.run([this] { run(); });
}

void TestPatternSource::stop() { thread_.stop_and_join(); }

void TestPatternSource::run() {
  using std::chrono::steady_clock;
  sink_.on_source_event({SourceState::connecting, "", ""});
  const double fps = spec_.fps > 0 ? spec_.fps : 30.0;
  EncoderOptions eo;
  eo.width = spec_.width;
  eo.height = spec_.height;
  eo.fps = fps;
  eo.gop = std::max(1, static_cast<int>(std::lround(fps)));
  auto encoder = Encoder::create(eo);
  if (!encoder.ok()) {
    sink_.on_source_event({SourceState::failed, encoder.error().message, "source_failed"});
    return;
  }

  const auto start = steady_clock::now();
  auto due = [&](int64_t slot) {
    return start + std::chrono::duration_cast<steady_clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(slot) / fps));
  };
  constexpr double kMaxLagS = 2.0;
  int64_t frame_number = 0;  // the barcode: equals the store's lifetime index
  int64_t slot = 0;          // the schedule position: gives the timestamp
  std::vector<Packet> packets;
  while (true) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(due(slot) - steady_clock::now());
    if (!thread_.wait_for_ms(wait.count())) return;
    const int64_t timestamp_ms = std::llround(static_cast<double>(slot) * 1000.0 / fps);
    VideoImage image = render_test_pattern(spec_.width, spec_.height, frame_number, slot);
    packets.clear();
    uint64_t gop = 0;
    if (Status s = (*encoder)->encode(image, timestamp_ms, packets); !s.ok()) {
      log::warn("ingest", "test pattern: " + s.error().message);
    }
    for (const Packet& p : packets) gop = sink_.on_packet(p);
    FrameArrival frame;
    frame.gop_id = gop;
    frame.pts = timestamp_ms;
    frame.timestamp_ms = timestamp_ms;
    frame.wall_ms = clock_.wall_ms();
    frame.image = std::move(image);
    sink_.on_frame(frame);
    if (frame_number == 0) sink_.on_source_event({SourceState::active, "", ""});
    ++frame_number;
    ++slot;
    // Late (a busy machine): catch up in a burst, so timestamp_ms stays n*1000/fps for frame n
    // (the source exists to check frame accuracy). Only a stall of over kMaxLagS seconds skips
    // the missed slots, so a frozen process does not come back with a flood of frames.
    const auto now = steady_clock::now();
    if (now > due(slot + static_cast<int64_t>(kMaxLagS * fps))) {
      const double elapsed = std::chrono::duration<double>(now - start).count();
      slot = std::max(slot, static_cast<int64_t>(std::floor(elapsed * fps)));
    }
  }
}

}  // namespace sl
