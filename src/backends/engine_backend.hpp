// A Backend that runs Chat Completions on a model loaded in-process (src/engine), with the
// same OpenAI shapes as a remote backend: `chat.completion`, or SSE chunks (the role first,
// content deltas, the finish_reason, and the usage chunk when stream_options.include_usage).
//
// Admission: at most `max_concurrent` generations run at once, each on a worker thread owned by
// the backend (generation blocks for seconds; network threads never wait on it), and at most
// `max_queue` more wait for a worker in arrival order. A request beyond that is refused at once
// with upstream_unavailable (HTTP 503) naming the settings, so clients back off instead of
// piling up. health(): `ready` while a request would be admitted, `saturated` when it would be
// refused, `degraded` after a generation failed inside the engine (until one succeeds),
// `unavailable` after shutdown().
//
// Cancellation: when the caller's coroutine is cancelled (the HTTP layer does this when the
// client disconnects) or the stream's sink returns false, the generation's stop token fires and
// the worker stops before its next step; a request still queued never starts.
// Threading: every method may be called from any thread; per-request state lives in the call.
// Errors: those of engine_request.hpp (400), upstream_unavailable (503, full), cancelled, and
// the engine's own (invalid_request for a prompt it cannot take, internal for failures).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "backends/backend.hpp"
#include "engine/engine.hpp"

namespace sl {

class GenerationFeed;

struct EngineServingOptions {
  int max_concurrent = 1;  // engine.max_concurrent: generations running at once (>= 1)
  int max_queue = 8;       // engine.max_queue: requests waiting for a worker (>= 0)
};

class EngineBackend final : public Backend {
 public:
  // invalid_request for a null engine or out-of-range options.
  static Result<std::shared_ptr<EngineBackend>> create(std::string model,
                                                       std::shared_ptr<const engine::Engine> engine,
                                                       const EngineServingOptions& options);
  ~EngineBackend() override;

  std::string model_name() const override { return model_; }
  BackendHealth health() const override;
  bool wants_pictures() const override { return true; }
  boost::asio::awaitable<Result<boost::json::object>> complete(ChatCall call) override;
  boost::asio::awaitable<Status> stream(ChatCall call, ChunkSink on_chunk) override;
  void shutdown() override;

  const engine::Engine& engine() const { return *engine_; }

 private:
  class Ticket;
  EngineBackend(std::string model, std::shared_ptr<const engine::Engine> engine, const EngineServingOptions& options);
  // Admits the request and posts its generation to a worker; the feed delivers the outcome.
  Result<std::shared_ptr<GenerationFeed>> start(engine::GenerationRequest request, bool streaming);
  Error busy_error() const;
  void record(const Result<engine::GenerationResult>& outcome);

  std::string model_;
  std::shared_ptr<const engine::Engine> engine_;
  EngineServingOptions options_;

  std::atomic<int64_t> admitted_{0};  // running + queued
  std::atomic<int64_t> running_{0};
  std::atomic<int64_t> consecutive_failures_{0};
  std::atomic<bool> stopped_{false};
  std::stop_source shutdown_;  // fires every generation's stop token at shutdown
  mutable std::mutex last_error_mu_;
  std::string last_error_;
  boost::asio::thread_pool workers_;  // last: joined before the members above go away
};

}  // namespace sl
