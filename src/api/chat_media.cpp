#include "api/chat_media.hpp"

#include "core/uri_scheme.hpp"

#include <string_view>

#include "jobs/model_media.hpp"
#include "media/jpeg.hpp"
#include "refs/remote_video.hpp"

namespace sl::api {
namespace json = boost::json;
namespace {

Error bad(std::string message, std::string param) {
  return make_error(ErrorCode::invalid_request, std::move(message), std::move(param));
}

bool known_role(std::string_view r) {
  return r == "system" || r == "developer" || r == "user" || r == "assistant" || r == "tool" ||
         r == "function";
}

// The URL of an image_url/video_url part: {"url": "..."} (OpenAI) or a bare string (accepted
// from clients that send the short form). Returns nullptr when absent or not a string.
json::string* part_url(json::object& part, const std::string& key) {
  json::value* v = part.if_contains(key);
  if (!v) return nullptr;
  if (v->is_string()) return &v->get_string();
  if (!v->is_object()) return nullptr;
  json::value* url = v->get_object().if_contains("url");
  return url && url->is_string() ? &url->get_string() : nullptr;
}

Status check_data_url(std::string_view url, const ChatLimits& limits, const std::string& param) {
  if (url.size() > limits.max_data_url_bytes)
    return make_error(ErrorCode::payload_too_large,
                      "data: URL of " + std::to_string(url.size()) + " bytes is over the limit of " +
                          std::to_string(limits.max_data_url_bytes) +
                          " (chat.max_data_url_bytes).",
                      param);
  return {};
}

// Validates one content part and, when it is an ovs:// reference, records it and replaces the
// part with a placeholder.
Status add_placeholder(json::value& part_value, PendingRef ref, ParsedChat& out,
                       const ChatLimits& limits) {
  if (static_cast<int>(out.refs.size()) >= limits.max_refs)
    return make_error(ErrorCode::invalid_reference,
                      "More than " + std::to_string(limits.max_refs) +
                          " media references in one request (chat.max_refs_per_request).",
                      ref.param);
  json::object placeholder;
  placeholder["type"] = kOvsMediaPartType;
  placeholder["index"] = static_cast<int64_t>(out.refs.size());
  out.refs.push_back(std::move(ref));
  part_value = std::move(placeholder);
  return {};
}

Status visit_part(json::value& part_value, const std::string& path, ParsedChat& out,
                  const ChatLimits& limits, bool fetch_video_urls) {
  const bool fetch_image_urls = out.pictures;
  if (!part_value.is_object()) return bad("A content part must be an object.", path);
  json::object& part = part_value.get_object();
  json::value* type_v = part.if_contains("type");
  if (!type_v || !type_v->is_string()) return bad("A content part needs a string 'type'.", path + ".type");
  const std::string type(type_v->get_string());
  // The placeholder type is the server's own: a client's would stand for media it never
  // referenced and get past max_refs/max_frames (found by fuzz/chat_json_fuzz).
  if (type == kOvsMediaPartType)
    return bad("Unknown content part type 'ovs_media'.", path + ".type");
  if (type != "image_url" && type != "video_url") return {};  // text, input_audio, file, ...

  json::string* url = part_url(part, type);
  const std::string url_path = path + "." + type + ".url";
  if (!url) return bad("'" + type + "' must be an object with a string 'url'.", path + "." + type);
  const std::string_view u(url->data(), url->size());
  // Schemes are case-insensitive (RFC 3986); only these ever leave the server.
  const std::string scheme = uri_scheme(u);
  const bool is_data = scheme == "data";
  if (is_data) {
    if (auto st = check_data_url(u, limits, url_path); !st.ok()) return st;
  }
  if (!is_ovs_url(u)) {
    const bool is_http = scheme == "http" || scheme == "https";
    if (!is_http && !is_data)
      return bad("'" + type + "' URLs must be http://, https://, data: or ovs:// URLs.", url_path);
    // Images (unless the backend wants pictures) and, for video-capable backends, videos pass
    // through unchanged.
    const bool fetch = type == "video_url" ? fetch_video_urls : fetch_image_urls;
    if (!fetch) return {};
    PendingRef remote;
    remote.url = std::string(u);
    remote.param = url_path;
    remote.remote_video = type == "video_url";
    remote.remote_image = type == "image_url";
    return add_placeholder(part_value, std::move(remote), out, limits);
  }
  auto ref = parse_ovs_url(u, type == "image_url" ? RefKind::image : RefKind::video, url_path);
  if (!ref.ok()) return ref.error();
  return add_placeholder(part_value, PendingRef{std::move(*ref), std::string(u), url_path, false, false, {}},
                         out, limits);
}

Status visit_message(json::value& msg_value, const std::string& path, ParsedChat& out,
                     const ChatLimits& limits, bool fetch_video_urls) {
  if (!msg_value.is_object()) return bad("Each message must be an object.", path);
  json::object& msg = msg_value.get_object();
  json::value* role = msg.if_contains("role");
  if (!role || !role->is_string())
    return bad("Each message needs a string 'role'.", path + ".role");
  if (!known_role(role->get_string()))
    return bad("Unknown role '" + std::string(role->get_string()) +
                   "'; expected system, developer, user, assistant or tool.",
               path + ".role");
  json::value* content = msg.if_contains("content");
  if (!content || content->is_null() || content->is_string()) return {};
  if (!content->is_array())
    return bad("'content' must be a string, an array of parts, or null.", path + ".content");
  json::array& parts = content->get_array();
  for (size_t i = 0; i < parts.size(); ++i) {
    auto st = visit_part(parts[i], path + ".content[" + std::to_string(i) + "]", out, limits,
                         fetch_video_urls);
    if (!st.ok()) return st;
  }
  return {};
}

// An uploaded or fetched image for a backend that wants pictures, decoded here (on the media
// pool) rather than on the backend's side.
Result<ResolvedMedia> decode_remote_image(const PendingRef& p) {
  auto picture = decode_jpeg(p.fetched);
  if (!picture.ok())
    return make_error(ErrorCode::invalid_request,
                      "The image could not be decoded (local models take JPEG images): " +
                          picture.error().message,
                      p.param);
  ResolvedMedia media;
  MediaFrame frame;
  frame.width = picture->width;
  frame.height = picture->height;
  frame.picture = std::move(*picture);
  media.frames.push_back(std::move(frame));
  return media;
}

}  // namespace

Result<ParsedChat> parse_chat_request(json::object body, const ChatLimits& limits,
                                      bool fetch_video_urls, bool pictures) {
  ParsedChat out;
  out.pictures = pictures;
  json::value* model = body.if_contains("model");
  if (!model || !model->is_string() || model->get_string().empty())
    return bad("'model' is required and must be a non-empty string.", "model");
  out.model = std::string(model->get_string());
  if (json::value* s = body.if_contains("stream"); s && !s->is_null()) {
    if (!s->is_bool()) return bad("'stream' must be a boolean.", "stream");
    out.stream = s->get_bool();
  }
  if (json::value* n = body.if_contains("n"); n && !n->is_null()) {
    if (!n->is_int64() || n->get_int64() < 1) return bad("'n' must be an integer >= 1.", "n");
  }
  json::value* messages = body.if_contains("messages");
  if (!messages || !messages->is_array() || messages->get_array().empty())
    return bad("'messages' is required and must be a non-empty array.", "messages");
  json::array& list = messages->get_array();
  for (size_t i = 0; i < list.size(); ++i) {
    auto st = visit_message(list[i], "messages[" + std::to_string(i) + "]", out, limits,
                            fetch_video_urls);
    if (!st.ok()) return st.error();
  }
  out.body = std::move(body);
  return out;
}

Result<PreparedChat> resolve_chat_media(ParsedChat parsed, const std::string& owner,
                                        int64_t now_wall_ms, const MediaResolver& media,
                                        const ChatLimits& limits) {
  PreparedChat out;
  out.model = std::move(parsed.model);
  out.stream = parsed.stream;
  int64_t total_frames = 0;
  for (const PendingRef& p : parsed.refs) {
    if (p.remote_image) {
      auto image = decode_remote_image(p);
      if (!image.ok()) return image.error();
      out.call.media.push_back(std::move(*image));
      continue;
    }
    if (p.remote_video) {
      auto frames = sample_video_jpegs(p.fetched, 1.0, limits.max_remote_video_frames,
                                       std::nullopt, limits.jpeg_quality);
      if (!frames.ok()) {
        Error e = frames.error();
        e.param = p.param;
        return e;
      }
      ResolvedMedia sampled = jobs::to_resolved_media(*frames, true);
      if (parsed.pictures) {  // decoded here, on the media pool, not by the backend
        for (MediaFrame& f : sampled.frames) {
          auto picture = decode_jpeg(*f.jpeg);
          if (!picture.ok()) return make_error(ErrorCode::internal, picture.error().message, p.param);
          f.picture = std::move(*picture);
        }
      }
      out.call.media.push_back(std::move(sampled));
      continue;
    }
    auto located = media.locate(p.ref, owner, now_wall_ms, p.param);
    if (!located.ok()) return located.error();
    total_frames += static_cast<int64_t>(located->resolution.frames.size());
    if (total_frames > limits.max_frames)
      return make_error(ErrorCode::invalid_reference,
                        "The references select more than " + std::to_string(limits.max_frames) +
                            " frames in total (chat.max_frames_per_request); lower max_fps or set "
                            "max_frames.",
                        p.param);
    RenderOptions options;
    options.max_pixels = p.ref.max_pixels;
    options.jpeg_quality = limits.jpeg_quality;
    options.form = parsed.pictures ? FrameForm::picture : FrameForm::jpeg;
    auto resolved = jobs::render_model_media(media, p.ref, *located, options, p.param);
    if (!resolved.ok()) return resolved.error();
    ResolvedMedia resolved_media = std::move(resolved->media);
    OvsMediaEntry entry;
    entry.url = p.url;
    entry.stream_id = resolved->stream_id;
    entry.clamped = resolved->clamped;
    if (!resolved_media.frames.empty()) {
      entry.first_index = resolved_media.frames.front().index;
      entry.last_index = resolved_media.frames.back().index;
      entry.first_timestamp_ms = resolved_media.frames.front().timestamp_ms;
      entry.last_timestamp_ms = resolved_media.frames.back().timestamp_ms;
    }
    entry.count = static_cast<int64_t>(resolved_media.frames.size());
    out.summary.push_back(std::move(entry));
    out.call.media.push_back(std::move(resolved_media));
  }
  out.call.body = std::move(parsed.body);
  return out;
}

json::array summary_to_json(const std::vector<OvsMediaEntry>& summary) {
  json::array out;
  for (const auto& e : summary) {
    json::object o;
    o["url"] = e.url;
    o["stream_id"] = e.stream_id;
    o["frame_indices"] = json::object{{"first", e.first_index}, {"last", e.last_index}, {"count", e.count}};
    o["timestamp_ms"] = json::object{{"first", e.first_timestamp_ms}, {"last", e.last_timestamp_ms}};
    o["clamped"] = e.clamped;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace sl::api
