#include "jobs/results_hub.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "jobs/job_result.hpp"

#include <boost/json/parse.hpp>

namespace sl::jobs {
namespace {

TEST(ResultsHub, EveryReaderOfTheStreamGetsTheSamePayload) {
  ResultsHub hub;
  std::vector<const std::string*> a, b, other;
  auto sa = hub.subscribe("s1", [&](const ResultPayload& p) { a.push_back(p.get()); });
  auto sb = hub.subscribe("s1", [&](const ResultPayload& p) { b.push_back(p.get()); });
  auto so = hub.subscribe("s2", [&](const ResultPayload& p) { other.push_back(p.get()); });
  auto payload = std::make_shared<const std::string>("{}");
  EXPECT_EQ(hub.publish("s1", payload), 2u);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0], payload.get());  // shared, not copied
  EXPECT_EQ(b[0], payload.get());
  EXPECT_TRUE(other.empty());
  sa.reset();
  EXPECT_EQ(hub.publish("s1", payload), 1u);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(hub.subscribers("s1"), 1u);
}

TEST(ResultsHub, ASubscriptionMayEndAfterTheHub) {
  Subscription s;
  {
    ResultsHub hub;
    s = hub.subscribe("s1", [](const ResultPayload&) {});
  }
  s.reset();  // no crash: the end holds a weak reference
}

TEST(JobResultMessage, CarriesEveryFieldOfSpecSection5) {
  JobResult r;
  r.id = "res_1";
  r.stream_id = "s1";
  r.mode = JobMode::frame;
  r.model_backend = "sightline";
  r.model_name = "m";
  r.prompt = "p";
  r.result = "{\"a\":1}";
  r.ok = true;
  r.finish_reason = "stop";
  r.first_frame = 7;
  r.last_frame = 7;
  r.media_url = "ovs://streams/s1?start_frame_index=7&end_frame_index=8";
  auto v = boost::json::parse(result_message(r)).as_object();
  for (const char* k : {"id", "stream_id", "mode", "model_backend", "model_name", "prompt", "result",
                        "inference_latency_ms", "total_latency_ms", "ok", "error", "finish_reason",
                        "frame_range", "media_url"})
    EXPECT_TRUE(v.contains(k)) << k;
  EXPECT_EQ(v["mode"], "frame");
  EXPECT_TRUE(v["error"].is_null());
  EXPECT_EQ(v["frame_range"].as_object()["first"], 7);
  r.ok = false;
  r.error = "boom";
  r.first_frame.reset();
  r.media_url.clear();
  auto f = boost::json::parse(result_message(r)).as_object();
  EXPECT_EQ(f["error"], "boom");
  EXPECT_TRUE(f["frame_range"].is_null());
  EXPECT_TRUE(f["media_url"].is_null());
}

}  // namespace
}  // namespace sl::jobs
