#include "streams/stream_manager.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/metrics.hpp"
#include "fakes/manual_clock.hpp"

namespace sl {
namespace {

StreamOptions closed_port_source() {
  StreamOptions o;
  o.source.type = "url";
  o.source.url = "rtmp://127.0.0.1:1/live/none";  // nothing listens on port 1
  return o;
}

StreamOptions tiny_pattern() {
  StreamOptions o;
  o.source.type = "test_pattern";
  o.source.width = 64;
  o.source.height = 64;
  o.source.fps = 30;
  o.lease = false;
  return o;
}

StreamsConfig small_config() {
  StreamsConfig c;
  c.max_streams_per_key = 2;
  c.ended_linger_seconds = 10;
  c.ingest.backoff_initial_ms = 50;
  c.ingest.backoff_max_ms = 100;
  return c;
}

bool wait_for(const std::function<bool()>& cond, int ms = 5000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

TEST(StreamManager, CreateGetListDeleteWithOwnership) {
  testing::ManualClock clock;
  Metrics metrics;
  StreamManager mgr(small_config(), clock, metrics);
  auto a = mgr.create("key-a", closed_port_source());
  ASSERT_TRUE(a.ok()) << a.error().message;
  // The source thread may already have failed its first attempt (port 1 refuses at once).
  EXPECT_TRUE(a->state == "connecting" || a->state == "reconnecting") << a->state;
  EXPECT_TRUE(a->lease);
  EXPECT_EQ(a->ttl_seconds, 300);

  EXPECT_TRUE(mgr.status("key-a", a->id).ok());
  auto other = mgr.status("key-b", a->id);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::stream_not_found);
  EXPECT_EQ(mgr.list("key-a").size(), 1u);
  EXPECT_TRUE(mgr.list("key-b").empty());
  EXPECT_FALSE(mgr.remove("key-b", a->id).ok());
  EXPECT_FALSE(mgr.store("key-b", a->id).ok());

  auto removed = mgr.remove("key-a", a->id);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->state, "ended");
  EXPECT_EQ(removed->end_reason, "deleted");
  EXPECT_FALSE(mgr.status("key-a", a->id).ok());
}

TEST(StreamManager, EveryoneStreamIsVisibleToAllKeys) {
  testing::ManualClock clock;
  Metrics metrics;
  StreamManager mgr(small_config(), clock, metrics);
  auto demo = mgr.create(kOwnerEveryone, tiny_pattern(), "demo");
  ASSERT_TRUE(demo.ok());
  EXPECT_EQ(demo->id, "demo");
  EXPECT_TRUE(mgr.status("key-a", "demo").ok());
  EXPECT_TRUE(mgr.status("key-b", "demo").ok());
  EXPECT_FALSE(mgr.create("key-a", tiny_pattern(), "demo").ok());  // id taken
}

TEST(StreamManager, PerKeyLimitCountsLiveStreams) {
  testing::ManualClock clock;
  Metrics metrics;
  StreamManager mgr(small_config(), clock, metrics);
  auto s1 = mgr.create("k", closed_port_source());
  auto s2 = mgr.create("k", closed_port_source());
  ASSERT_TRUE(s1.ok() && s2.ok());
  auto s3 = mgr.create("k", closed_port_source());
  ASSERT_FALSE(s3.ok());
  EXPECT_EQ(s3.error().code, ErrorCode::too_many_streams);
  EXPECT_TRUE(mgr.create("other", closed_port_source()).ok());
  ASSERT_TRUE(mgr.remove("k", s1->id).ok());
  EXPECT_TRUE(mgr.create("k", closed_port_source()).ok());
}

TEST(StreamManager, RejectsBadOptions) {
  testing::ManualClock clock;
  Metrics metrics;
  StreamManager mgr(small_config(), clock, metrics);
  auto o = closed_port_source();
  o.retention_seconds = 0;
  auto r = mgr.create("k", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "retention_seconds");
  o = closed_port_source();
  o.ttl_seconds = 0;
  r = mgr.create("k", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "lease.ttl_seconds");
  o = closed_port_source();
  o.source.url = "gopher://127.0.0.1/x";
  r = mgr.create("k", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_FALSE(mgr.create("k", closed_port_source(), "bad id!").ok());
}

TEST(StreamManager, LeaseExpiresUnlessKeptAliveThenLingersAndIsForgotten) {
  testing::ManualClock clock;
  Metrics metrics;
  StreamManager mgr(small_config(), clock, metrics);
  auto o = closed_port_source();
  o.ttl_seconds = 5;
  auto s = mgr.create("k", o);
  ASSERT_TRUE(s.ok());
  clock.advance(4000);
  auto ka = mgr.keepalive("k", s->id);
  ASSERT_TRUE(ka.ok());
  EXPECT_EQ(ka->expires_at_ms, clock.wall_ms() + 5000);
  clock.advance(4000);
  mgr.tick();
  EXPECT_NE(mgr.status("k", s->id)->state, "ended");
  clock.advance(2000);
  mgr.tick();
  auto st = mgr.status("k", s->id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, "ended");
  EXPECT_EQ(st->end_reason, "expired");
  EXPECT_FALSE(mgr.keepalive("k", s->id).ok());
  clock.advance(11'000);
  mgr.tick();
  EXPECT_FALSE(mgr.status("k", s->id).ok());
}

TEST(StreamManager, KeepaliveWithoutLeaseIsInvalid) {
  testing::ManualClock clock;
  Metrics metrics;
  StreamManager mgr(small_config(), clock, metrics);
  auto o = closed_port_source();
  o.lease = false;
  auto s = mgr.create("k", o);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->ttl_seconds.has_value());
  auto ka = mgr.keepalive("k", s->id);
  ASSERT_FALSE(ka.ok());
  EXPECT_EQ(ka.error().code, ErrorCode::invalid_request);
}

TEST(StreamManager, TestPatternBecomesActiveAndReportsMetrics) {
  SystemClock clock;
  Metrics metrics;
  StreamManager mgr(small_config(), clock, metrics);
  auto s = mgr.create("k", tiny_pattern());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(wait_for([&] {
    auto st = mgr.status("k", s->id);
    return st.ok() && st->state == "active" && st->last_frame_index.value_or(-1) >= 3;
  }));
  auto st = mgr.status("k", s->id);
  EXPECT_EQ(st->width, 64);
  EXPECT_EQ(st->first_available_frame_index, 0);
  auto text = metrics.render();
  EXPECT_NE(text.find("sightline_stream_frames_received_total{stream=\"" + s->id + "\"}"),
            std::string::npos);
  EXPECT_NE(text.find("sightline_stream_buffer_bytes{stream=\"" + s->id + "\"}"), std::string::npos);
  mgr.stop_all();
  EXPECT_EQ(mgr.status("k", s->id)->state, "ended");
}

}  // namespace
}  // namespace sl
