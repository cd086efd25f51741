// The runner end to end inside one process: a hand-filled store, the real resolver and
// renderer, fake backends, one io_context run on the test thread (so no data races in the
// test itself). Nothing asserts on durations: the tests wait (bounded) for conditions and then
// check counts and contents.
#include "jobs/job_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include "fakes/fake_backend.hpp"
#include "fakes/fake_stream_lookup.hpp"
#include "media/test_images.hpp"

namespace sl::jobs {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;

// A backend whose calls wait until the test releases them; it records how many ran at once.
class GatedBackend final : public Backend {
 public:
  explicit GatedBackend(std::string name) : name_(std::move(name)) {}
  int calls = 0, active = 0, max_active = 0;
  std::vector<ChatCall> received;

  std::string model_name() const override { return name_; }
  BackendHealth health() const override { return {}; }
  asio::awaitable<Result<json::object>> complete(ChatCall call) override {
    ++calls;
    max_active = std::max(max_active, ++active);
    received.push_back(std::move(call));
    auto gate = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                     asio::steady_timer::time_point::max());
    gates_.push_back(gate);
    boost::system::error_code ec;
    co_await gate->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    --active;
    json::object out;
    out["choices"] = json::array{json::object{
        {"message", json::object{{"role", "assistant"}, {"content", "{\"on\":true}"}}},
        {"finish_reason", "stop"}}};
    co_return out;
  }
  asio::awaitable<Status> stream(ChatCall, ChunkSink) override {
    co_return make_error(ErrorCode::internal, "not used");
  }
  void release_all() {
    for (auto& g : gates_) g->cancel();
    gates_.clear();
  }

 private:
  std::string name_;
  std::vector<std::shared_ptr<asio::steady_timer>> gates_;
};

// Answers at once; safe to call from several threads (jobs on different strands).
class CountingBackend final : public Backend {
 public:
  std::atomic<int> calls{0};
  std::string model_name() const override { return "counting"; }
  BackendHealth health() const override { return {}; }
  asio::awaitable<Result<json::object>> complete(ChatCall) override {
    calls.fetch_add(1);
    json::object out;
    out["choices"] = json::array{json::object{
        {"message", json::object{{"role", "assistant"}, {"content", "{\"on\":false}"}}},
        {"finish_reason", "stop"}}};
    co_return out;
  }
  asio::awaitable<Status> stream(ChatCall, ChunkSink) override {
    co_return make_error(ErrorCode::internal, "not used");
  }
};

constexpr int64_t kFrames = 30;

class JobRunnerTest : public ::testing::Test {
 protected:
  JobRunnerTest() {
    auto store = std::make_shared<FrameStore>(StoreLimits{});
    const int64_t wall0 = clock_.wall_ms() - kFrames * 100;
    for (int64_t k = 0; k < kFrames; ++k) {
      FrameArrival a;
      a.timestamp_ms = k * 100;
      a.wall_ms = wall0 + k * 100;
      a.image = testing::make_image(64, 48, PixelLayout::i420, false, k);
      store->on_frame(a);
    }
    lookup_.add("key-a", "cam", store);
    gated_ = std::make_shared<GatedBackend>("slow");
    fake_ = std::make_shared<testing::FakeBackend>("fast");
    EXPECT_TRUE(models_.add(gated_).ok());
    EXPECT_TRUE(models_.add(fake_).ok());
    sub_ = hub_.subscribe("cam", [this](const ResultPayload& p) {
      results_.push_back(json::parse(*p).as_object());
    });
  }

  std::unique_ptr<JobRunner> runner(JobSettings settings = {}) {
    return std::make_unique<JobRunner>(
        settings, JobRunnerDeps{&lookup_, &media_, &models_, &hub_, &metrics_, &clock_,
                                ioc_.get_executor(), {}});
  }
  // Runs the io_context until `pred` holds (false after a generous bound: a failure, not a
  // timing assertion).
  bool run_until(const std::function<bool()>& pred) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      ioc_.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  static JobSpec frame_job(const std::string& model, int64_t interval_ms) {
    JobSpec s;
    s.mode = JobMode::frame;
    s.interval_ms = interval_ms;
    s.prompt = "is it on?";
    s.model = model;
    s.output_schema_json = R"({"type":"object","required":["on"]})";
    s.max_output_tokens = 20;
    return s;
  }

  SystemClock clock_;
  Metrics metrics_;
  testing::FakeStreamLookup lookup_;
  FrameRenderer renderer_{1};
  MediaResolver media_{lookup_, renderer_};
  ModelRouter models_;
  ResultsHub hub_;
  asio::io_context ioc_;
  std::shared_ptr<GatedBackend> gated_;
  std::shared_ptr<testing::FakeBackend> fake_;
  std::vector<json::object> results_;
  Subscription sub_;
};

TEST_F(JobRunnerTest, AFrameRunSendsTheNewestFrameWithPromptSchemaAndTokens) {
  auto r = runner();
  r->start("key-a", "cam", frame_job("slow", 20));
  ASSERT_TRUE(run_until([&] { return gated_->calls == 1; }));
  const ChatCall& call = gated_->received.at(0);
  ASSERT_EQ(call.media.size(), 1u);
  ASSERT_EQ(call.media[0].frames.size(), 1u);
  EXPECT_EQ(call.media[0].frames[0].index, kFrames - 1);
  EXPECT_EQ(call.body.at("model"), "slow");
  EXPECT_EQ(call.body.at("max_tokens"), 20);
  EXPECT_EQ(call.body.at("response_format").at("type"), "json_schema");
  EXPECT_EQ(call.body.at("response_format").at("json_schema").at("schema").at("required").at(0), "on");
  const auto& content = call.body.at("messages").at(0).at("content").as_array();
  EXPECT_EQ(content.at(0).at("type"), kOvsMediaPartType);
  EXPECT_EQ(content.at(1).at("text"), "is it on?");
  gated_->release_all();
  ASSERT_TRUE(run_until([&] { return !results_.empty(); }));
  const json::object& m = results_[0];
  EXPECT_EQ(m.at("ok"), true);
  EXPECT_EQ(m.at("mode"), "frame");
  EXPECT_EQ(m.at("model_name"), "slow");
  EXPECT_EQ(m.at("result"), "{\"on\":true}");
  EXPECT_EQ(m.at("frame_range").at("first"), kFrames - 1);
  EXPECT_EQ(m.at("frame_range").at("last"), kFrames - 1);
  EXPECT_EQ(m.at("media_url"), "ovs://streams/cam?start_frame_index=29&end_frame_index=30");
  r->stop_all();
}

TEST_F(JobRunnerTest, ARunStillGoingMakesTheDueOnesSkipsNeverASecondCall) {
  auto r = runner();
  r->start("key-a", "cam", frame_job("slow", 10));
  ASSERT_TRUE(run_until([&] { return gated_->calls == 1; }));
  // Let several due instants pass while the call hangs (how many does not matter).
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(60);
  while (std::chrono::steady_clock::now() < until) ioc_.run_one_for(std::chrono::milliseconds(5));
  EXPECT_EQ(gated_->calls, 1);
  gated_->release_all();
  ASSERT_TRUE(run_until([&] { return gated_->calls >= 2; }));
  EXPECT_EQ(gated_->max_active, 1);
  // Counted when the run that caused them ended.
  EXPECT_GE(r->stats("key-a", "cam")->skips, 1);
  EXPECT_GE(metrics_.value("sightline_job_skips_total", {{"reason", "busy"}}), 1.0);
  EXPECT_EQ(r->stats("key-a", "cam")->runs, 1);
  r->stop("cam");
  gated_->release_all();
  EXPECT_FALSE(r->stats("key-a", "cam").has_value());
}

TEST_F(JobRunnerTest, AFullRunnerSkipsAndOneSlowJobDoesNotDelayAnother) {
  JobSettings s;
  s.max_concurrent_runs = 2;
  auto r = runner(s);
  auto store = lookup_.store("key-a", "cam");
  lookup_.add("key-a", "cam2", *store);
  lookup_.add("key-a", "cam3", *store);
  std::vector<json::object> fast_results;
  auto sub2 = hub_.subscribe("cam2", [&](const ResultPayload& p) {
    fast_results.push_back(json::parse(*p).as_object());
  });
  r->start("key-a", "cam", frame_job("slow", 10));   // holds one slot
  r->start("key-a", "cam2", frame_job("fast", 10));  // keeps running meanwhile
  ASSERT_TRUE(run_until([&] { return fast_results.size() >= 3; }));
  EXPECT_EQ(gated_->calls, 1);
  r->start("key-a", "cam3", frame_job("slow", 10));  // takes the second slot
  ASSERT_TRUE(run_until([&] { return gated_->calls == 2; }));
  // Now both slots are held by slow calls: the fast job's due runs are skipped (saturated).
  ASSERT_TRUE(run_until([&] {
    return metrics_.value("sightline_job_skips_total", {{"reason", "saturated"}}) >= 2;
  }));
  gated_->release_all();
  r->stop_all();
  gated_->release_all();
}

TEST_F(JobRunnerTest, PromptChangesTakeEffectOnTheNextRunAndOwnersAreChecked) {
  auto r = runner();
  r->start("key-a", "cam", frame_job("slow", 10));
  ASSERT_TRUE(run_until([&] { return gated_->calls == 1; }));
  EXPECT_FALSE(r->set_prompt("key-b", "cam", "x").ok());
  EXPECT_FALSE(r->set_prompt("key-a", "nope", "x").ok());
  ASSERT_TRUE(r->set_prompt("key-a", "cam", "is it off?").ok());
  gated_->release_all();
  ASSERT_TRUE(run_until([&] { return gated_->calls == 2; }));
  EXPECT_EQ(gated_->received[1].body.at("messages").at(0).at("content").at(1).at("text"),
            "is it off?");
  ASSERT_TRUE(run_until([&] { return !results_.empty(); }));
  EXPECT_EQ(results_[0].at("prompt"), "is it on?");  // the first run's own prompt
  EXPECT_FALSE(r->stats("key-b", "cam").has_value());
  r->stop_all();
  gated_->release_all();
}

TEST_F(JobRunnerTest, AClipRunSamplesTheNewestClipAndFailuresAreResults) {
  auto r = runner();
  JobSpec clip;
  clip.mode = JobMode::clip;
  clip.target_fps = 5;
  clip.clip_length_ms = 1000;
  clip.delay_ms = 10;
  clip.prompt = "what happens?";
  clip.model = "fast";
  clip.output_schema_json = R"({"type":"object","required":["on"]})";
  r->start("key-a", "cam", clip);
  ASSERT_TRUE(run_until([&] { return !results_.empty(); }));
  r->stop_all();
  ASSERT_FALSE(fake_->calls.empty());
  const ResolvedMedia& media = fake_->calls[0].media.at(0);
  EXPECT_TRUE(media.video);
  // 1 s up to the live edge at 5 fps from a 10 fps store: the frames nearest the 200 ms grid
  // instants, i.e. every other frame, ending with the newest (nearest to the instant past it).
  ASSERT_GE(media.frames.size(), 4u);
  ASSERT_LE(media.frames.size(), 6u);
  EXPECT_EQ(media.frames.back().index, kFrames - 1);
  for (size_t i = 1; i + 1 < media.frames.size(); ++i)
    EXPECT_EQ(media.frames[i].index - media.frames[i - 1].index, 2);
  const json::object& m = results_[0];
  EXPECT_EQ(m.at("frame_range").at("first"), media.frames.front().index);
  EXPECT_EQ(m.at("frame_range").at("last"), media.frames.back().index);
  // The fake answers without choices: a failed run, reported as such.
  EXPECT_EQ(m.at("ok"), false);
  EXPECT_FALSE(m.at("error").as_string().empty());
  EXPECT_TRUE(m.at("media_url").as_string().starts_with("ovs://streams/cam?start_timestamp_ms="));
}

TEST_F(JobRunnerTest, AModelPastTheRunTimeoutFailsTheRunAndIsCancelled) {
  JobSettings s;
  s.run_timeout_ms = 30;
  auto r = runner(s);
  r->start("key-a", "cam", frame_job("slow", 10));
  ASSERT_TRUE(run_until([&] { return !results_.empty(); }));
  EXPECT_EQ(results_[0].at("ok"), false);
  EXPECT_NE(results_[0].at("error").as_string().find("jobs.run_timeout_ms"), std::string::npos);
  // The hung call was cancelled (its wait ended), not left running beside the next one.
  ASSERT_TRUE(run_until([&] { return gated_->calls >= 2; }));
  EXPECT_EQ(gated_->max_active, 1);
  r->stop_all();
  gated_->release_all();
  ASSERT_TRUE(run_until([&] { return gated_->active == 0; }));
}

TEST_F(JobRunnerTest, NothingRunsBeforeTheFirstFrame) {
  lookup_.add("key-a", "empty", std::make_shared<FrameStore>(StoreLimits{}));
  auto r = runner();
  r->start("key-a", "empty", frame_job("fast", 10));
  // Let several due instants pass: each finds no frame and does nothing.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  while (std::chrono::steady_clock::now() < until) ioc_.run_one_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(fake_->calls.empty());
  EXPECT_EQ(r->stats("key-a", "empty")->runs, 0);
  EXPECT_EQ(r->stats("key-a", "empty")->skips, 0);
  r->stop_all();
}

}  // namespace
}  // namespace sl::jobs

namespace sl::jobs {
namespace {

// Several jobs on a multi-threaded context with a real media pool, stopped from another thread
// while runs go (for ThreadSanitizer: the runner's own synchronisation, not the test's).
TEST(JobRunnerThreads, JobsOnSeveralThreadsStopCleanly) {
  SystemClock clock;
  testing::FakeStreamLookup lookup;
  auto store = std::make_shared<FrameStore>(StoreLimits{});
  for (int64_t k = 0; k < 10; ++k) {
    FrameArrival a;
    a.timestamp_ms = k * 100;
    a.wall_ms = clock.wall_ms() - 1000 + k * 100;
    a.image = testing::make_image(64, 48, PixelLayout::i420, false, k);
    store->on_frame(a);
  }
  for (const char* id : {"a", "b", "c"}) lookup.add("key", id, store);
  FrameRenderer renderer{1};
  MediaResolver media{lookup, renderer};
  auto backend = std::make_shared<CountingBackend>();
  ModelRouter models;
  ASSERT_TRUE(models.add(backend).ok());
  ResultsHub hub;
  std::atomic<int> results{0};
  std::vector<Subscription> subs;
  for (const char* id : {"a", "b", "c"})
    subs.push_back(hub.subscribe(id, [&](const ResultPayload&) { results.fetch_add(1); }));
  asio::thread_pool media_pool(2);
  asio::io_context ioc;
  auto guard = asio::make_work_guard(ioc);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&] { ioc.run(); });
  {
    JobRunner runner(JobSettings{}, JobRunnerDeps{&lookup, &media, &models, &hub, nullptr, &clock,
                                                  ioc.get_executor(), media_pool.get_executor()});
    for (const char* id : {"a", "b", "c"}) {
      JobSpec spec;
      spec.mode = id[0] == 'b' ? JobMode::clip : JobMode::frame;
      spec.interval_ms = 5;
      spec.delay_ms = 5;
      spec.clip_length_ms = 500;
      spec.target_fps = 10;
      spec.prompt = "p";
      runner.start("key", id, spec);
    }
    // A clip job's frame reader, fed from another thread as a source would.
    JobSpec clip;
    clip.target_fps = 10;
    clip.clip_length_ms = 500;
    auto prerender = runner.make_prerender("key", "b", clip);
    ASSERT_TRUE(prerender);
    std::thread source([&] {
      for (int64_t k = 0; k < 10; ++k) {
        FrameArrival a;
        a.timestamp_ms = k * 100;
        prerender->on_frame(k, a);
      }
    });
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (results.load() < 30 && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    source.join();
    EXPECT_GE(results.load(), 30);
    runner.stop("a");
    EXPECT_FALSE(runner.set_prompt("key", "a", "x").ok());
    EXPECT_TRUE(runner.set_prompt("key", "b", "x").ok());
  }  // the runner stops the rest
  guard.reset();
  ioc.stop();
  for (auto& t : threads) t.join();
  media_pool.join();
}

}  // namespace
}  // namespace sl::jobs
