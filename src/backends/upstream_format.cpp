#include "backends/upstream_format.hpp"

#include <cstring>

#include <boost/json.hpp>

#include "core/base64.hpp"
#include "media/mp4_mux.hpp"

namespace sl {
namespace json = boost::json;
namespace {

json::string data_url(std::string_view mime, const Bytes& bytes) {
  static constexpr std::string_view kPrefix = "data:";
  static constexpr std::string_view kBase64 = ";base64,";
  json::string s;
  const size_t head = kPrefix.size() + mime.size() + kBase64.size();
  s.resize(head + base64_encoded_size(bytes.size()));
  char* p = s.data();
  std::memcpy(p, kPrefix.data(), kPrefix.size());
  p += kPrefix.size();
  std::memcpy(p, mime.data(), mime.size());
  p += mime.size();
  std::memcpy(p, kBase64.data(), kBase64.size());
  base64_encode_to(bytes, s.data() + head);
  return s;
}

json::object image_part(const MediaFrame& frame) {
  json::object url;
  url["url"] = data_url("image/jpeg", *frame.jpeg);
  json::object part;
  part["type"] = "image_url";
  part["image_url"] = std::move(url);
  return part;
}

json::object text_part(std::string text) {
  json::object part;
  part["type"] = "text";
  part["text"] = std::move(text);
  return part;
}

Result<json::object> native_video_part(const ResolvedMedia& media) {
  std::vector<TimedJpeg> jpegs;
  jpegs.reserve(media.frames.size());
  for (const MediaFrame& f : media.frames) jpegs.push_back(TimedJpeg{f.jpeg, f.timestamp_ms});
  auto mp4 = jpegs_to_mp4(jpegs);
  if (!mp4) return mp4.error();
  json::object url;
  url["url"] = data_url("video/mp4", *mp4);
  json::object part;
  part["type"] = "video_url";
  part["video_url"] = std::move(url);
  return part;
}

bool is_placeholder(const json::value& part) {
  const json::object* o = part.if_object();
  if (o == nullptr) return false;
  const json::value* type = o->if_contains("type");
  return type != nullptr && type->is_string() && type->get_string() == kOvsMediaPartType;
}

// Appends the parts standing for one placeholder to `out`.
Status expand_placeholder(const json::object& placeholder, const ChatCall& call,
                          const UpstreamFormat& format, json::array& out) {
  const json::value* index = placeholder.if_contains("index");
  if (index == nullptr || !index->is_int64() || index->get_int64() < 0 ||
      static_cast<uint64_t>(index->get_int64()) >= call.media.size()) {
    return make_error(ErrorCode::internal, "ovs_media placeholder without matching media");
  }
  const ResolvedMedia& media = call.media[static_cast<size_t>(index->get_int64())];
  if (media.frames.empty()) return make_error(ErrorCode::internal, "resolved media has no frames");
  for (const MediaFrame& f : media.frames) {
    if (!f.jpeg) return make_error(ErrorCode::internal, "resolved frame has no JPEG");
  }
  if (!media.video) {
    out.emplace_back(image_part(media.frames.front()));
    return Status();
  }
  if (format.video == VideoMode::native) {
    auto part = native_video_part(media);
    if (!part) return part.error();
    out.emplace_back(std::move(*part));
    return Status();
  }
  for (const MediaFrame& f : media.frames) {
    out.emplace_back(text_part(format_frame_time(f.timestamp_ms)));
    out.emplace_back(image_part(f));
  }
  return Status();
}

}  // namespace

std::string_view to_string(VideoMode mode) {
  return mode == VideoMode::native ? "native" : "frames";
}

std::optional<VideoMode> parse_video_mode(std::string_view text) {
  if (text == "frames") return VideoMode::frames;
  if (text == "native") return VideoMode::native;
  return std::nullopt;
}

std::string format_frame_time(int64_t timestamp_ms) {
  const bool negative = timestamp_ms < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(timestamp_ms)
                                      : static_cast<uint64_t>(timestamp_ms);
  const uint64_t tenths = (magnitude + 50) / 100;
  std::string s = "t=";
  if (negative && tenths != 0) s += '-';
  s += std::to_string(tenths / 10);
  s += '.';
  s += static_cast<char>('0' + tenths % 10);
  s += 's';
  return s;
}

Result<json::object> build_upstream_body(const ChatCall& call, const UpstreamFormat& format) {
  json::object body = call.body;
  if (!format.upstream_model.empty()) body["model"] = format.upstream_model;

  json::value* messages = body.if_contains("messages");
  if (messages == nullptr || !messages->is_array()) return body;
  for (json::value& message : messages->get_array()) {
    json::object* m = message.if_object();
    if (m == nullptr) continue;
    json::value* content = m->if_contains("content");
    if (content == nullptr || !content->is_array()) continue;
    json::array& parts = content->get_array();
    bool any = false;
    for (const json::value& p : parts) any = any || is_placeholder(p);
    if (!any) continue;
    json::array expanded;
    expanded.reserve(parts.size());
    for (json::value& p : parts) {
      if (!is_placeholder(p)) {
        expanded.push_back(std::move(p));
        continue;
      }
      if (Status s = expand_placeholder(p.get_object(), call, format, expanded); !s) {
        return s.error();
      }
    }
    parts = std::move(expanded);
  }
  return body;
}

void set_stream_mode(json::object& body, bool stream) {
  body["stream"] = stream;
  if (!stream) body.erase("stream_options");
}

}  // namespace sl
