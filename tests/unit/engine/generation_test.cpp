// Sampling, the vision cache and Engine::generate with a scripted fake model (no tensors):
// stop strings, end-of-turn, max tokens, cancellation, streamed text, usage, cache reuse.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "engine/engine.hpp"
#include "engine/fake_model.hpp"
#include "engine/fixtures.hpp"

namespace sl::engine {
namespace {

namespace json = boost::json;
using testing::FakeModel;
using testing::fixture_dir;

TEST(Sampler, GreedyAndDegenerateSettingsPickTheArgmax) {
  const std::vector<float> logits{0.1f, 2.0f, 1.9f, -3.0f};
  SamplingParams greedy;
  greedy.temperature = 0;
  EXPECT_EQ(Sampler(greedy).pick(logits), 1);
  SamplingParams top1;
  top1.top_k = 1;
  top1.seed = 5;
  SamplingParams tiny_p;
  tiny_p.top_p = 1e-6;
  tiny_p.seed = 5;
  Sampler a(top1), b(tiny_p);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(a.pick(logits), 1);
    EXPECT_EQ(b.pick(logits), 1);
  }
}

TEST(Sampler, SeededDrawsRepeatAndFollowTheDistribution) {
  const std::vector<float> logits{0.0f, static_cast<float>(std::log(3.0)), -100.0f};
  SamplingParams p;
  p.seed = 42;
  Sampler a(p), b(p);
  int ones = 0;
  for (int i = 0; i < 4000; ++i) {
    const int x = a.pick(logits);
    EXPECT_EQ(x, b.pick(logits));
    EXPECT_NE(x, 2);
    ones += x == 1;
  }
  EXPECT_NEAR(ones / 4000.0, 0.75, 0.05);
  SamplingParams k2 = p;
  k2.top_k = 2;
  k2.temperature = 1000;  // flat, but only the two best remain
  Sampler c(k2);
  for (int i = 0; i < 200; ++i) EXPECT_NE(c.pick(logits), 2);
}

TEST(Sampler, RefusesBadValues) {
  SamplingParams p;
  p.temperature = -1;
  EXPECT_FALSE(p.validate().ok());
  p = {};
  p.top_p = 0;
  EXPECT_FALSE(p.validate().ok());
  p = {};
  p.top_k = -2;
  EXPECT_FALSE(p.validate().ok());
}

struct FakeEncodingOf final : VisionEncoding {
  int tokens() const override { return 4; }
  std::size_t byte_size() const override { return 100; }
};

TEST(VisionCache, AMovingFiveSecondWindowEncodesEachFrameOnce) {
  // Frames sampled at 2 per second; the last 5 s asked about every 0.5 s, 10 times.
  VisionCache cache(1 << 20);
  int encodes = 0;
  for (int query = 0; query < 10; ++query)
    for (int frame = query; frame < query + 10; ++frame) {
      auto r = cache.get_or_encode({"cam", frame, 7}, [&]() -> Result<VisionEncodingPtr> {
        ++encodes;
        return VisionEncodingPtr(std::make_shared<FakeEncodingOf>());
      });
      ASSERT_TRUE(r.ok());
    }
  EXPECT_EQ(encodes, 19);
  const auto s = cache.stats();
  EXPECT_EQ(s.misses, 19u);
  EXPECT_EQ(s.hits, 81u);
  EXPECT_EQ(s.entries, 19u);
  EXPECT_EQ(s.bytes, 1900u);
}

TEST(VisionCache, KeysDifferByStreamAndPreprocessingAndTheBoundEvictsOldest) {
  VisionCache cache(350);  // three entries of 100 bytes
  auto make = []() -> Result<VisionEncodingPtr> { return VisionEncodingPtr(std::make_shared<FakeEncodingOf>()); };
  for (const VisionCacheKey& k : {VisionCacheKey{"a", 1, 1}, {"b", 1, 1}, {"a", 1, 2}}) ASSERT_TRUE(cache.get_or_encode(k, make).ok());
  EXPECT_EQ(cache.stats().misses, 3u);
  ASSERT_TRUE(cache.get_or_encode({"a", 1, 1}, make).ok());  // hit, now the most recent
  ASSERT_TRUE(cache.get_or_encode({"c", 9, 1}, make).ok());  // evicts ("b", 1, 1)
  auto s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.bytes, 300u);
  ASSERT_TRUE(cache.get_or_encode({"a", 1, 1}, make).ok());
  EXPECT_EQ(cache.stats().hits, 2u);
  ASSERT_TRUE(cache.get_or_encode({"b", 1, 1}, make).ok());
  EXPECT_EQ(cache.stats().misses, 5u);
}

TEST(VisionCache, FailuresAndOversizedEncodingsAreNotKept) {
  VisionCache cache(50);
  auto fail = []() -> Result<VisionEncodingPtr> { return make_error(ErrorCode::internal, "boom"); };
  EXPECT_FALSE(cache.get_or_encode({"a", 1, 1}, fail).ok());
  auto big = []() -> Result<VisionEncodingPtr> { return VisionEncodingPtr(std::make_shared<FakeEncodingOf>()); };
  EXPECT_TRUE(cache.get_or_encode({"a", 1, 1}, big).ok());
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST(VisionCache, ConcurrentMissesOnOneKeyEncodeOnce) {
  VisionCache cache(1 << 20);
  std::atomic<int> encodes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int frame = 0; frame < 50; ++frame)
        ASSERT_TRUE(cache
                        .get_or_encode({"cam", frame, 1},
                                       [&]() -> Result<VisionEncodingPtr> {
                                         ++encodes;
                                         return VisionEncodingPtr(std::make_shared<FakeEncodingOf>());
                                       })
                        .ok());
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(encodes.load(), 50);
  EXPECT_EQ(cache.stats().hits, 150u);
}

// The hub fixture's tokenizer and template with a scripted model.
class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ckpt = load_checkpoint(fixture_dir() / "smolvlm2_hub");
    ASSERT_TRUE(ckpt.ok()) << ckpt.error().message;
    checkpoint_ = std::make_shared<const Checkpoint>(std::move(*ckpt));
  }
  int id(std::string_view token) const { return *checkpoint_->tokenizer.token_to_id(token); }
  std::vector<int> ids(std::string_view text) const { return checkpoint_->tokenizer.encode(text, false); }
  std::unique_ptr<Engine> engine(std::vector<int> script, std::shared_ptr<FakeModel>* out = nullptr) {
    ModelInfo info;
    info.family = "fake";
    info.vocab_size = static_cast<int>(checkpoint_->tokenizer.vocab_size());
    info.image_token_id = id("<image>");
    info.image_seq_len = 4;
    info.context_length = 512;
    auto model = std::make_shared<FakeModel>(info, std::move(script));
    if (out) *out = model;
    auto e = Engine::create(checkpoint_, model, {});
    EXPECT_TRUE(e.ok());
    return std::move(*e);
  }
  static GenerationRequest ask(std::string_view question) {
    GenerationRequest r;
    r.params.sampling.temperature = 0;  // the fake model's script, token for token
    json::array content{json::object{{"type", "text"}, {"text", question}}};
    r.messages.push_back(json::object{{"role", "user"}, {"content", content}});
    return r;
  }
  std::shared_ptr<const Checkpoint> checkpoint_;
};

TEST_F(EngineTest, StopsAtTheEndOfTurnAndCountsUsage) {
  std::vector<int> script = ids("A red door.");
  script.push_back(id("<end_of_utterance>"));
  auto e = engine(script);
  std::string streamed;
  auto r = e->generate(ask("What is it?"), {[&](std::string_view t) { streamed += t; }});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "A red door.");
  EXPECT_EQ(streamed, r->text);
  EXPECT_EQ(r->finish_reason, FinishReason::stop);
  EXPECT_EQ(r->completion_tokens, static_cast<int>(script.size()));
  auto prompt = e->prepare(ask("What is it?"));
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(prompt->text, "<|im_start|>User: What is it?<end_of_utterance>\nAssistant:");
  EXPECT_EQ(r->prompt_tokens, static_cast<int>(prompt->ids.size()));
}

TEST_F(EngineTest, MaxTokensEndsWithLength) {
  auto e = engine(ids("one two three four five six"));
  GenerationRequest req = ask("Count");
  req.params.max_tokens = 3;
  auto r = e->generate(req, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, FinishReason::length);
  EXPECT_EQ(r->completion_tokens, 3);
  const std::vector<int> all = ids("one two three four five six");
  EXPECT_EQ(r->tokens, std::vector<int>(all.begin(), all.begin() + 3));
}

TEST_F(EngineTest, StopStringsCutTheTextAndAreNeverStreamed) {
  auto e = engine(ids("The car is red. STOP here and more"));
  GenerationRequest req = ask("Color?");
  req.params.stop = {"STOP", "never"};
  std::string streamed;
  auto r = e->generate(req, {[&](std::string_view t) { streamed += t; }});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "The car is red. ");
  EXPECT_EQ(streamed, r->text);
  EXPECT_EQ(r->finish_reason, FinishReason::stop);
}

TEST_F(EngineTest, HeldBackTextIsReleasedWhenTheStopStringNeverCompletes) {
  auto e = engine(ids("go ST"));
  GenerationRequest req = ask("x");
  req.params.stop = {"STOP"};
  req.params.max_tokens = static_cast<int>(ids("go ST").size());
  std::string streamed;
  auto r = e->generate(req, {[&](std::string_view t) { streamed += t; }});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, FinishReason::length);
  EXPECT_EQ(r->text, "go ST");
  EXPECT_EQ(streamed, "go ST");
}

TEST_F(EngineTest, CancellationStopsBetweenSteps) {
  auto e = engine(ids("a b c d e f g h"));
  std::stop_source stop;
  int pieces = 0;
  auto r = e->generate(ask("x"), {[&](std::string_view) {
                         if (++pieces == 2) stop.request_stop();
                       }},
                       stop.get_token());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, FinishReason::cancelled);
  EXPECT_LT(r->completion_tokens, 8);
}

VideoImage gray_picture(int w, int h, std::vector<std::uint8_t>& storage) {
  storage.assign(static_cast<std::size_t>(w * h) * 3, 128);
  VideoImage img;
  img.width = w;
  img.height = h;
  img.layout = PixelLayout::i444;
  img.full_range = true;
  for (std::size_t p = 0; p < 3; ++p) {
    img.plane[p] = storage.data() + p * static_cast<std::size_t>(w * h);
    img.stride[p] = w;
  }
  return img;
}

TEST_F(EngineTest, ImagesExpandToTheirTileLayoutAndStreamFramesComeFromTheCache) {
  std::shared_ptr<FakeModel> model;
  auto e = engine({id("<end_of_utterance>")}, &model);
  std::vector<std::uint8_t> storage;
  const VideoImage picture = gray_picture(50, 31, storage);  // 128 longest edge, tiles of 32: 3 x 4
  GenerationRequest req;
  json::array content{json::object{{"type", "image"}}, json::object{{"type", "text"}, {"text", "What?"}}};
  req.messages.push_back(json::object{{"role", "user"}, {"content", content}});
  req.images.push_back({picture, FrameRef{"cam", 10}});
  auto prompt = e->prepare(req);
  ASSERT_TRUE(prompt.ok()) << prompt.error().message;
  const TileGrid grid = tile_grid(50, 31, checkpoint_->processor.image);
  EXPECT_EQ(grid.rows, 3);
  EXPECT_EQ(grid.cols, 4);
  EXPECT_NE(prompt->text.find("<row_3_col_4><image><image><image><image>\n\n<fake_token_around_image><global-img>"),
            std::string::npos);
  EXPECT_EQ(model->encodes.load(), 1);
  auto again = e->generate(req, {});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->pictures_encoded, 0);
  EXPECT_EQ(model->encodes.load(), 1);
  EXPECT_EQ(model->last_prompt_image_tokens.load(), (3 * 4 + 1) * 4);
  EXPECT_EQ(e->cache_stats().hits, 1u);

  // A moving window of video frames: each frame is encoded once across the questions.
  for (int query = 0; query < 4; ++query) {
    GenerationRequest v;
    json::array parts{json::object{{"type", "video"}}, json::object{{"type", "text"}, {"text", "What happened?"}}};
    v.messages.push_back(json::object{{"role", "user"}, {"content", parts}});
    VideoInput clip;
    for (int f = query; f < query + 10; ++f) {
      clip.frames.push_back({picture, FrameRef{"cam", f}});
      clip.timestamps.push_back((f - query) * 0.5);
    }
    clip.duration = 5;
    v.videos.push_back(clip);
    auto r = e->generate(v, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->pictures_encoded, query == 0 ? 10 : 1);
  }
  EXPECT_EQ(model->encodes.load(), 1 + 13);
}

TEST_F(EngineTest, PartsAndPicturesMustMatch) {
  auto e = engine({id("<end_of_utterance>")});
  GenerationRequest req;
  json::array content{json::object{{"type", "image"}}};
  req.messages.push_back(json::object{{"role", "user"}, {"content", content}});
  EXPECT_EQ(e->generate(req, {}).error().code, ErrorCode::invalid_request);
  GenerationRequest extra = ask("hi");
  std::vector<std::uint8_t> storage;
  extra.images.push_back({gray_picture(8, 8, storage), std::nullopt});
  EXPECT_EQ(e->generate(extra, {}).error().code, ErrorCode::invalid_request);
  GenerationRequest bad = ask("hi");
  bad.params.max_tokens = 0;
  EXPECT_EQ(e->generate(bad, {}).error().code, ErrorCode::invalid_request);
}

}  // namespace
}  // namespace sl::engine
