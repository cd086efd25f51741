#include "streams/stream_manager.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/metrics.hpp"
#include "fakes/fake_source.hpp"
#include "fakes/manual_clock.hpp"

namespace sl {
namespace {

StreamOptions closed_port_source() {
  StreamOptions o;
  o.source = UrlSourceSpec{"rtmp://127.0.0.1:1/live/none"};  // nothing listens on port 1
  return o;
}

StreamOptions tiny_pattern() {
  StreamOptions o;
  o.source = TestPatternSpec{.width = 64, .height = 64, .fps = 30};
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

// A manager with the real sources (test patterns, URLs) on a manual clock.
struct StreamManagerOnManualClock : ::testing::Test {
  testing::ManualClock clock;
  Metrics metrics;
  StreamManager mgr{small_config(), default_source_factory({}), clock, metrics};
};

TEST_F(StreamManagerOnManualClock, CreateGetListDeleteWithOwnership) {
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

TEST_F(StreamManagerOnManualClock, EveryoneStreamIsVisibleToAllKeys) {
  auto demo = mgr.create(kOwnerEveryone, tiny_pattern(), "demo");
  ASSERT_TRUE(demo.ok());
  EXPECT_EQ(demo->id, "demo");
  EXPECT_TRUE(mgr.status("key-a", "demo").ok());
  EXPECT_TRUE(mgr.status("key-b", "demo").ok());
  EXPECT_FALSE(mgr.create("key-a", tiny_pattern(), "demo").ok());  // id taken
}

TEST_F(StreamManagerOnManualClock, PerKeyLimitCountsLiveStreams) {
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

TEST_F(StreamManagerOnManualClock, RejectsBadOptions) {
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
  o.source = UrlSourceSpec{"gopher://127.0.0.1/x"};
  r = mgr.create("k", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_FALSE(mgr.create("k", closed_port_source(), "bad id!").ok());
}

TEST_F(StreamManagerOnManualClock, LeaseExpiresUnlessKeptAliveThenLingersAndIsForgotten) {
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

TEST_F(StreamManagerOnManualClock, KeepaliveWithoutLeaseIsInvalid) {
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
  StreamManager mgr(small_config(), default_source_factory({}), clock, metrics);
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

// A listener that records what it sees (events arrive on the thread that caused them).
struct EventLog {
  std::mutex mu;
  std::vector<SourceEvent> seen;
  std::function<void(const SourceEvent&)> listener() {
    return [this](const SourceEvent& e) {
      std::lock_guard lk(mu);
      seen.push_back(e);
    };
  }
  std::vector<SourceEvent> get() {
    std::lock_guard lk(mu);
    return seen;
  }
};

StreamOptions whip_options() {
  StreamOptions o;
  o.source = WhipSourceSpec{};
  o.lease = false;
  return o;
}

// A manager whose sources are fakes the test drives (tests/fakes), on a manual clock.
struct StreamManagerWithFakeSources : ::testing::Test {
  testing::ManualClock clock;
  Metrics metrics;
  testing::FakeSourceFactory fakes;
  StreamManager mgr{small_config(), fakes.factory(), clock, metrics};
};

TEST_F(StreamManagerWithFakeSources, InjectedSourceFactoryAndLifecycleEvents) {
  auto s = mgr.create("k", whip_options());
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(fakes.made(), 1u);
  auto src = fakes.last();
  EXPECT_TRUE(src.state().started);

  EventLog log;
  auto sub = mgr.subscribe_events("k", s->id, log.listener());
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(mgr.subscribe_events("other-key", s->id, log.listener()).error().code,
            ErrorCode::stream_not_found);
  src.event(SourceState::active);
  ASSERT_TRUE(mgr.remove("k", s->id).ok());
  src.event(SourceState::ended, "", "source_ended");  // after the final one: dropped
  auto seen = log.get();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].state, SourceState::active);
  EXPECT_EQ(seen[1].state, SourceState::ended);
  EXPECT_EQ(seen[1].end_reason, "deleted");
}

TEST_F(StreamManagerWithFakeSources, TheSourcesOwnEndIsTheOneFinalEvent) {
  auto s = mgr.create("k", whip_options());
  ASSERT_TRUE(s.ok());
  EventLog log;
  auto sub = mgr.subscribe_events("k", s->id, log.listener());
  fakes.last().event(SourceState::failed, "peer vanished", "source_lost");
  ASSERT_TRUE(mgr.remove("k", s->id).ok());
  auto seen = log.get();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].state, SourceState::failed);
  EXPECT_EQ(seen[0].end_reason, "source_lost");
}

TEST_F(StreamManagerWithFakeSources, SubscribingToAnEndedStreamDeliversItsEndAtOnce) {
  auto o = whip_options();
  o.lease = true;
  o.ttl_seconds = 1;
  auto s = mgr.create("k", o);
  ASSERT_TRUE(s.ok());
  clock.advance(2000);
  mgr.tick();
  EventLog log;
  auto sub = mgr.subscribe_events("k", s->id, log.listener());
  ASSERT_TRUE(sub.ok());
  auto seen = log.get();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].end_reason, "expired");
}

struct IndexRecorder final : FrameConsumer {
  std::mutex mu;
  std::vector<int64_t> indices;
  void on_frame(int64_t index, const FrameArrival&) override {
    std::lock_guard lk(mu);
    indices.push_back(index);
  }
};

TEST_F(StreamManagerWithFakeSources, FrameConsumersSeeIndexedFramesUntilUnsubscribed) {
  auto s = mgr.create("k", whip_options());
  ASSERT_TRUE(s.ok());
  auto src = fakes.last();
  auto a = std::make_shared<IndexRecorder>();
  auto b = std::make_shared<IndexRecorder>();
  auto sub_a = mgr.subscribe_frames("k", s->id, a);
  auto sub_b = mgr.subscribe_frames("k", s->id, b);
  ASSERT_TRUE(sub_a.ok() && sub_b.ok());
  EXPECT_EQ(src.frame(0), 0);
  EXPECT_EQ(src.frame(33), 1);
  sub_b->reset();
  EXPECT_EQ(src.frame(66), 2);
  EXPECT_EQ(a->indices, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(b->indices, (std::vector<int64_t>{0, 1}));
  // The store got them too: the consumers are beside it, not instead of it.
  EXPECT_EQ(mgr.status("k", s->id)->last_frame_index, 2);
}

TEST_F(StreamManagerWithFakeSources, WebRtcCreateAnswersTheOfferOrCreatesNothing) {
  StreamOptions o;
  o.source = WebRtcSourceSpec{"v=0 offer"};
  auto s = mgr.create("k", o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_TRUE(s->answer.has_value());
  EXPECT_EQ(s->answer->sdp, "answer-to:v=0 offer");
  EXPECT_FALSE(mgr.status("k", s->id)->answer.has_value());  // only in create's result

  fakes.refuse_next_offer(make_error(ErrorCode::unsupported, "no video codec in common"));
  auto refused = mgr.create("k", o, "refused");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "no video codec in common");
  EXPECT_FALSE(mgr.status("k", "refused").ok());
  auto refused_source = fakes.last();
  EXPECT_TRUE(wait_for([&] {  // stopped on the reaper's thread
    std::lock_guard lk(refused_source.state().mu);
    return refused_source.state().stopped;
  }));
}

TEST_F(StreamManagerWithFakeSources, WhipOffersAndSessionEndsReachTheSource) {
  auto s = mgr.create("k", whip_options());
  ASSERT_TRUE(s.ok());
  auto a = mgr.answer("k", s->id, "offer-1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->session_id, "session-1");
  EXPECT_TRUE(mgr.end_session("k", s->id, a->session_id).ok());
  EXPECT_EQ(fakes.last().state().ended_sessions, std::vector<std::string>{"session-1"});
  EXPECT_EQ(mgr.answer("k2", s->id, "x").error().code, ErrorCode::stream_not_found);
  // A url source does not negotiate.
  testing::ManualClock c2;
  StreamManager real(small_config(), default_source_factory({}), c2, metrics);
  auto u = real.create("k", closed_port_source());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(real.answer("k", u->id, "x").error().code, ErrorCode::unsupported);
}

TEST(StreamManager, UnsupportedKindsAreRefusedByTheFactory) {
  testing::ManualClock clock;
  Metrics metrics;
  SourceFactory refusing = [](const SourceSpec&, MediaSink&,
                              const Clock&) -> Result<std::unique_ptr<Source>> {
    return make_error(ErrorCode::unsupported, "no GStreamer", "source.type");
  };
  StreamManager mgr(small_config(), refusing, clock, metrics);
  auto r = mgr.create("k", whip_options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::unsupported);
  EXPECT_TRUE(mgr.list("k").empty());
}

TEST_F(StreamManagerWithFakeSources, WhipPublishersAuthorizeWithTheStreamsPublishToken) {
  auto whip = mgr.create("k", whip_options());
  ASSERT_TRUE(whip.ok());
  const std::string token = whip->publish_token;
  EXPECT_GE(token.size(), 32u);
  EXPECT_EQ(mgr.status("k", whip->id)->publish_token, token);
  auto other = mgr.create("k", whip_options());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->publish_token, token);

  auto owner = mgr.authorize_publisher(whip->id, token);
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(*owner, "k");
  EXPECT_EQ(mgr.authorize_publisher(whip->id, "").error().code, ErrorCode::unauthorized);
  EXPECT_EQ(mgr.authorize_publisher(whip->id, other->publish_token).error().code,
            ErrorCode::unauthorized);
  EXPECT_EQ(mgr.authorize_publisher("nope", token).error().code, ErrorCode::stream_not_found);
  // Other kinds have no publish token and take no WHIP publisher.
  StreamOptions tp;
  tp.source = TestPatternSpec{};
  auto pattern = mgr.create("k2", tp);
  ASSERT_TRUE(pattern.ok());
  EXPECT_TRUE(pattern->publish_token.empty());
  EXPECT_EQ(mgr.authorize_publisher(pattern->id, "").error().code, ErrorCode::stream_not_found);
}

}  // namespace
}  // namespace sl
