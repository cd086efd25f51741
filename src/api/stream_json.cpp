#include "api/stream_json.hpp"

#include "jobs/job_spec.hpp"

#include "core/json_read.hpp"
#include "core/json_text.hpp"
#include "core/redact.hpp"

#include <cmath>
#include <limits>
#include <optional>

#include <boost/json/serialize.hpp>

namespace sl::api {
namespace json = boost::json;
namespace {

Error bad(const std::string& param, const std::string& message) {
  return make_error(ErrorCode::invalid_request, message, param);
}

Status reject_unknown(const json::object& obj, std::initializer_list<std::string_view> known,
                      const std::string& prefix) {
  for (const auto& kv : obj) {
    bool ok = false;
    for (auto k : known) ok = ok || kv.key() == k;
    if (!ok) {
      std::string param = prefix + std::string(kv.key());
      return bad(param, "Unrecognized request argument supplied: " + param);
    }
  }
  return {};
}

// An integer given as a JSON integer or as an integral number (600.0).
Result<std::optional<int64_t>> get_int(const json::object& obj, std::string_view key,
                                       const std::string& param) {
  auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) return std::optional<int64_t>{};
  const json::value& v = it->value();
  if (v.is_int64()) return std::optional<int64_t>(v.as_int64());
  if (v.is_uint64()) {
    if (v.as_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return bad(param, "'" + param + "' is too large.");
    return std::optional<int64_t>(static_cast<int64_t>(v.as_uint64()));
  }
  if (v.is_double()) {
    double d = v.as_double();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15)
      return std::optional<int64_t>(static_cast<int64_t>(d));
  }
  return json_type_error(param, "an integer");
}

Result<std::optional<double>> get_number(const json::object& obj, std::string_view key,
                                         const std::string& param) {
  auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) return std::optional<double>{};
  const json::value& v = it->value();
  if (!v.is_number()) return json_type_error(param, "a number");
  return std::optional<double>(v.to_number<double>());
}

Result<std::optional<std::string>> get_string(const json::object& obj, std::string_view key,
                                              const std::string& param) {
  auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) return std::optional<std::string>{};
  if (!it->value().is_string()) return json_type_error(param, "a string");
  return std::optional<std::string>(std::string(it->value().as_string()));
}

Result<int64_t> positive_int(const json::object& obj, std::string_view key,
                             const std::string& param, int64_t fallback) {
  auto v = get_int(obj, key, param);
  if (!v.ok()) return v.error();
  if (!v->has_value()) return fallback;
  if (**v <= 0) return bad(param, "'" + param + "' must be greater than 0.");
  return **v;
}

Result<SourceSpec> parse_source(const json::value* v) {
  if (!v) return bad("source", "Missing required parameter: 'source'.");
  if (!v->is_object()) return json_type_error("source", "an object");
  const json::object& src = v->as_object();
  auto type = get_string(src, "type", "source.type");
  if (!type.ok()) return type.error();
  if (!type->has_value()) return bad("source.type", "Missing required parameter: 'source.type'.");
  const std::string& t = **type;

  if (t == "url" || t == "rtsp" || t == "hls") {
    if (Status s = reject_unknown(src, {"type", "url"}, "source."); !s.ok()) return s.error();
    auto url = get_string(src, "url", "source.url");
    if (!url.ok()) return url.error();
    if (!url->has_value() || (*url)->empty())
      return bad("source.url", "Missing required parameter: 'source.url'.");
    return SourceSpec(UrlSourceSpec{**url});
  }
  if (t == "test_pattern") {
    if (Status s = reject_unknown(src, {"type", "width", "height", "fps"}, "source."); !s.ok())
      return s.error();
    TestPatternSpec spec;
    auto w = positive_int(src, "width", "source.width", spec.width);
    if (!w.ok()) return w.error();
    auto h = positive_int(src, "height", "source.height", spec.height);
    if (!h.ok()) return h.error();
    auto fps = get_number(src, "fps", "source.fps");
    if (!fps.ok()) return fps.error();
    if (fps->has_value()) {
      if (!(**fps > 0) || !std::isfinite(**fps))
        return bad("source.fps", "'source.fps' must be greater than 0.");
      spec.fps = **fps;
    }
    spec.width = static_cast<int>(std::min<int64_t>(*w, std::numeric_limits<int>::max()));
    spec.height = static_cast<int>(std::min<int64_t>(*h, std::numeric_limits<int>::max()));
    return SourceSpec(spec);
  }
  if (t == "webrtc") {
    if (Status s = reject_unknown(src, {"type", "sdp"}, "source."); !s.ok()) return s.error();
    auto sdp = get_string(src, "sdp", "source.sdp");
    if (!sdp.ok()) return sdp.error();
    if (!sdp->has_value() || (*sdp)->empty())
      return bad("source.sdp", "Missing required parameter: 'source.sdp' (the SDP offer).");
    return SourceSpec(WebRtcSourceSpec{**sdp});
  }
  if (t == "whip") {
    if (Status s = reject_unknown(src, {"type"}, "source."); !s.ok()) return s.error();
    return SourceSpec(WhipSourceSpec{});
  }
  if (t == "push")
    return make_error(ErrorCode::unsupported,
                      "Source type '" + t + "' is not supported by this server yet.", "source.type");
  return bad("source.type", "Unknown source type '" + t +
                                "'; expected one of url, rtsp, hls, test_pattern, webrtc, whip.");
}

json::value optional_int(const std::optional<int64_t>& v) {
  if (v) return json::value(*v);
  return json::value(nullptr);
}

json::value string_or_null(const std::string& s) {
  if (s.empty()) return json::value(nullptr);
  return json::value(s);
}

}  // namespace

Result<StreamOptions> parse_create_stream(const json::object& body,
                                          const StreamDefaults& defaults) {
  if (Status s = reject_unknown(body, {"source", "retention_seconds", "name", "lease",
                                       "processing", "inference"},
                                "");
      !s.ok())
    return s.error();
  StreamOptions opt;
  auto it = body.find("source");
  auto source = parse_source(it == body.end() ? nullptr : &it->value());
  if (!source.ok()) return source.error();
  opt.source = std::move(*source);

  auto retention = positive_int(body, "retention_seconds", "retention_seconds",
                                defaults.retention_seconds);
  if (!retention.ok()) return retention.error();
  opt.retention_seconds = *retention;

  auto name = get_string(body, "name", "name");
  if (!name.ok()) return name.error();
  if (name->has_value()) {
    // Characters, not bytes: a 256-character name in any script fits.
    if (utf8_length(**name) > 256) return bad("name", "'name' must be at most 256 characters.");
    opt.name = **name;
  }

  opt.lease = true;
  opt.ttl_seconds = defaults.ttl_seconds;
  if (auto l = body.find("lease"); l != body.end() && !l->value().is_null()) {
    if (l->value().is_bool()) {
      opt.lease = l->value().as_bool();
    } else if (l->value().is_object()) {
      const json::object& lease = l->value().as_object();
      if (Status s = reject_unknown(lease, {"ttl_seconds"}, "lease."); !s.ok()) return s.error();
      auto ttl = positive_int(lease, "ttl_seconds", "lease.ttl_seconds", defaults.ttl_seconds);
      if (!ttl.ok()) return ttl.error();
      opt.ttl_seconds = *ttl;
    } else {
      return json_type_error("lease", "a boolean or an object {\"ttl_seconds\": N}");
    }
  }

  const json::object* job_parts[2] = {nullptr, nullptr};
  for (int k = 0; k < 2; ++k) {
    const char* key = k == 0 ? "processing" : "inference";
    auto f = body.find(key);
    if (f == body.end() || f->value().is_null()) continue;
    if (!f->value().is_object()) return json_type_error(key, "an object");
    job_parts[k] = &f->value().get_object();
    (k == 0 ? opt.processing_json : opt.inference_json) = json_text(f->value());
  }
  // Checked at creation, so a bad job is a clear 422 now rather than a silent stream later.
  if (auto job = jobs::parse_job_spec(job_parts[0], job_parts[1], defaults.job_limits); !job.ok()) return job.error();
  return opt;
}

json::object source_to_json(const SourceSpec& s) {
  json::object o;
  o["type"] = source_type(s);
  if (const auto* tp = std::get_if<TestPatternSpec>(&s)) {
    o["width"] = tp->width;
    o["height"] = tp->height;
    // Integral rates (the usual case) as integers: 30, not 3E1.
    if (std::floor(tp->fps) == tp->fps && std::fabs(tp->fps) < 1e9)
      o["fps"] = static_cast<int64_t>(tp->fps);
    else
      o["fps"] = tp->fps;
  } else if (const auto* url = std::get_if<UrlSourceSpec>(&s)) {
    o["url"] = redact_url(url->url);
  }
  return o;
}

json::object stream_to_json(const StreamStatus& s) {
  json::object o;
  o["object"] = "stream";
  o["id"] = s.id;
  o["stream_id"] = s.id;
  o["name"] = string_or_null(s.name);
  o["state"] = s.state;
  o["end_reason"] = string_or_null(s.end_reason);
  if (s.answer) {  // create's result for a webrtc source (SPEC section 4)
    json::object answer;
    answer["type"] = "answer";
    answer["sdp"] = s.answer->sdp;
    o["webrtc"] = std::move(answer);
  }
  o["last_error"] = string_or_null(s.last_error);
  o["source"] = source_to_json(s.source);
  o["created_at_ms"] = s.created_at_ms;
  o["first_frame_at_ms"] = optional_int(s.first_frame_at_ms);
  o["last_frame_at_ms"] = optional_int(s.last_frame_at_ms);
  o["stream_time_ms"] = s.stream_time_ms;
  o["last_frame_index"] = optional_int(s.last_frame_index);
  o["first_available_frame_index"] = optional_int(s.first_available_frame_index);
  o["recent_fps"] = s.recent_fps;
  // Unknown until the first frame (and for a source that failed before one): null, not 0.
  o["width"] = s.width > 0 ? json::value(s.width) : json::value(nullptr);
  o["height"] = s.height > 0 ? json::value(s.height) : json::value(nullptr);
  o["retained_frame_count"] = s.retained_frame_count;
  o["evicted_frame_count"] = s.evicted_frame_count;
  o["retention_seconds"] = s.retention_seconds;
  o["lease"] = s.lease;
  o["ttl_seconds"] = optional_int(s.ttl_seconds);
  o["expires_at_ms"] = optional_int(s.expires_at_ms);
  return o;
}

json::object keepalive_to_json(const KeepaliveResult& r) {
  json::object o;
  o["id"] = r.id;
  o["expires_at_ms"] = r.expires_at_ms;
  o["ttl_seconds"] = r.ttl_seconds;
  o["stream_time_ms"] = r.stream_time_ms;
  return o;
}

}  // namespace sl::api
