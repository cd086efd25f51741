#include "api/chat_handlers.hpp"
#include "core/json_text.hpp"

#include <optional>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "api/error_response.hpp"
#include "core/offload.hpp"
#include "refs/remote_video.hpp"

namespace sl::api {
namespace json = boost::json;
namespace {

// The upstream's last content-bearing chunk: it has a finish_reason or the usage totals. It is
// held back until the next chunk (or the end) so `ovs_media` can ride on the final chunk
// without delaying any token.
bool looks_final(const json::object& chunk) {
  if (const json::value* u = chunk.if_contains("usage"); u && u->is_object()) return true;
  const json::value* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array()) return false;
  for (const json::value& c : choices->get_array()) {
    if (!c.is_object()) continue;
    const json::value* fr = c.get_object().if_contains("finish_reason");
    if (fr && !fr->is_null()) return true;
  }
  return false;
}

HeaderList sse_headers() {
  return {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"},
          {"X-Accel-Buffering", "no"}};
}

// Keeps the identifying fields of a chunk, for a synthetic final chunk.
void copy_meta(const json::object& chunk, json::object& meta) {
  static constexpr const char* kKeys[] = {"id", "created", "model", "system_fingerprint"};
  for (const char* k : kKeys)
    if (const json::value* v = chunk.if_contains(k)) meta[k] = *v;
}

std::string sse_event(const json::object& chunk) {
  return "data: " + json_text(chunk) + "\n\n";
}

asio::awaitable<void> reply_error(ResponseWriter& w, const Error& e) {
  co_await w.send(error_response(e));
}

// Resolves and renders the references on the media executor (decoding must not stall other
// connections); the coroutine resumes on its own executor. The deps point at app-owned objects
// that outlive the media pool.
asio::awaitable<Result<PreparedChat>> prepare_off_thread(const ChatRouteDeps& d, ParsedChat parsed,
                                                         const std::string& owner, int64_t now) {
  if (parsed.refs.empty()) {
    co_return resolve_chat_media(std::move(parsed), owner, now, *d.media, d.limits);
  }
  auto work = [d, parsed = std::move(parsed), owner, now]() mutable {
    return resolve_chat_media(std::move(parsed), owner, now, *d.media, d.limits);
  };
  co_return co_await offload(d.media_executor, work);
}

asio::awaitable<void> relay_stream(Backend& backend, PreparedChat prepared, ResponseWriter& w) {
  bool started = false;
  std::optional<json::object> held;
  json::object last_meta;  // id / created / model of the last chunk seen, for a synthetic final
  auto begin = [&]() -> asio::awaitable<bool> {
    if (started) co_return true;
    started = co_await w.begin_stream(http::status::ok, sse_headers());
    co_return started;
  };
  ChunkSink sink = [&](json::object chunk) -> asio::awaitable<bool> {
    if (!co_await begin()) co_return false;
    copy_meta(chunk, last_meta);
    if (held) {
      if (!co_await w.write(sse_event(*held))) co_return false;
      held.reset();
    }
    if (looks_final(chunk)) {
      held = std::move(chunk);
      co_return true;
    }
    co_return co_await w.write(sse_event(chunk));
  };

  const json::array summary = summary_to_json(prepared.summary);
  Status st = co_await backend.stream(std::move(prepared.call), sink);
  if (!st.ok()) {
    if (st.error().code == ErrorCode::cancelled || w.client_gone()) co_return;
    if (!started) {
      co_await w.send(error_response(st.error()));
      co_return;
    }
    // Mid-stream failure: what was relayed stays relayed; the error goes out as an event in
    // the envelope shape (as OpenAI does) and the stream ends without [DONE].
    if (held) co_await w.write(sse_event(*held));
    const ErrorHttp eh = error_http(st.error().code);
    co_await w.write("data: " +
                     json_text(error_body(st.error().message, eh.type, st.error().param,
                                                to_string(st.error().code))) +
                     "\n\n");
    co_await w.end();
    co_return;
  }
  if (!co_await begin()) co_return;
  if (held) {
    (*held)["ovs_media"] = summary;
    if (!co_await w.write(sse_event(*held))) co_return;
  } else if (!summary.empty()) {
    json::object final_chunk = last_meta;
    final_chunk["object"] = "chat.completion.chunk";
    final_chunk["choices"] = json::array{};
    final_chunk["ovs_media"] = summary;
    if (!co_await w.write(sse_event(final_chunk))) co_return;
  }
  if (!co_await w.write("data: [DONE]\n\n")) co_return;
  co_await w.end();
}

asio::awaitable<void> chat_completions(ChatRouteDeps d, Request& req, ResponseWriter& w) {
  // Held for the whole request (upstream connection included); released however it ends.
  std::optional<KeyLimiter::Slot> slot;
  if (d.per_key) {
    if (auto got = d.per_key->try_acquire(req.owner)) slot.emplace(std::move(*got));
    if (!slot)
      co_return co_await reply_error(
          w, make_error(ErrorCode::rate_limited,
                        "This API key already has " + std::to_string(d.per_key->limit()) +
                            " chat completions in flight (limits.max_concurrent_requests_per_key); "
                            "wait for one to finish."));
  }
  auto body = parse_json_object(req.message.body());
  if (!body.ok()) co_return co_await reply_error(w, body.error());
  // The backend decides whether video URLs must be fetched, so find it first; a missing or
  // malformed model is reported by the request parser below.
  std::shared_ptr<Backend> backend;
  if (const json::value* m = body->if_contains("model"); m && m->is_string()) {
    auto found = d.models->lookup(std::string_view(m->get_string()));
    if (!found.ok()) co_return co_await reply_error(w, found.error());
    backend = *found;
  }
  auto parsed = parse_chat_request(std::move(*body), d.limits,
                                   backend && !backend->accepts_video_urls(),
                                   backend && backend->wants_pictures());
  if (!parsed.ok()) co_return co_await reply_error(w, parsed.error());
  for (PendingRef& ref : parsed->refs) {
    if (!ref.remote_video && !ref.remote_image) continue;
    auto bytes = co_await load_media_url(ref.url, d.fetcher, d.limits.max_data_url_bytes);
    if (!bytes.ok()) {
      Error e = bytes.error();
      e.param = ref.param;
      co_return co_await reply_error(w, e);
    }
    ref.fetched = std::move(*bytes);
  }

  auto prepared = co_await prepare_off_thread(d, std::move(*parsed), req.owner, req.received_wall_ms);
  if (!prepared.ok()) co_return co_await reply_error(w, prepared.error());

  if (prepared->stream) {
    co_await relay_stream(*backend, std::move(*prepared), w);
    co_return;
  }

  const json::array summary = summary_to_json(prepared->summary);
  auto result = co_await backend->complete(std::move(prepared->call));
  if (!result.ok()) co_return co_await reply_error(w, result.error());
  json::object out = std::move(*result);
  out["ovs_media"] = summary;
  co_await w.send(json_response(200, out));
}

asio::awaitable<void> list_models(ChatRouteDeps d, Request&, ResponseWriter& w) {
  json::array data;
  for (const ModelInfo& m : d.models->list()) {
    json::object o;
    o["id"] = m.id;
    o["object"] = "model";
    o["created"] = 0;
    o["owned_by"] = "sightline";
    o["status"] = m.health.status;
    data.push_back(std::move(o));
  }
  json::object out;
  out["object"] = "list";
  out["data"] = std::move(data);
  co_await w.send(json_response(200, out));
}


}  // namespace

void add_chat_routes(Router& router, const ChatRouteDeps& deps) {
  router.add(http::verb::post, "/v1/chat/completions", bind_route(deps, chat_completions));
  router.add(http::verb::get, "/v1/models", bind_route(deps, list_models));
}

}  // namespace sl::api
