#include "core/metrics.hpp"

#include <gtest/gtest.h>

namespace sl {

TEST(Metrics, RendersCountersGaugesHistogramsAndCollectors) {
  Metrics m;
  m.describe("http_requests_total", Metrics::Type::counter, "Requests.");
  m.counter_add("http_requests_total", {{"route", "/healthz"}, {"status", "200"}});
  m.counter_add("http_requests_total", {{"route", "/healthz"}, {"status", "200"}});
  m.observe("latency_seconds", {{"route", "/x"}}, 0.003);
  m.describe("stream_frames_total", Metrics::Type::counter, "Frames.");
  m.add_collector([](MetricsWriter& w) { w.sample("stream_frames_total", {{"stream", "a\"b"}}, 7); });
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE http_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("http_requests_total{route=\"/healthz\",status=\"200\"} 2"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.001\"} 0"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.0050000000000000001\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count{route=\"/x\"} 1"), std::string::npos);
  EXPECT_NE(text.find("stream_frames_total{stream=\"a\\\"b\"} 7"), std::string::npos);
  EXPECT_EQ(m.value("http_requests_total", {{"route", "/healthz"}, {"status", "200"}}), 2);
}

}  // namespace sl
