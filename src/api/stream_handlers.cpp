#include "api/stream_handlers.hpp"

#include <optional>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include "api/error_response.hpp"
#include "api/job_handlers.hpp"
#include "core/offload.hpp"
#include "media/mp4_mux.hpp"
#include "refs/ovs_ref.hpp"

namespace sl::api {
namespace json = boost::json;
namespace {

asio::awaitable<void> send_error(ResponseWriter& w, const Error& e) {
  co_await w.send(error_response(e));
}

// The frame and clip endpoints name the stream in the path, not the query: a lookup error has
// no `param` there (the resolver names the reference for Chat Completions).
Error path_error(Error e) {
  if (e.code == ErrorCode::stream_not_found) e.param.clear();
  return e;
}

// The stream object with its continuous-inference job's counters (api/job_handlers.hpp).
json::object stream_object(const StreamRouteDeps& d, const std::string& owner,
                           const StreamStatus& s) {
  json::object o = stream_to_json(s);
  o["job"] = job_to_json(d.jobs ? d.jobs->stats(owner, s.id) : std::nullopt);
  return o;
}

Error no_such_stream(std::string_view id) {
  return make_error(ErrorCode::stream_not_found, "No stream with id '" + std::string(id) + "'.");
}

asio::awaitable<void> create_stream(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  auto body = parse_json_object(req.message.body());
  if (!body.ok()) co_return co_await send_error(w, body.error());
  Result<StreamStatus> status = co_await create_stream_from_body(d, req.owner, *body);
  if (!status.ok()) co_return co_await send_error(w, status.error());
  json::object created = stream_object(d, req.owner, *status);
  add_webrtc_fields(created, *status, d.webrtc, req);
  auto res = json_response(201, created);
  res.set(http::field::location, "/v1/streams/" + status->id);
  co_await w.send(std::move(res));
}

asio::awaitable<void> list_streams(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  json::array data;
  for (const auto& s : d.streams->list(req.owner)) data.push_back(stream_object(d, req.owner, s));
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
  json::object o = stream_object(d, req.owner, *status);
  add_webrtc_fields(o, *status, d.webrtc, req);
  co_await w.send(json_response(200, o));
}

asio::awaitable<void> delete_stream(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(w, no_such_stream(id));
  auto status = d.streams->remove(req.owner, id);
  if (!status.ok()) co_return co_await send_error(w, status.error());
  json::object o = stream_object(d, req.owner, *status);
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
  auto located = d.media->locate(*ref, req.owner, req.received_wall_ms, "query");
  if (!located.ok()) co_return co_await send_error(w, path_error(located.error()));
  if (located->resolution.frames.empty())
    co_return co_await send_error(
        w, make_error(ErrorCode::frame_not_found, "No frame matches the query.", "query"));
  const FrameRecord record = located->resolution.frames.front();

  RenderOptions options;
  options.max_pixels = ref->max_pixels;
  // A frame still held decoded (the live edge) or cached costs one JPEG encode at most: answer
  // here. Anything older is re-decoded from its GOP (up to ~40 ms), which must not stall the
  // network threads that serve everyone else's live-edge requests.
  const bool needs_decode = d.media->needs_decoding(*located, options);
  auto render = [media = d.media, ref = *ref, located = *located, options] {
    return media->render(ref, located, options, "query");
  };
  std::optional<Result<ResolvedReference>> rendered;
  if (needs_decode) {
    rendered.emplace(co_await offload(d.media_executor, render));
  } else {
    rendered.emplace(render());
  }
  if (!rendered->ok()) co_return co_await send_error(w, rendered->error());
  const std::vector<RenderedFrame>& frames = (*rendered)->frames;
  if (frames.empty() || !frames.front().jpeg)
    co_return co_await send_error(
        w, make_error(ErrorCode::internal, "The frame could not be rendered."));
  const RenderedFrame& f = frames.front();

  Response res{http::status::ok, req.message.version()};
  res.set(http::field::content_type, "image/jpeg");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Frame-Index", std::to_string(f.index));
  res.set("X-Frame-Timestamp-Ms", std::to_string(f.timestamp_ms));
  res.set("X-Frame-Wall-Ms", std::to_string(record.wall_ms));
  res.set("X-Frame-Clamped", (*rendered)->clamped ? "true" : "false");
  res.set(http::field::etag, "\"" + id + "-" + std::to_string(f.index) + "-" +
                                 std::to_string(f.width) + "x" + std::to_string(f.height) + "\"");
  res.body().assign(f.jpeg->begin(), f.jpeg->end());
  co_await w.send(std::move(res));
}

struct Clip {
  Bytes mp4;
  ResolvedReference media;
};

// Decoded pictures a clip may hold at once to skip the JPEG round trip (docs/design.md: a
// 512-frame 1080p clip would be 1.5 GB of pictures; past this it goes through JPEGs, decoded
// one at a time).
constexpr int64_t kMaxClipPictureBytes = 128ll << 20;

// Resolves, renders and encodes a clip; blocking, so it runs on the media executor.
Result<Clip> build_clip(const StreamRouteDeps& d, const OvsRef& ref, const std::string& owner,
                        int64_t now_ms) {
  auto located = d.media->locate(ref, owner, now_ms, "query", d.max_clip_frames);
  if (!located.ok()) return located.error();
  RenderOptions options;
  options.max_pixels = ref.max_pixels;
  const StoreStats stats = located->store->stats();
  int64_t pixels = static_cast<int64_t>(stats.width) * stats.height;
  if (ref.max_pixels) pixels = std::min(pixels, *ref.max_pixels);
  const auto frames = static_cast<int64_t>(located->resolution.frames.size());
  if (pixels > 0 && frames * pixels * 3 / 2 <= kMaxClipPictureBytes)
    options.form = FrameForm::picture;  // H.264 -> YUV -> H.264, no JPEG in between
  auto resolved = d.media->render(ref, *located, options, "query");
  if (!resolved.ok()) return resolved.error();
  Result<Bytes> mp4 = make_error(ErrorCode::internal, "clip: not encoded");
  if (options.form == FrameForm::picture) {
    std::vector<TimedPicture> pictures;
    pictures.reserve(resolved->frames.size());
    for (RenderedFrame& f : resolved->frames)
      pictures.push_back(TimedPicture{std::move(f.picture), f.timestamp_ms});
    mp4 = pictures_to_mp4(pictures);
  } else {
    std::vector<TimedJpeg> jpegs;
    jpegs.reserve(resolved->frames.size());
    for (const RenderedFrame& f : resolved->frames)
      jpegs.push_back(TimedJpeg{f.jpeg, f.timestamp_ms});
    mp4 = jpegs_to_mp4(jpegs);
  }
  if (!mp4.ok()) return mp4.error();
  return Clip{std::move(*mp4), std::move(*resolved)};
}

asio::awaitable<void> get_clip(StreamRouteDeps d, Request& req, ResponseWriter& w) {
  const std::string& id = req.param("id");
  if (!valid_stream_id(id)) co_return co_await send_error(w, no_such_stream(id));
  auto ref = parse_video_query(req.query, id, "query");
  if (!ref.ok()) co_return co_await send_error(w, ref.error());

  auto work = [d, ref = *ref, owner = req.owner, now = req.received_wall_ms] {
    return build_clip(d, ref, owner, now);
  };
  Result<Clip> clip = co_await offload(d.media_executor, work);
  if (!clip.ok()) co_return co_await send_error(w, path_error(clip.error()));

  Response res{http::status::ok, req.message.version()};
  res.set(http::field::content_type, "video/mp4");
  res.set(http::field::cache_control, "no-store");
  const auto& frames = clip->media.frames;
  res.set("X-Frame-Count", std::to_string(frames.size()));
  res.set("X-First-Frame-Index", std::to_string(frames.front().index));
  res.set("X-Last-Frame-Index", std::to_string(frames.back().index));
  res.set("X-Frame-Clamped", clip->media.clamped ? "true" : "false");
  res.body().assign(clip->mp4.begin(), clip->mp4.end());
  co_await w.send(std::move(res));
}


}  // namespace

asio::awaitable<Result<StreamStatus>> create_stream_from_body(const StreamRouteDeps& d,
                                                              std::string owner,
                                                              const json::object& body) {
  auto options = parse_create_stream(body, d.defaults);
  if (!options.ok()) co_return options.error();
  if (!negotiates(options->source)) co_return d.streams->create(owner, *options);
  // A webrtc create answers the offer inside, which waits for ICE gathering: off the network
  // thread.
  auto work = [streams = d.streams, owner = std::move(owner), opts = std::move(*options)] {
    return streams->create(owner, opts);
  };
  co_return co_await offload(d.media_executor, work);
}

void add_stream_routes(Router& router, const StreamRouteDeps& deps) {
  using http::verb;
  router.add(verb::post, "/v1/streams", bind_route(deps, create_stream));
  router.add(verb::get, "/v1/streams", bind_route(deps, list_streams));
  router.add(verb::get, "/v1/streams/{id}", bind_route(deps, get_stream));
  router.add(verb::delete_, "/v1/streams/{id}", bind_route(deps, delete_stream));
  router.add(verb::post, "/v1/streams/{id}/keepalive", bind_route(deps, keepalive_stream));
  router.add(verb::get, "/v1/streams/{id}/frame", bind_route(deps, get_frame));
  router.add(verb::get, "/v1/streams/{id}/clip", bind_route(deps, get_clip));
}

}  // namespace sl::api
