#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

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

TEST(Metrics, CellsAreSharedPerSeriesAndUpdatedWithoutTheLock) {
  Metrics m;
  m.describe("hits_total", Metrics::Type::counter, "Hits.");
  MetricCell& a = m.counter("hits_total", {{"route", "/x"}});
  EXPECT_EQ(&a, &m.counter("hits_total", {{"route", "/x"}}));
  HistogramCell& h = m.histogram("latency_seconds", {{"route", "/x"}});
  // Several writers at once (TSan checks this is race-free), one scraper.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        a.add(1);
        h.observe(0.003);
      }
    });
  }
  std::string mid = m.render();
  for (auto& t : threads) t.join();
  EXPECT_FALSE(mid.empty());
  EXPECT_EQ(m.value("hits_total", {{"route", "/x"}}), 4000);
  const std::string text = m.render();
  // 0.003 s is over the 2.5 ms bucket and within the 5 ms one: cumulative from there.
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.0025000000000000001\"} 0"),
            std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.0050000000000000001\"} 4000"),
            std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4000"),
            std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count{route=\"/x\"} 4000"), std::string::npos);
  // Beyond the largest bucket: only in +Inf.
  h.observe(100);
  EXPECT_NE(m.render().find("latency_seconds_bucket{route=\"/x\",le=\"60\"} 4000"),
            std::string::npos);
  EXPECT_NE(m.render().find("latency_seconds_count{route=\"/x\"} 4001"), std::string::npos);
}

}  // namespace sl
