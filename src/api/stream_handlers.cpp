#include "api/stream_handlers.hpp"

#include <optional>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include "api/error_response.hpp"
#include "core/offload.hpp"
#include "media/mp4_mux.hpp"
#include "refs/ovs_ref.hpp"

namespace sl::api {
namespace json = boost::json;
namespace {

asio::awaitable<void> send_error(ResponseWriter& w, const Error& e) {
  co_await w.send(error_response(e));
}

Error no_such_stream(std::string_view id) {
  return make_error(ErrorCode::stream_not_found, "No stream with id '" + std::string(id) + "'.");
}

asio::awaitable<void> create_stream(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  auto body = parse_json_object(req.message.body());
  if (!body.ok()) co_return co_await send_error(w, body.error());
  auto options = parse_create_stream(*body, d.defaults);
  if (!options.ok()) co_return co_await send_error(w, options.error());
  auto status = d.streams->create(req.owner, *options);
  if (!status.ok()) co_return co_await send_error(w, status.error());
  auto res = json_response(201, stream_to_json(*status));
  res.set(http::field::location, "/v1/streams/" + status->id);
  co_await w.send(std::move(res));
}

asio::awaitable<void> list_streams(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  json::array data;
  for (const auto& s : d.streams->list(req.owner)) data.push_back(stream_to_json(s));
  json::object o;
  o["object"] = "list";
  o["data"] = std::move(data);
  co_await w.send(json_response(200, o));
}

asio::awaitable<void> get_stream(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(w, no_such_stream(id));
  auto status = d.streams->status(req.owner, id);
  if (!status.ok()) co_return co_await send_error(w, status.error());
  co_await w.send(json_response(200, stream_to_json(*status)));
}

asio::awaitable<void> delete_stream(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(w, no_such_stream(id));
  auto status = d.streams->remove(req.owner, id);
  if (!status.ok()) co_return co_await send_error(w, status.error());
  json::object o = stream_to_json(*status);
  o["deleted"] = true;
  co_await w.send(json_response(200, o));
}

asio::awaitable<void> keepalive_stream(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(w, no_such_stream(id));
  auto result = d.streams->keepalive(req.owner, id);
  if (!result.ok()) co_return co_await send_error(w, result.error());
  co_await w.send(json_response(200, keepalive_to_json(*result)));
}

asio::awaitable<void> get_frame(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(w, no_such_stream(id));
  auto ref = parse_image_query(req.query, id, "query");
  if (!ref.ok()) co_return co_await send_error(w, ref.error());
  auto store = d.streams->store(req.owner, id);
  if (!store.ok()) co_return co_await send_error(w, store.error());
  const FrameStore& fs = **store;
  auto resolved = resolve(*ref, fs, req.received_wall_ms, "query");
  if (!resolved.ok()) co_return co_await send_error(w, resolved.error());
  if (resolved->frames.empty())
    co_return co_await send_error(
        w, make_error(ErrorCode::frame_not_found, "No frame matches the query.", "query"));
  const FrameRecord record = resolved->frames.front();

  RenderOptions options;
  options.max_pixels = ref->max_pixels;
  // A frame still held decoded (the live edge) costs one JPEG encode at most: answer here.
  // Anything older is re-decoded from its GOP (up to ~40 ms), which must not stall the network
  // threads that serve everyone else's live-edge requests.
  const bool needs_decode = !fs.decoded(record.index);
  auto render = [renderer = d.renderer, store = *store, record, options] {
    return renderer->render(*store, {record}, options);
  };
  std::optional<Result<std::vector<RenderedFrame>>> rendered;
  if (needs_decode) {
    rendered.emplace(co_await offload(d.media_executor, render));
  } else {
    rendered.emplace(render());
  }
  if (!rendered->ok()) co_return co_await send_error(w, rendered->error());
  if ((*rendered)->empty() || !(*rendered)->front().jpeg)
    co_return co_await send_error(
        w, make_error(ErrorCode::internal, "The frame could not be rendered."));
  const RenderedFrame& f = (*rendered)->front();

  Response res{http::status::ok, req.message.version()};
  res.set(http::field::content_type, "image/jpeg");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Frame-Index", std::to_string(f.index));
  res.set("X-Frame-Timestamp-Ms", std::to_string(f.timestamp_ms));
  res.set("X-Frame-Wall-Ms", std::to_string(record.wall_ms));
  res.set("X-Frame-Clamped", resolved->clamped ? "true" : "false");
  res.set(http::field::etag, "\"" + id + "-" + std::to_string(f.index) + "-" +
                                 std::to_string(f.width) + "x" + std::to_string(f.height) + "\"");
  res.body().assign(f.jpeg->begin(), f.jpeg->end());
  co_await w.send(std::move(res));
}

// Resolves, renders and encodes a clip; blocking, so it runs on the media executor.
Result<Bytes> build_clip(const StreamRouteDeps& d, const OvsRef& ref, const FrameStore& fs,
                         int64_t now_ms, Resolution& resolution) {
  auto resolved = resolve(ref, fs, now_ms, "query");
  if (!resolved.ok()) return resolved.error();
  resolution = *resolved;
  if (static_cast<int64_t>(resolved->frames.size()) > d.max_clip_frames)
    return make_error(ErrorCode::invalid_reference,
                      "The segment samples " + std::to_string(resolved->frames.size()) +
                          " frames, over the limit of " + std::to_string(d.max_clip_frames) +
                          " (chat.max_frames_per_request); lower max_fps or set max_frames.",
                      "query");
  RenderOptions options;
  options.max_pixels = ref.max_pixels;
  auto rendered = d.renderer->render(fs, resolved->frames, options);
  if (!rendered.ok()) return rendered.error();
  std::vector<TimedJpeg> jpegs;
  jpegs.reserve(rendered->size());
  for (const RenderedFrame& f : *rendered) jpegs.push_back(TimedJpeg{f.jpeg, f.timestamp_ms});
  return jpegs_to_mp4(jpegs);
}

asio::awaitable<void> get_clip(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(w, no_such_stream(id));
  auto ref = parse_video_query(req.query, id, "query");
  if (!ref.ok()) co_return co_await send_error(w, ref.error());
  auto store = d.streams->store(req.owner, id);
  if (!store.ok()) co_return co_await send_error(w, store.error());

  auto resolution = std::make_shared<Resolution>();
  auto work = [d, ref = *ref, store = *store, now = req.received_wall_ms, resolution] {
    return build_clip(d, ref, *store, now, *resolution);
  };
  Result<Bytes> mp4 = co_await offload(d.media_executor, work);
  if (!mp4.ok()) co_return co_await send_error(w, mp4.error());

  Response res{http::status::ok, req.message.version()};
  res.set(http::field::content_type, "video/mp4");
  res.set(http::field::cache_control, "no-store");
  const auto& frames = resolution->frames;
  res.set("X-Frame-Count", std::to_string(frames.size()));
  res.set("X-First-Frame-Index", std::to_string(frames.front().index));
  res.set("X-Last-Frame-Index", std::to_string(frames.back().index));
  res.set("X-Frame-Clamped", resolution->clamped ? "true" : "false");
  res.body().assign(mp4->begin(), mp4->end());
  co_await w.send(std::move(res));
}

// Binds a handler coroutine to its dependencies; the deps are copied into each coroutine frame
// so nothing refers to this closure after the call.
template <class Fn>
Handler bound(const StreamRouteDeps& deps, Fn fn) {
  return [deps, fn](Request& req, ResponseWriter& w) { return fn(deps, req, w); };
}

}  // namespace

void add_stream_routes(Router& router, const StreamRouteDeps& deps) {
  using http::verb;
  router.add(verb::post, "/v1/streams", bound(deps, create_stream));
  router.add(verb::get, "/v1/streams", bound(deps, list_streams));
  router.add(verb::get, "/v1/streams/{id}", bound(deps, get_stream));
  router.add(verb::delete_, "/v1/streams/{id}", bound(deps, delete_stream));
  router.add(verb::post, "/v1/streams/{id}/keepalive", bound(deps, keepalive_stream));
  router.add(verb::get, "/v1/streams/{id}/frame", bound(deps, get_frame));
  router.add(verb::get, "/v1/streams/{id}/clip", bound(deps, get_clip));
}

}  // namespace sl::api
