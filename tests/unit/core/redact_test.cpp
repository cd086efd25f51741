#include "core/redact.hpp"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(RedactUrl, StripsUserinfo) {
  EXPECT_EQ(redact_url("rtsp://user:pass@cam.local:554/x?y=1"), "rtsp://cam.local:554/x?y=1");
  EXPECT_EQ(redact_url("rtsp://u:p@ss@cam/x"), "rtsp://cam/x");
  EXPECT_EQ(redact_url("http://cam/path@x"), "http://cam/path@x");
  EXPECT_EQ(redact_url("file:///tmp/a.ts"), "file:///tmp/a.ts");
  EXPECT_EQ(redact_url("not a url"), "not a url");
}

TEST(RedactUrl, HidesCredentialQueryValues) {
  EXPECT_EQ(redact_url("https://cdn/live.m3u8?token=abc&q=1"),
            "https://cdn/live.m3u8?token=REDACTED&q=1");
  EXPECT_EQ(redact_url("rtsp://cam/s?user=admin&Password=x#f"),
            "rtsp://cam/s?user=admin&Password=REDACTED#f");
  EXPECT_EQ(redact_url("srt://h:9000?streamid=a&passphrase=secret"),
            "srt://h:9000?streamid=a&passphrase=REDACTED");
  EXPECT_EQ(redact_url("http://h/x?X-Amz-Signature=s&sig=t&signal=1"),
            "http://h/x?X-Amz-Signature=REDACTED&sig=REDACTED&signal=1");
  EXPECT_EQ(redact_url("http://h/x?api_key=k&flag"), "http://h/x?api_key=REDACTED&flag");
}

}  // namespace
}  // namespace sl
