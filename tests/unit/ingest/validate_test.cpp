#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ingest/source.hpp"

namespace sl {
namespace {

namespace fs = std::filesystem;

class ValidateSource : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sl-validate-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directory(dir_ / "media");
    std::ofstream(dir_ / "media" / "a.ts") << "x";
    std::ofstream(dir_ / "secret.ts") << "x";
    fs::create_symlink(dir_ / "secret.ts", dir_ / "media" / "link.ts");
    options_.file_root = (dir_ / "media").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  Status url(const std::string& u) { return validate_source(UrlSourceSpec{u}, options_); }

  fs::path dir_;
  IngestOptions options_;
};

void expect_invalid(const Status& s, const std::string& param) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
  EXPECT_EQ(s.error().param, param);
  EXPECT_FALSE(s.error().message.empty());
}

TEST_F(ValidateSource, AcceptsEveryNetworkScheme) {
  for (const char* u : {"rtsp://cam.local:554/stream1", "rtsps://cam/x", "rtmp://127.0.0.1/live/a",
                        "rtmps://h/app/key", "srt://127.0.0.1:9000?mode=caller",
                        "http://127.0.0.1:8000/live.ts", "https://example.com/x/index.m3u8",
                        "RTSP://user:pass@cam/stream?x=1"}) {
    EXPECT_TRUE(url(u).ok()) << u;
  }
}

TEST_F(ValidateSource, RejectsBadUrls) {
  for (const char* u : {"", "ftp://h/x", "gopher://h/", "javascript:alert(1)", "/etc/passwd",
                        "rtsp://", "http:///x", "rtsp://cam/a b", "rtsp://cam/\x01", "cam:554",
                        "udp://0.0.0.0:1234", "concat:a|b", "data:,x"}) {
    expect_invalid(url(u), "source.url");
  }
  expect_invalid(url("http://h/" + std::string(2050, 'a')), "source.url");
}

TEST_F(ValidateSource, FilesMustStayUnderTheRoot) {
  EXPECT_TRUE(url("file://" + (dir_ / "media" / "a.ts").string()).ok());
  expect_invalid(url("file://" + (dir_ / "media" / ".." / "secret.ts").string()), "source.url");
  expect_invalid(url("file://" + (dir_ / "secret.ts").string()), "source.url");
  expect_invalid(url("file://" + (dir_ / "media" / "link.ts").string()), "source.url");
  expect_invalid(url("file://" + (dir_ / "media" / "missing.ts").string()), "source.url");
  expect_invalid(url("file://" + (dir_ / "media").string()), "source.url");  // the root itself
  expect_invalid(url("file://relative/a.ts"), "source.url");
  // A sibling directory sharing the root's name as a prefix is outside.
  fs::create_directory(dir_ / "media2");
  std::ofstream(dir_ / "media2" / "b.ts") << "x";
  expect_invalid(url("file://" + (dir_ / "media2" / "b.ts").string()), "source.url");
}

// Issue 6: the answer for a path outside the root must not depend on whether it exists.
TEST_F(ValidateSource, OutsideTheRootIsOneAnswerWhetherOrNotItExists) {
  std::ofstream(dir_ / "exists.ts") << "x";
  Status existing = url("file://" + (dir_ / "exists.ts").string());
  Status missing = url("file://" + (dir_ / "no-such-file.ts").string());
  Status up = url("file://" + (dir_ / "media" / ".." / ".." / "etc" / "passwd").string());
  expect_invalid(existing, "source.url");
  expect_invalid(missing, "source.url");
  expect_invalid(up, "source.url");
  EXPECT_EQ(existing.error().message, missing.error().message);
  EXPECT_EQ(existing.error().message, up.error().message);
  Status inside_missing = url("file://" + (dir_ / "media" / "missing.ts").string());
  EXPECT_NE(inside_missing.error().message.find("not found"), std::string::npos);
}

TEST_F(ValidateSource, FilesDisabledWithoutRoot) {
  options_.file_root.clear();
  Status s = url("file://" + (dir_ / "media" / "a.ts").string());
  expect_invalid(s, "source.url");
  EXPECT_NE(s.error().message.find("disabled"), std::string::npos);
}

TEST_F(ValidateSource, TestPatternSizes) {
  TestPatternSpec s;
  s.width = 640;
  s.height = 360;
  s.fps = 30;
  EXPECT_TRUE(validate_source(s, options_).ok());
  s.width = 16;
  s.height = 16;
  s.fps = 1;
  EXPECT_TRUE(validate_source(s, options_).ok());
  s.fps = 120;
  EXPECT_TRUE(validate_source(s, options_).ok());

  auto with = [&](int w, int h, double fps) {
    TestPatternSpec t = s;
    t.width = w;
    t.height = h;
    t.fps = fps;
    return validate_source(t, options_);
  };
  expect_invalid(with(641, 360, 30), "source.width");
  expect_invalid(with(14, 360, 30), "source.width");
  expect_invalid(with(7682, 360, 30), "source.width");
  expect_invalid(with(640, 361, 30), "source.height");
  expect_invalid(with(640, 0, 30), "source.height");
  expect_invalid(with(640, 4322, 30), "source.height");
  expect_invalid(with(640, 360, 0), "source.fps");
  expect_invalid(with(640, 360, 121), "source.fps");
  expect_invalid(with(640, 360, std::nan("")), "source.fps");
}

TEST_F(ValidateSource, NegotiatingKindsAreTheFactorysToRefuse) {
  // Whether this build has a WebRTC source is the factory's answer, not validation's.
  EXPECT_TRUE(validate_source(WebRtcSourceSpec{"v=0"}, options_).ok());
  EXPECT_TRUE(validate_source(WhipSourceSpec{}, options_).ok());
}

// The WebRTC kinds are built in webrtc_test (GStreamer stays out of this binary).
TEST_F(ValidateSource, DefaultFactoryBuildsPullSources) {
  struct NullSink final : MediaSink {
    uint64_t on_packet(const Packet&) override { return 0; }
    int64_t on_frame(const FrameArrival&) override { return 0; }
    void on_source_event(const SourceEvent&) override {}
    void on_decode_error() override {}
    void on_reconnect() override {}
  } sink;
  SystemClock clock;
  auto factory = default_source_factory(options_);
  EXPECT_TRUE(factory(TestPatternSpec{}, sink, clock).ok());
  EXPECT_TRUE(factory(UrlSourceSpec{"rtsp://127.0.0.1:9/x"}, sink, clock).ok());
}

}  // namespace
}  // namespace sl
