// The engine backend with a gated fake model (no tensors; runs without libtorch and under the
// sanitizers): the OpenAI request mapping, the completion and chunk shapes, the bounded queue
// (503 when full, `saturated`), cancellation by the sink and by the caller's coroutine, and the
// loader's errors. Every wait is on an event (a forward step entered, a future), never a delay.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "backends/engine_backend.hpp"
#include "backends/engine_loader.hpp"
#include "backends/engine_request.hpp"
#include "engine/checkpoint.hpp"

namespace sl {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

const std::filesystem::path kTiny = std::filesystem::path(SL_ENGINE_FIXTURES) / "tiny_f32";

// A model that answers a scripted token sequence; each forward step waits for a permit from the
// test (unlimited by default), so a test can hold a generation at a known step.
class GatedModel final : public engine::VlmModel {
 public:
  GatedModel(std::vector<int> script) : script_(std::move(script)) {
    info_.family = "fake";
    info_.vocab_size = 600;
    info_.image_token_id = 597;
    info_.image_seq_len = 4;
    info_.context_length = 512;
  }
  const engine::ModelInfo& info() const override { return info_; }
  Result<engine::VisionEncodingPtr> encode(const engine::ProcessedImage& image) const override {
    ++encodes;
    return engine::VisionEncodingPtr(std::make_shared<Encoding>(image.tiles * info_.image_seq_len));
  }
  std::unique_ptr<engine::Sequence> new_sequence() const override { return std::make_unique<Seq>(); }
  Result<std::vector<float>> forward(engine::Sequence& sequence, std::span<const int> ids,
                                     std::span<const engine::VisionEncodingPtr>) const override {
    {
      std::unique_lock lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return permits_ != 0; });
      if (permits_ > 0) --permits_;
    }
    auto& s = static_cast<Seq&>(sequence);
    const std::size_t step = s.steps++;
    s.fed += static_cast<int>(ids.size());
    std::vector<float> logits(600, 0.0f);
    logits[static_cast<std::size_t>(script_[std::min(step, script_.size() - 1)])] = 10.0f;
    return logits;
  }

  // -1: unlimited.
  void set_permits(int n) {
    std::lock_guard lock(mu_);
    permits_ = n;
    cv_.notify_all();
  }
  void wait_entered(int n) const {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  int entered() const {
    std::lock_guard lock(mu_);
    return entered_;
  }
  mutable std::atomic<int> encodes{0};

 private:
  struct Encoding final : engine::VisionEncoding {
    explicit Encoding(int t) : t_(t) {}
    int tokens() const override { return t_; }
    std::size_t byte_size() const override { return 64; }
    int t_;
  };
  struct Seq final : engine::Sequence {
    int length() const override { return fed; }
    int fed = 0;
    std::size_t steps = 0;
  };
  engine::ModelInfo info_;
  std::vector<int> script_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable int permits_ = -1;
  mutable int entered_ = 0;
};

std::shared_ptr<const engine::Checkpoint> tiny_checkpoint() {
  static std::shared_ptr<const engine::Checkpoint> c = [] {
    auto loaded = engine::load_checkpoint(kTiny);
    EXPECT_TRUE(loaded.ok()) << loaded.error().message;
    return std::make_shared<const engine::Checkpoint>(std::move(*loaded));
  }();
  return c;
}

// " a b c d ..." as ids, then the end of turn.
std::vector<int> script(int words, bool end = true) {
  const auto& tok = tiny_checkpoint()->tokenizer;
  std::string text;
  for (int i = 0; i < words; ++i) text += " a";
  std::vector<int> ids = tok.encode(text, false);
  if (end) ids.push_back(*tok.token_to_id("<end_of_utterance>"));
  return ids;
}

// co_spawn's future needs a default-constructible value.
struct Pending {
  std::future<std::optional<Result<json::object>>> f;
  Result<json::object> get() { return std::move(*f.get()); }
};

struct Harness {
  explicit Harness(std::vector<int> tokens, EngineServingOptions options = {}) {
    model = std::make_shared<GatedModel>(std::move(tokens));
    auto engine = engine::Engine::create(tiny_checkpoint(), model, engine::EngineOptions{});
    EXPECT_TRUE(engine.ok());
    auto b = EngineBackend::create("tiny", std::shared_ptr<const engine::Engine>(std::move(*engine)), options);
    EXPECT_TRUE(b.ok());
    backend = *b;
    io_thread = std::thread([this] { ioc.run(); });
  }
  ~Harness() {
    model->set_permits(-1);
    backend->shutdown();
    work.reset();
    io_thread.join();
  }

  Pending complete(json::object body, std::vector<ResolvedMedia> media = {}) {
    auto task = [b = backend, body = std::move(body),
                 media = std::move(media)]() -> asio::awaitable<std::optional<Result<json::object>>> {
      ChatCall call{body, media};  // a local: no temporaries inside co_await (GCC 12)
      co_return co_await b->complete(std::move(call));
    };
    return Pending{asio::co_spawn(ioc, task, asio::use_future)};
  }

  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  std::shared_ptr<GatedModel> model;
  std::shared_ptr<EngineBackend> backend;
  std::thread io_thread;
};

// Greedy (the fake model's script is the argmax; sampling could pick another token).
json::object user(std::string text, json::object extra = {}) {
  json::object body{{"model", "tiny"},
                    {"messages", json::array{json::object{{"role", "user"}, {"content", text}}}},
                    {"temperature", 0}};
  for (auto& kv : extra) body[kv.key()] = kv.value();
  return body;
}

// --- request mapping ---------------------------------------------------------------------

TEST(EngineRequest, MessagesBecomeTemplatePartsAndParametersMap) {
  ChatCall call;
  call.body = json::parse(R"({"model":"tiny","messages":[
      {"role":"developer","content":"Be brief."},
      {"role":"user","content":[{"type":"text","text":"What?"},{"type":"ovs_media","index":0}]},
      {"role":"assistant","content":null}],
    "max_tokens":9,"max_completion_tokens":7,"temperature":0,"top_p":0.5,"seed":42,
    "stop":"END","response_format":{"type":"json_object"},"stream_options":{"include_usage":true}})")
                  .as_object();
  ResolvedMedia media;
  media.stream_id = "cam";
  MediaFrame frame;
  frame.index = 12;
  frame.width = 4;
  frame.height = 2;
  auto planes = std::make_shared<std::vector<uint8_t>>(64, 128);
  frame.picture.width = 4;
  frame.picture.height = 2;
  frame.picture.plane = {planes->data(), planes->data() + 16, planes->data() + 32};
  frame.picture.stride = {4, 2, 2};
  frame.picture.owner = planes;
  media.frames.push_back(frame);
  call.media.push_back(media);

  auto out = to_engine_call(call, 100);
  ASSERT_TRUE(out.ok()) << out.error().message;
  const engine::GenerationRequest& r = out->request;
  EXPECT_EQ(json::serialize(r.messages),
            R"([{"role":"system","content":[{"type":"text","text":"Be brief."}]},)"
            R"({"role":"user","content":[{"type":"text","text":"What?"},{"type":"image"}]},)"
            R"({"role":"assistant","content":[{"type":"text","text":""}]}])");
  ASSERT_EQ(r.images.size(), 1u);
  ASSERT_TRUE(r.images[0].frame.has_value());
  EXPECT_EQ(r.images[0].frame->stream, "cam#4x2");  // the picture's size is part of the cache key
  EXPECT_EQ(r.images[0].frame->index, 12);
  EXPECT_TRUE(std::holds_alternative<VideoImage>(r.images[0].picture));
  EXPECT_EQ(r.params.max_tokens, 7);
  EXPECT_EQ(r.params.sampling.temperature, 0.0);
  EXPECT_EQ(r.params.sampling.top_p, 0.5);
  EXPECT_EQ(r.params.sampling.seed, 42u);
  EXPECT_EQ(r.params.stop, std::vector<std::string>{"END"});
  EXPECT_TRUE(out->include_usage);
}

TEST(EngineRequest, VideoFramesGetTimestampsFromTheFirstFrame) {
  ChatCall call;
  call.body = json::parse(R"({"model":"tiny","messages":[{"role":"user","content":[{"type":"ovs_media","index":0}]}]})")
                  .as_object();
  ResolvedMedia media;
  media.video = true;
  media.stream_id = "cam";
  auto planes = std::make_shared<std::vector<uint8_t>>(64, 100);
  for (int i = 0; i < 3; ++i) {
    MediaFrame f;
    f.index = 10 + i;
    f.timestamp_ms = 5000 + 500 * i;
    f.picture.width = 4;
    f.picture.height = 2;
    f.picture.plane = {planes->data(), planes->data() + 16, planes->data() + 32};
    f.picture.stride = {4, 2, 2};
    f.picture.owner = planes;
    media.frames.push_back(f);
  }
  call.media.push_back(media);
  auto out = to_engine_call(call, 100);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->request.videos.size(), 1u);
  EXPECT_EQ(out->request.videos[0].timestamps, (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(out->request.videos[0].duration, 1.0);
  EXPECT_EQ(out->request.videos[0].frames[2].frame->index, 12);
  EXPECT_EQ(json::serialize(out->request.messages[0].as_object().at("content")), R"([{"type":"video"}])");
}

TEST(EngineRequest, WhatALocalModelCannotHonourIsRefusedNamingTheField) {
  struct Case {
    const char* extra;
    ErrorCode code;
    const char* param;
  };
  const Case cases[] = {
      {R"("n":2)", ErrorCode::unsupported, "n"},
      {R"("tools":[{"type":"function","function":{"name":"f"}}])", ErrorCode::unsupported, "tools"},
      {R"("logprobs":true)", ErrorCode::unsupported, "logprobs"},
      {R"("response_format":{"type":"json_schema","json_schema":{}})", ErrorCode::unsupported, "response_format.type"},
      {R"("temperature":3)", ErrorCode::invalid_request, "temperature"},
      {R"("top_p":0)", ErrorCode::invalid_request, "top_p"},
      {R"("max_tokens":0)", ErrorCode::invalid_request, "max_tokens"},
      {R"("stop":[1])", ErrorCode::invalid_request, "stop"},
      {R"("seed":"x")", ErrorCode::invalid_request, "seed"},
  };
  for (const Case& c : cases) {
    ChatCall call;
    call.body = json::parse(std::string(R"({"model":"tiny","messages":[{"role":"user","content":"hi"}],)") + c.extra + "}")
                    .as_object();
    auto out = to_engine_call(call, 100);
    ASSERT_FALSE(out.ok()) << c.extra;
    EXPECT_EQ(out.error().code, c.code) << c.extra;
    EXPECT_EQ(out.error().param, c.param) << c.extra;
  }
  ChatCall audio;
  audio.body = json::parse(R"({"model":"tiny","messages":[{"role":"user","content":[{"type":"input_audio"}]}]})").as_object();
  auto out = to_engine_call(audio, 100);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().param, "messages[0].content[0].type");
}

// --- completions and streams ---------------------------------------------------------------

TEST(EngineBackend, CompletionHasTheOpenAiShape) {
  Harness h(script(3));
  auto r = h.complete(user("Hello")).get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  const json::object& o = *r;
  EXPECT_EQ(o.at("object"), "chat.completion");
  EXPECT_EQ(o.at("model"), "tiny");
  EXPECT_TRUE(o.at("id").as_string().starts_with("chatcmpl-"));
  const json::object& choice = o.at("choices").as_array().at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_EQ(choice.at("message").as_object().at("role"), "assistant");
  EXPECT_EQ(choice.at("message").as_object().at("content"), " a a a");
  const json::object& usage = o.at("usage").as_object();
  EXPECT_EQ(usage.at("completion_tokens").as_int64(), 4);  // three words and the end of turn
  EXPECT_EQ(usage.at("total_tokens").as_int64(),
            usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64());

  auto limited = h.complete(user("Hello", {{"max_tokens", 2}})).get();
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->at("choices").as_array().at(0).as_object().at("finish_reason"), "length");
  EXPECT_EQ(h.backend->health().status, "ready");
}

struct Collected {
  std::vector<json::object> chunks;
  Status status;
};

std::future<Collected> stream(Harness& h, json::object body, int accept = 1000) {
  auto task = [b = h.backend, body = std::move(body), accept]() -> asio::awaitable<Collected> {
    auto out = std::make_shared<Collected>();
    ChunkSink sink = [out, accept](json::object chunk) -> asio::awaitable<bool> {
      if (static_cast<int>(out->chunks.size()) >= accept) co_return false;
      out->chunks.push_back(std::move(chunk));
      co_return true;
    };
    ChatCall call{body, {}};
    out->status = co_await b->stream(std::move(call), sink);
    co_return std::move(*out);
  };
  return asio::co_spawn(h.ioc, task, asio::use_future);
}

TEST(EngineBackend, StreamSendsTheRoleFirstThenTextThenTheFinishAndUsage) {
  Harness h(script(3));
  for (bool usage : {false, true}) {
    json::object body = user("Hello");
    if (usage) body["stream_options"] = json::object{{"include_usage", true}};
    Collected c = stream(h, body).get();
    ASSERT_TRUE(c.status.ok()) << c.status.error().message;
    ASSERT_GE(c.chunks.size(), 3u);
    std::string text;
    std::vector<std::string> finishes;
    for (const json::object& chunk : c.chunks) {
      EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
      EXPECT_EQ(chunk.at("id"), c.chunks[0].at("id"));
      EXPECT_EQ(chunk.contains("usage"), usage);
      const json::array& choices = chunk.at("choices").as_array();
      if (choices.empty()) continue;
      const json::object& choice = choices[0].as_object();
      if (const json::value* t = choice.at("delta").as_object().if_contains("content")) text += t->as_string();
      if (!choice.at("finish_reason").is_null()) finishes.emplace_back(choice.at("finish_reason").as_string());
    }
    const json::object& first = c.chunks[0].at("choices").as_array()[0].as_object();
    EXPECT_EQ(first.at("delta").as_object().at("role"), "assistant");
    EXPECT_EQ(text, " a a a");
    EXPECT_EQ(finishes, std::vector<std::string>{"stop"});
    if (usage) {
      const json::object& last = c.chunks.back();
      EXPECT_TRUE(last.at("choices").as_array().empty());
      EXPECT_EQ(last.at("usage").as_object().at("completion_tokens").as_int64(), 4);
    }
  }
}

TEST(EngineBackend, BadRequestsFailBeforeAnyChunk) {
  Harness h(script(3));
  Collected c = stream(h, user("Hello", {{"n", 3}})).get();
  ASSERT_FALSE(c.status.ok());
  EXPECT_EQ(c.status.error().code, ErrorCode::unsupported);
  EXPECT_TRUE(c.chunks.empty());
}

TEST(EngineBackend, AStreamFrameIsEncodedOnceForEveryRequestThatSeesIt) {
  Harness h(script(2));
  auto planes = std::make_shared<std::vector<uint8_t>>(48 * 32 * 2, 90);
  auto media_of = [&](const std::string& stream, int64_t index) {
    ResolvedMedia m;
    m.stream_id = stream;
    MediaFrame f;
    f.index = index;
    f.picture.width = 48;
    f.picture.height = 32;
    f.picture.plane = {planes->data(), planes->data() + 48 * 32, planes->data() + 48 * 32 + 24 * 16};
    f.picture.stride = {48, 24, 24};
    f.picture.owner = planes;
    m.frames.push_back(f);
    return std::vector<ResolvedMedia>{m};
  };
  const json::object body = json::parse(R"({"model":"tiny","temperature":0,"messages":[{"role":"user",
      "content":[{"type":"text","text":"What?"},{"type":"ovs_media","index":0}]}]})")
                                .as_object();
  ASSERT_TRUE(h.complete(body, media_of("cam", 7)).get().ok());
  const int first = h.model->encodes.load();
  EXPECT_GT(first, 0);
  ASSERT_TRUE(h.complete(body, media_of("cam", 7)).get().ok());
  EXPECT_EQ(h.model->encodes.load(), first);  // served from the vision cache
  ASSERT_TRUE(h.complete(body, media_of("cam", 8)).get().ok());
  EXPECT_EQ(h.model->encodes.load(), 2 * first);  // another frame
  ASSERT_TRUE(h.complete(body, media_of("other", 7)).get().ok());
  EXPECT_EQ(h.model->encodes.load(), 3 * first);  // another stream
}

// --- admission ------------------------------------------------------------------------------

TEST(EngineBackend, ARequestBeyondRunningAndQueuedIsRefusedWith503) {
  Harness h(script(3), EngineServingOptions{1, 1});
  h.model->set_permits(0);
  auto running = h.complete(user("first"));
  h.model->wait_entered(1);  // the first holds the worker
  auto queued = h.complete(user("second"));
  // The queued one is admitted when complete() starts; wait for that through health.
  while (h.backend->health().in_flight < 2) std::this_thread::yield();
  EXPECT_EQ(h.backend->health().status, "saturated");
  auto refused = h.complete(user("third")).get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::upstream_unavailable);
  EXPECT_NE(refused.error().message.find("engine.max_queue"), std::string::npos);
  h.model->set_permits(-1);
  EXPECT_TRUE(running.get().ok());
  EXPECT_TRUE(queued.get().ok());
  EXPECT_EQ(h.backend->health().status, "ready");
  EXPECT_EQ(h.backend->health().in_flight, 0);
  EXPECT_TRUE(h.complete(user("fourth")).get().ok());
}

// --- cancellation ----------------------------------------------------------------------------

TEST(EngineBackend, AClientThatStopsReadingStopsTheGeneration) {
  Harness h(script(400, false), EngineServingOptions{1, 0});
  h.model->set_permits(2);  // the prompt and one step, then the generation waits
  Collected c = stream(h, user("Hello"), /*accept=*/1).get();  // the role chunk, then "gone"
  ASSERT_FALSE(c.status.ok());
  EXPECT_EQ(c.status.error().code, ErrorCode::cancelled);
  h.model->set_permits(-1);
  // The worker notices before its next step and frees the slot; the next request runs.
  while (h.backend->health().in_flight > 0) std::this_thread::yield();
  EXPECT_LE(h.model->entered(), 3);  // the prompt, the step it had, the one it was in
  EXPECT_TRUE(h.complete(user("again", {{"max_tokens", 2}})).get().ok());
}

TEST(EngineBackend, CancellingTheCallerStopsAQueuedOrRunningGeneration) {
  Harness h(script(400, false), EngineServingOptions{1, 1});
  h.model->set_permits(1);  // the prompt only
  asio::cancellation_signal signal;
  auto task = [b = h.backend]() -> asio::awaitable<std::optional<Result<json::object>>> {
    ChatCall call{user("Hello"), {}};
    co_return co_await b->complete(std::move(call));
  };
  Pending done{asio::co_spawn(h.ioc, task, asio::bind_cancellation_slot(signal.slot(), asio::use_future))};
  h.model->wait_entered(2);  // blocked in the first decode step
  asio::post(h.ioc, [&] { signal.emit(asio::cancellation_type::terminal); });
  auto r = done.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::cancelled);
  const int before = h.model->entered();
  h.model->set_permits(-1);
  h.backend->shutdown();  // joins the worker: it stopped at its next check
  EXPECT_LE(h.model->entered(), before + 1);
  EXPECT_EQ(h.backend->health().status, "unavailable");
  auto late = h.complete(user("late")).get();
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::upstream_unavailable);
}

// --- loading ----------------------------------------------------------------------------------

TEST(EngineLoader, LoadsTheTinyCheckpointOrSaysItWasBuiltWithoutLibtorch) {
  LocalModelConfig c;
  c.model = "tiny";
  c.checkpoint_dir = kTiny.string();
  c.threads = 1;
  auto backend = load_engine_backend(c);
  if (!engine_built_with_torch()) {
    ASSERT_FALSE(backend.ok());
    EXPECT_EQ(backend.error().code, ErrorCode::unsupported);
    EXPECT_NE(backend.error().message.find("without libtorch"), std::string::npos);
    return;
  }
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  EXPECT_EQ((*backend)->model_name(), "tiny");
  EXPECT_TRUE((*backend)->wants_pictures());

  c.checkpoint_dir = (kTiny / "missing").string();
  auto missing = load_engine_backend(c);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_NE(missing.error().message.find("model 'tiny'"), std::string::npos);
  EXPECT_NE(missing.error().message.find("config.json"), std::string::npos);

  c.checkpoint_dir = kTiny.string();
  c.precision = "f16";
  EXPECT_EQ(load_engine_backend(c).error().code, ErrorCode::invalid_request);
}

}  // namespace
}  // namespace sl
