#include "backends/engine_backend.hpp"

#include <exception>
#include <limits>
#include <optional>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include "backends/engine_request.hpp"
#include "backends/generation_feed.hpp"

namespace sl {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// No max_tokens from the client: until the model ends its turn or the context is full.
constexpr int kNoTokenLimit = std::numeric_limits<int>::max();

Error cancelled_error() { return make_error(ErrorCode::cancelled, "client disconnected"); }

// The boundary: an exception from an await (the caller's coroutine cancelled: operation_aborted)
// or from a sink becomes a value.
Error error_from_exception(const std::exception& e) {
  if (const auto* se = dynamic_cast<const boost::system::system_error*>(&e))
    if (se->code() == asio::error::operation_aborted) return cancelled_error();
  return make_error(ErrorCode::internal, std::string("engine backend failure: ") + e.what());
}

// Fires the generation's stop token when the request's coroutine ends (returns, fails or is
// destroyed) before the generation finished.
class StopOnExit {
 public:
  explicit StopOnExit(std::shared_ptr<GenerationFeed> feed) : feed_(std::move(feed)) {}
  ~StopOnExit() {
    if (!feed_->finished()) feed_->request_stop();
  }
  StopOnExit(const StopOnExit&) = delete;
  StopOnExit& operator=(const StopOnExit&) = delete;

 private:
  std::shared_ptr<GenerationFeed> feed_;
};

}  // namespace

// One admitted request: counted in admitted_ until released; if its job is dropped without
// running (the pool stopped), the feed still gets an end so the waiting coroutine resumes.
class EngineBackend::Ticket {
 public:
  Ticket(EngineBackend& backend, std::shared_ptr<GenerationFeed> feed) : backend_(&backend), feed_(std::move(feed)) {}
  Ticket(Ticket&& o) noexcept : backend_(std::exchange(o.backend_, nullptr)), feed_(std::move(o.feed_)) {}
  Ticket& operator=(Ticket&&) = delete;
  ~Ticket() {
    release();
    if (feed_) feed_->finish(make_error(ErrorCode::cancelled, "the server is shutting down"));
  }
  // Frees the admission slot (before the result is handed over, so a client that sends its
  // next request as soon as it has the answer finds the slot free).
  void release() {
    if (backend_) backend_->admitted_.fetch_sub(1);
    backend_ = nullptr;
  }

 private:
  EngineBackend* backend_;
  std::shared_ptr<GenerationFeed> feed_;
};

EngineBackend::EngineBackend(std::string model, std::shared_ptr<const engine::Engine> engine,
                             const EngineServingOptions& options)
    : model_(std::move(model)),
      engine_(std::move(engine)),
      options_(options),
      workers_(static_cast<std::size_t>(options.max_concurrent)) {}

Result<std::shared_ptr<EngineBackend>> EngineBackend::create(std::string model,
                                                             std::shared_ptr<const engine::Engine> engine,
                                                             const EngineServingOptions& options) {
  if (!engine) return make_error(ErrorCode::invalid_request, "engine backend without an engine");
  if (options.max_concurrent < 1 || options.max_concurrent > 1024)
    return make_error(ErrorCode::invalid_request, "engine.max_concurrent must be between 1 and 1024",
                      "engine.max_concurrent");
  if (options.max_queue < 0)
    return make_error(ErrorCode::invalid_request, "engine.max_queue must not be negative", "engine.max_queue");
  return std::shared_ptr<EngineBackend>(new EngineBackend(std::move(model), std::move(engine), options));
}

EngineBackend::~EngineBackend() { shutdown(); }

void EngineBackend::shutdown() {
  if (stopped_.exchange(true)) return;
  shutdown_.request_stop();
  // Queued jobs still run, each ending at once: every feed gets its end before this returns,
  // while the callers' executors are still there to receive it.
  workers_.join();
}

BackendHealth EngineBackend::health() const {
  BackendHealth h;
  h.in_flight = admitted_.load();
  h.consecutive_failures = consecutive_failures_.load();
  if (stopped_.load()) {
    h.status = "unavailable";
  } else if (h.in_flight >= options_.max_concurrent + options_.max_queue) {
    h.status = "saturated";
  } else if (h.consecutive_failures > 0) {
    h.status = "degraded";
  }
  std::lock_guard lock(last_error_mu_);
  h.last_error = last_error_;
  return h;
}

void EngineBackend::record(const Result<engine::GenerationResult>& outcome) {
  if (outcome.ok()) {
    consecutive_failures_ = 0;
    return;
  }
  if (outcome.error().code != ErrorCode::internal) return;  // the request's fault, not the model's
  ++consecutive_failures_;
  std::lock_guard lock(last_error_mu_);
  last_error_ = outcome.error().message;
}

Error EngineBackend::busy_error() const {
  return make_error(ErrorCode::upstream_unavailable,
                    "Model '" + model_ + "' is busy: it runs " + std::to_string(options_.max_concurrent) +
                        " request(s) at once and queues " + std::to_string(options_.max_queue) +
                        " more (engine.max_concurrent, engine.max_queue), and all are taken. Retry later.");
}

Result<std::shared_ptr<GenerationFeed>> EngineBackend::start(engine::GenerationRequest request, bool streaming) {
  if (stopped_.load()) return make_error(ErrorCode::upstream_unavailable, "the server is shutting down");
  const int64_t capacity = options_.max_concurrent + options_.max_queue;
  int64_t n = admitted_.load();
  do {
    if (n >= capacity) return busy_error();
  } while (!admitted_.compare_exchange_weak(n, n + 1));

  auto feed = GenerationFeed::create();
  Ticket ticket(*this, feed);
  auto job = [this, engine = engine_, feed, request = std::move(request), ticket = std::move(ticket),
              streaming]() mutable {
    ++running_;
    std::optional<Result<engine::GenerationResult>> result;
    {
      engine::GenerationCallbacks callbacks;
      if (streaming) callbacks.on_text = [&feed](std::string_view text) { feed->push_text(text); };
      std::stop_callback on_shutdown(shutdown_.get_token(), [&feed] { feed->request_stop(); });
      try {
        if (feed->stop_token().stop_requested()) {  // cancelled (or shut down) while queued
          result.emplace(cancelled_error());
        } else {
          result.emplace(engine->generate(request, callbacks, feed->stop_token()));
        }
      } catch (const std::exception& e) {  // the boundary: nothing thrown leaves the worker
        result.emplace(make_error(ErrorCode::internal, std::string("engine failure: ") + e.what()));
      }
    }
    --running_;
    record(*result);
    ticket.release();
    feed->finish(std::move(*result));
  };
  asio::post(workers_, std::move(job));
  return feed;
}

asio::awaitable<Result<json::object>> EngineBackend::complete(ChatCall call) {
  auto converted = to_engine_call(call, kNoTokenLimit);
  if (!converted.ok()) co_return converted.error();
  auto feed = start(std::move(converted->request), false);
  if (!feed.ok()) co_return feed.error();
  StopOnExit guard(*feed);
  const CompletionMeta meta = new_completion_meta(model_);
  for (;;) {
    std::optional<Result<GenerationFeed::Batch>> batch;
    try {
      batch.emplace(co_await (*feed)->next());
    } catch (const std::exception& e) {  // e.g. the coroutine was cancelled before it waited
      batch.emplace(error_from_exception(e));
    }
    if (!batch->ok()) co_return batch->error();
    if (!(*batch)->end) continue;
    const Result<engine::GenerationResult>& end = *(*batch)->end;
    if (!end.ok()) co_return end.error();
    if (end->finish_reason == engine::FinishReason::cancelled) co_return cancelled_error();
    co_return completion_json(meta, *end);
  }
}

asio::awaitable<Status> EngineBackend::stream(ChatCall call, ChunkSink on_chunk) {
  auto converted = to_engine_call(call, kNoTokenLimit);
  if (!converted.ok()) co_return converted.error();
  const bool usage = converted->include_usage;
  auto feed = start(std::move(converted->request), true);
  if (!feed.ok()) co_return feed.error();
  StopOnExit guard(*feed);
  const CompletionMeta meta = new_completion_meta(model_);
  bool started = false;
  Status outcome;
  try {
    for (;;) {
      auto batch = co_await (*feed)->next();
      if (!batch.ok()) co_return batch.error();
      const std::optional<Result<engine::GenerationResult>>& end = batch->end;
      // Errors before any text go out as an HTTP error, not as a broken stream: the role chunk
      // is sent with the first text (or the end).
      if (!started && end && !end->ok() && batch->text.empty()) co_return end->error();
      if (end && end->ok() && (*end)->finish_reason == engine::FinishReason::cancelled) co_return cancelled_error();
      if (!started) {
        json::object role = chunk_json(meta, json::object{{"role", "assistant"}, {"content", ""}}, "", usage);
        if (!co_await on_chunk(std::move(role))) co_return cancelled_error();
        started = true;
      }
      if (!batch->text.empty()) {
        json::object delta = chunk_json(meta, json::object{{"content", batch->text}}, "", usage);
        if (!co_await on_chunk(std::move(delta))) co_return cancelled_error();
      }
      if (!end) continue;
      if (!end->ok()) co_return end->error();
      json::object last = chunk_json(meta, json::object{}, finish_reason_name((*end)->finish_reason), usage);
      if (!co_await on_chunk(std::move(last))) co_return cancelled_error();
      if (usage) {
        json::object totals = usage_chunk_json(meta, **end);
        if (!co_await on_chunk(std::move(totals))) co_return cancelled_error();
      }
      co_return Status();
    }
  } catch (const std::exception& e) {  // e.g. cancelled while writing or waiting
    outcome = error_from_exception(e);
  }
  co_return outcome;
}

}  // namespace sl
