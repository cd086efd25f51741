// Backend: something that runs a Chat Completion for one model id: a remote OpenAI-compatible
// server (openai_http_backend.hpp) or, later, the in-process engine. Calls are coroutines on the
// caller's executor; a Backend keeps no per-request state in its members, so one instance
// serves any number of concurrent requests. Errors are values with the upstream_* codes of
// core/status.hpp (502/503/504); nothing throws across this interface.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "backends/chat_call.hpp"
#include "core/status.hpp"

namespace sl {

// Cheap, lock-free view of how a backend is doing, for GET /v1/models `status` and /readyz.
struct BackendHealth {
  std::string status = "ready";  // ready | degraded | saturated | unavailable (SPEC section 4)
  int64_t in_flight = 0;         // requests currently running
  int64_t consecutive_failures = 0;
  std::string last_error;        // message of the most recent failure, if any
};

// Receives one upstream `chat.completion.chunk` object. Returns false when the client is gone:
// the backend then stops at once and cancels the upstream request.
using ChunkSink = std::function<boost::asio::awaitable<bool>(boost::json::object chunk)>;

class Backend {
 public:
  virtual ~Backend() = default;

  // The client-facing model id this backend serves.
  virtual std::string model_name() const = 0;
  virtual BackendHealth health() const = 0;
  // Whether the model takes video_url parts itself. When false (frames mode), the server turns
  // an http(s)/data: video_url into sampled image parts before calling the backend.
  virtual bool accepts_video_urls() const { return false; }
  // A health check of whatever serves the model (an HTTP backend: GET {base}/models), folded
  // into health(); called every probe_interval_ms() by the app (0: never). Never fails.
  virtual boost::asio::awaitable<void> probe() { co_return; }
  virtual int64_t probe_interval_ms() const { return 0; }
  // Whether the model takes decoded pictures (the in-process engine): the server then renders
  // ovs:// frames as pictures (MediaFrame::picture, no JPEG round trip) and turns http(s)/data:
  // image URLs into media before calling the backend.
  virtual bool wants_pictures() const { return false; }
  // Stops work the backend runs outside its callers' coroutines (the engine's workers) and
  // waits for it. Called once by the app after its network threads have returned and before
  // their io_context is destroyed; calls still waiting complete with `cancelled`.
  virtual void shutdown() {}

  // Non-streaming: the upstream `chat.completion` object ("model" set to the client's id).
  virtual boost::asio::awaitable<Result<boost::json::object>> complete(ChatCall call) = 0;

  // Streaming: calls on_chunk for every upstream chunk, in order, awaiting each call before
  // reading more (backpressure). Returns ok when the upstream finished ([DONE]); cancelled
  // when on_chunk returned false; an upstream_* error otherwise (also mid-stream).
  virtual boost::asio::awaitable<Status> stream(ChatCall call, ChunkSink on_chunk) = 0;
};

}  // namespace sl
