#include "backends/sse_parser.hpp"

#include <gtest/gtest.h>

namespace sl {
namespace {

std::vector<SseEvent> parse_in_pieces(std::string_view text, size_t piece) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (size_t pos = 0; pos < text.size(); pos += piece) {
    EXPECT_TRUE(parser.feed(text.substr(pos, piece), events).ok());
  }
  parser.finish(events);
  return events;
}

constexpr std::string_view kStream =
    ": keep-alive comment\r\n"
    "\r\n"
    "data: {\"a\":1}\r\n"
    "\r\n"
    "data:{\"b\":2}\n\n"
    "event: error\r"
    "data: line one\r"
    "data: line two\r\r"
    "id: 7\n"
    "retry: 100\n"
    "data\n"
    "\n"
    "data: [DONE]\n\n";

TEST(SseParser, ParsesAllLineEndingsCommentsAndMultilineData) {
  auto events = parse_in_pieces(kStream, kStream.size());
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[0].event, "");
  EXPECT_EQ(events[1].data, "{\"b\":2}");
  EXPECT_EQ(events[2].event, "error");
  EXPECT_EQ(events[2].data, "line one\nline two");
  EXPECT_EQ(events[3].data, "");  // a bare "data" field is an empty data line
  EXPECT_EQ(events[3].event, "");
  EXPECT_EQ(events[4].data, "[DONE]");
}

TEST(SseParser, SameEventsForEverySplit) {
  const auto whole = parse_in_pieces(kStream, kStream.size());
  for (size_t piece = 1; piece < 24; ++piece) {
    const auto split = parse_in_pieces(kStream, piece);
    ASSERT_EQ(split.size(), whole.size()) << "piece " << piece;
    for (size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(split[i].data, whole[i].data) << "piece " << piece << " event " << i;
      EXPECT_EQ(split[i].event, whole[i].event);
    }
  }
}

TEST(SseParser, CrLfSplitAcrossFeedsIsOneLineEnd) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: x\r", events).ok());
  ASSERT_TRUE(parser.feed("\n\r", events).ok());
  ASSERT_EQ(events.size(), 1u);  // "\r\n" then "\r": one line end plus a blank line
  ASSERT_TRUE(parser.feed("\ndata: y\r\n\r\n", events).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].data, "y");
}

TEST(SseParser, FinishDispatchesUnterminatedEvent) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: {\"last\":true}", events).ok());
  EXPECT_TRUE(events.empty());
  parser.finish(events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "{\"last\":true}");
}

TEST(SseParser, OversizedEventIsAnError) {
  SseParser parser(64);
  std::vector<SseEvent> events;
  Status s = parser.feed("data: " + std::string(100, 'x'), events);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::upstream_error);
}

}  // namespace
}  // namespace sl
