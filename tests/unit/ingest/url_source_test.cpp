#include "ingest/url_source.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <future>
#include <random>
#include <thread>

#include "fakes/recording_sink.hpp"
#include "loopback_server.hpp"

namespace sl {
namespace {

namespace fs = std::filesystem;
using testing::RecordingSink;

// SPEC §7's barcode filter, as test media is made.
constexpr const char* kBarcodeFilter =
    "format=yuv420p,geq=lum='if(lt(Y,max(32,H/8)),if(mod(floor(N/pow(2,15-floor(X*16/W))),2),"
    "235,16),lum(X,Y))':cb='cb(X,Y)':cr='cr(X,Y)'";

bool have_ffmpeg() { return std::system("ffmpeg -version > /dev/null 2>&1") == 0; }

// Stops a source on another thread and reports whether it returned within a generous
// watchdog: a hang fails the test instead of blocking the suite.
bool stops(Source& source) {
  auto done = std::async(std::launch::async, [&] { source.stop(); });
  return done.wait_for(std::chrono::seconds(15)) == std::future_status::ready;
}

IngestOptions fast_retry_options() {
  IngestOptions o;
  o.backoff_initial_ms = 10;
  o.backoff_max_ms = 40;
  o.connect_timeout_ms = 2000;
  o.read_timeout_ms = 2000;
  return o;
}

UrlSourceSpec url_spec(const std::string& url) { return UrlSourceSpec{url}; }

class UrlSourceFile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_ffmpeg()) return;
    std::string tmpl = (fs::temp_directory_path() / "sl-urlsource-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return;
    dir_ = tmpl;
    // Two seconds at 30 fps, GOPs of 15 frames, B-frames on purpose (decoder reordering).
    const std::string cmd =
        "ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 "
        "-vf \"" + std::string(kBarcodeFilter) +
        "\" -c:v libx264 -bf 2 -g 15 -x264-params scenecut=0 -f mpegts " +
        (dir_ / "clip.ts").string();
    if (std::system(cmd.c_str()) != 0) fs::remove(dir_ / "clip.ts");
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
    dir_.clear();
  }
  void SetUp() override {
    if (dir_.empty() || !fs::exists(dir_ / "clip.ts")) GTEST_SKIP() << "ffmpeg with libx264 needed";
  }
  static inline fs::path dir_;  // suite-wide: the clip is made once
};

TEST_F(UrlSourceFile, DeliversEveryFrameInOrderThenEnds) {
  RecordingSink sink;
  SystemClock clock;
  IngestOptions options;
  options.file_root = dir_.string();
  UrlSource source(url_spec("file://" + (dir_ / "clip.ts").string()), options, sink, clock);
  source.start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) {
    return s.saw_state(SourceState::ended) || s.saw_state(SourceState::failed);
  }));
  source.stop();

  auto frames = sink.snapshot_frames();
  ASSERT_EQ(frames.size(), 60u);
  const auto packet_gops = sink.snapshot_packet_gops();
  ASSERT_FALSE(packet_gops.empty());
  const uint64_t first_gop = packet_gops.front();
  EXPECT_TRUE(sink.snapshot_packets().front().keyframe);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].barcode, static_cast<int64_t>(i)) << i;
    EXPECT_EQ(frames[i].gop_id, first_gop + i / 15) << i;
    EXPECT_EQ(frames[i].width, 320);
    if (i > 0) {
      EXPECT_GT(frames[i].timestamp_ms, frames[i - 1].timestamp_ms);
      EXPECT_GT(frames[i].pts, frames[i - 1].pts);
    }
  }
  EXPECT_EQ(frames.front().timestamp_ms, 0);
  // Source pts (90 kHz) drive the clock: frame 59 is at 59/30 s.
  EXPECT_NEAR(static_cast<double>(frames.back().timestamp_ms), 59 * 1000.0 / 30, 2.0);
  EXPECT_EQ(sink.snapshot_decode_errors(), 0);
  EXPECT_EQ(sink.snapshot_reconnects(), 0);

  auto events = sink.snapshot_events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].state, SourceState::connecting);
  EXPECT_EQ(events[1].state, SourceState::active);
  EXPECT_EQ(events[2].state, SourceState::ended);
  EXPECT_EQ(events[2].end_reason, "source_ended");
}

TEST_F(UrlSourceFile, StopDuringPlaybackIsPrompt) {
  RecordingSink sink;
  SystemClock clock;
  IngestOptions options;
  options.file_root = dir_.string();
  UrlSource source(url_spec("file://" + (dir_ / "clip.ts").string()), options, sink, clock);
  source.start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 3; }));
  EXPECT_TRUE(stops(source));
  EXPECT_LT(sink.snapshot_frames().size(), 60u);  // real-time pacing: it was still playing
  EXPECT_FALSE(sink.saw_state(SourceState::ended));
}

TEST_F(UrlSourceFile, FilesOutsideTheRootFail) {
  RecordingSink sink;
  SystemClock clock;
  IngestOptions options;  // no file root: file sources disabled
  UrlSource source(url_spec("file://" + (dir_ / "clip.ts").string()), options, sink, clock);
  source.start();
  ASSERT_TRUE(
      sink.wait_until([](const RecordingSink& s) { return s.saw_state(SourceState::failed); }));
  source.stop();
  auto events = sink.snapshot_events();
  EXPECT_EQ(events.back().end_reason, "source_failed");
  EXPECT_NE(events.back().error.find("disabled"), std::string::npos);
  EXPECT_TRUE(sink.snapshot_frames().empty());
}

TEST_F(UrlSourceFile, OversizedVideoIsRefusedForGood) {
  RecordingSink sink;
  SystemClock clock;
  IngestOptions options;
  options.file_root = dir_.string();
  options.max_width = 160;
  UrlSource source(url_spec("file://" + (dir_ / "clip.ts").string()), options, sink, clock);
  source.start();
  ASSERT_TRUE(
      sink.wait_until([](const RecordingSink& s) { return s.saw_state(SourceState::failed); }));
  source.stop();
  auto events = sink.snapshot_events();
  EXPECT_EQ(events.back().end_reason, "source_failed");
  EXPECT_NE(events.back().error.find("320x240"), std::string::npos) << events.back().error;
  EXPECT_EQ(sink.snapshot_reconnects(), 0);
  EXPECT_TRUE(sink.snapshot_frames().empty());
}

TEST_F(UrlSourceFile, ReconnectsAfterEofAndTheClockContinues) {
  // A "camera" that serves the clip once per connection, as fast as TCP goes, then hangs up.
  std::string clip;
  {
    std::ifstream in(dir_ / "clip.ts", std::ios::binary);
    clip.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  testing::LoopbackServer server([&clip](int fd, const std::atomic<bool>&) {
    testing::read_request(fd);
    const std::string header =
        "HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nConnection: close\r\n\r\n";
    testing::send_all(fd, header.data(), header.size());
    testing::send_all(fd, clip.data(), clip.size());
  });
  RecordingSink sink;
  SystemClock clock;
  UrlSource source(url_spec("http://127.0.0.1:" + std::to_string(server.port()) + "/cam.ts"),
                   fast_retry_options(), sink, clock);
  source.start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.frames().size() >= 120; }));
  EXPECT_TRUE(stops(source));

  auto frames = sink.snapshot_frames();
  for (size_t i = 0; i < 120; ++i) {
    EXPECT_EQ(frames[i].barcode, static_cast<int64_t>(i % 60)) << i;
    if (i > 0) {
      EXPECT_GT(frames[i].timestamp_ms, frames[i - 1].timestamp_ms) << i;
      EXPECT_GE(frames[i].gop_id, frames[i - 1].gop_id) << i;
    }
  }
  EXPECT_GT(frames[60].gop_id, frames[59].gop_id);
  EXPECT_GE(sink.snapshot_reconnects(), 1);
  auto events = sink.snapshot_events();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events[0].state, SourceState::connecting);
  EXPECT_EQ(events[1].state, SourceState::active);
  EXPECT_EQ(events[2].state, SourceState::reconnecting);
  EXPECT_FALSE(events[2].error.empty());  // EOF, or EIO when HTTP ends without a length
  EXPECT_EQ(events[3].state, SourceState::active);
  EXPECT_FALSE(sink.saw_state(SourceState::ended));
}

TEST(UrlSource, RefusedConnectionReconnectsAndStops) {
  RecordingSink sink;
  SystemClock clock;
  const int port = testing::closed_port();
  UrlSource source(url_spec("rtsp://127.0.0.1:" + std::to_string(port) + "/cam"),
                   fast_retry_options(), sink, clock);
  source.start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.reconnects() >= 3; }));
  EXPECT_TRUE(stops(source));
  auto events = sink.snapshot_events();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].state, SourceState::connecting);
  EXPECT_EQ(events[1].state, SourceState::reconnecting);
  EXPECT_NE(events[1].error.find("refused"), std::string::npos) << events[1].error;
  EXPECT_FALSE(sink.saw_state(SourceState::active));
}

TEST(UrlSource, GivesUpAfterMaxReconnects) {
  RecordingSink sink;
  SystemClock clock;
  IngestOptions options = fast_retry_options();
  options.max_reconnects = 2;
  UrlSource source(url_spec("rtmp://127.0.0.1:" + std::to_string(testing::closed_port()) + "/a/b"),
                   options, sink, clock);
  source.start();
  ASSERT_TRUE(
      sink.wait_until([](const RecordingSink& s) { return s.saw_state(SourceState::failed); }));
  source.stop();
  EXPECT_EQ(sink.snapshot_reconnects(), 2);
  EXPECT_EQ(sink.snapshot_events().back().end_reason, "source_failed");
}

TEST(UrlSource, RandomBytesOverHttpBackOffWithoutCrashing) {
  testing::LoopbackServer server([](int fd, const std::atomic<bool>&) {
    testing::read_request(fd);
    const std::string header =
        "HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nConnection: close\r\n\r\n";
    testing::send_all(fd, header.data(), header.size());
    std::mt19937 rng(42);
    std::vector<uint8_t> junk(2 * 1024 * 1024);  // more than FFmpeg probes
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    testing::send_all(fd, junk.data(), junk.size());
  });
  RecordingSink sink;
  SystemClock clock;
  UrlSource source(url_spec("http://127.0.0.1:" + std::to_string(server.port()) + "/live.ts"),
                   fast_retry_options(), sink, clock);
  source.start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.reconnects() >= 3; }));
  EXPECT_TRUE(stops(source));
  EXPECT_TRUE(sink.snapshot_frames().empty());
  auto events = sink.snapshot_events();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[1].state, SourceState::reconnecting);
  EXPECT_FALSE(events[1].error.empty());
  EXPECT_GE(server.connections(), 3);
}

TEST(UrlSource, SilentPeerTimesOutAndStopInterruptsTheWait) {
  // Accepts and then says nothing until the test ends.
  testing::LoopbackServer server([](int, const std::atomic<bool>& stopping) {
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  RecordingSink sink;
  SystemClock clock;
  IngestOptions options = fast_retry_options();
  options.connect_timeout_ms = 200;
  UrlSource source(url_spec("http://127.0.0.1:" + std::to_string(server.port()) + "/x.ts"),
                   options, sink, clock);
  source.start();
  ASSERT_TRUE(sink.wait_until([](const RecordingSink& s) { return s.reconnects() >= 1; }));
  auto events = sink.snapshot_events();
  EXPECT_NE(events[1].error.find("timed out"), std::string::npos) << events[1].error;
  EXPECT_TRUE(stops(source));
}

TEST(UrlSource, StopInterruptsALongConnect) {
  testing::LoopbackServer server([](int, const std::atomic<bool>& stopping) {
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  RecordingSink sink;
  SystemClock clock;
  IngestOptions options;
  options.connect_timeout_ms = 600'000;
  UrlSource source(url_spec("http://127.0.0.1:" + std::to_string(server.port()) + "/x.ts"),
                   options, sink, clock);
  source.start();
  // Once the server has the connection, FFmpeg is blocked reading the response.
  for (int i = 0; i < 2000 && server.connections() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(stops(source));
  EXPECT_EQ(sink.snapshot_reconnects(), 0);
}

}  // namespace
}  // namespace sl
