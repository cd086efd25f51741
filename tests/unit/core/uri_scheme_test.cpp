#include "core/uri_scheme.hpp"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(UriScheme, LowerCaseSchemeOrNothing) {
  EXPECT_EQ(uri_scheme("HTTP://h/x.mp4"), "http");
  EXPECT_EQ(uri_scheme("Data:video/mp4;base64,AA"), "data");
  EXPECT_EQ(uri_scheme("ovs://streams/a"), "ovs");
  EXPECT_EQ(uri_scheme("rtsp+tcp://cam"), "rtsp+tcp");
  EXPECT_EQ(uri_scheme("/relative/video.mp4"), "");
  EXPECT_EQ(uri_scheme("1abc://x"), "");   // must start with a letter
  EXPECT_EQ(uri_scheme(":x"), "");
  EXPECT_EQ(uri_scheme("no scheme"), "");
}

}  // namespace
}  // namespace sl
