// The OpenAI-compatible inference routes: POST /v1/chat/completions and GET /v1/models.
// A chat request is checked and its ovs:// references parsed on the network thread, resolved
// and rendered on the media executor (decoding must not stall other connections), and then
// handed to the model's Backend. Streaming responses are relayed chunk by chunk with
// backpressure; the final chunk carries `ovs_media`. A client that goes away cancels the
// upstream request (the handler's coroutine is cancelled and the backend's socket closes).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "api/chat_media.hpp"
#include "api/router.hpp"
#include "backends/model_router.hpp"
#include "core/key_limiter.hpp"
#include "refs/media_resolver.hpp"
#include "refs/url_fetcher.hpp"

namespace sl::api {

struct ChatRouteDeps {
  const MediaResolver* media = nullptr;
  const ModelRouter* models = nullptr;
  ChatLimits limits;
  const UrlFetcher* fetcher = nullptr;          // for video URLs the server must fetch itself
  boost::asio::any_io_executor media_executor;  // where references are resolved and rendered
  KeyLimiter* per_key = nullptr;                // in-flight requests per key (429 when full)
};

void add_chat_routes(Router& router, const ChatRouteDeps& deps);

}  // namespace sl::api
