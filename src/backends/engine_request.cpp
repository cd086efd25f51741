#include "backends/engine_request.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <variant>

#include "core/random_id.hpp"
#include "media/jpeg.hpp"

namespace sl {
namespace json = boost::json;
namespace {

Error bad(std::string message, std::string param) {
  return make_error(ErrorCode::invalid_request, std::move(message), std::move(param));
}

Error unsupported(std::string message, std::string param) {
  return make_error(ErrorCode::unsupported, std::move(message), std::move(param));
}

bool is_null_or_absent(const json::value* v) { return v == nullptr || v->is_null(); }

Result<double> number(const json::value& v, const std::string& param) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return bad("'" + param + "' must be a number.", param);
}

Result<int64_t> integer(const json::value& v, const std::string& param) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return static_cast<int64_t>(v.get_uint64());
  if (v.is_double() && v.get_double() == static_cast<double>(static_cast<int64_t>(v.get_double())))
    return static_cast<int64_t>(v.get_double());
  return bad("'" + param + "' must be an integer.", param);
}

// One frame as the engine takes it: the decoded picture when the server rendered one, else the
// JPEG decoded here (media given as JPEGs, e.g. a fetched video's samples).
Result<engine::PictureInput> picture_of(const MediaFrame& frame, const std::string& stream_id,
                                        const std::string& param) {
  engine::PictureInput input;
  if (frame.picture.valid()) {
    input.picture = frame.picture;
  } else if (frame.jpeg && !frame.jpeg->empty()) {
    auto decoded = decode_jpeg(*frame.jpeg);
    if (!decoded.ok()) return bad("The image could not be decoded: " + decoded.error().message, param);
    input.picture = std::move(*decoded);
  } else {
    return make_error(ErrorCode::internal, "media frame without a picture", param);
  }
  // The picture's size is part of the key: the same frame scaled by another max_pixels is
  // another picture.
  if (!stream_id.empty()) {
    const auto [w, h] = std::visit([](const auto& p) { return std::pair{p.width, p.height}; }, input.picture);
    input.frame = engine::FrameRef{stream_id + "#" + std::to_string(w) + "x" + std::to_string(h), frame.index};
  }
  return input;
}

Status add_media(const ResolvedMedia& media, const std::string& param, json::array& parts,
                 engine::GenerationRequest& request) {
  if (media.frames.empty()) return make_error(ErrorCode::internal, "media without frames", param);
  if (!media.video) {
    auto picture = picture_of(media.frames.front(), media.stream_id, param);
    if (!picture.ok()) return picture.error();
    request.images.push_back(std::move(*picture));
    parts.push_back(json::object{{"type", "image"}});
    return {};
  }
  engine::VideoInput video;
  const int64_t t0 = media.frames.front().timestamp_ms;
  for (const MediaFrame& f : media.frames) {
    auto picture = picture_of(f, media.stream_id, param);
    if (!picture.ok()) return picture.error();
    video.frames.push_back(std::move(*picture));
    video.timestamps.push_back(static_cast<double>(f.timestamp_ms - t0) / 1000.0);
  }
  video.duration = static_cast<double>(media.frames.back().timestamp_ms - t0) / 1000.0;
  request.videos.push_back(std::move(video));
  parts.push_back(json::object{{"type", "video"}});
  return {};
}

Status add_part(const json::value& part_value, const std::string& path, const ChatCall& call,
                json::array& parts, engine::GenerationRequest& request) {
  if (!part_value.is_object()) return bad("A content part must be an object.", path);
  const json::object& part = part_value.get_object();
  const json::value* type = part.if_contains("type");
  if (type == nullptr || !type->is_string()) return bad("A content part needs a string 'type'.", path + ".type");
  const std::string_view t = type->get_string();
  if (t == "text") {
    const json::value* text = part.if_contains("text");
    if (text == nullptr || !text->is_string()) return bad("A text part needs a string 'text'.", path + ".text");
    parts.push_back(json::object{{"type", "text"}, {"text", text->get_string()}});
    return {};
  }
  if (t == kOvsMediaPartType) {
    const json::value* index = part.if_contains("index");
    if (index == nullptr || !index->is_int64() || index->get_int64() < 0 ||
        static_cast<size_t>(index->get_int64()) >= call.media.size())
      return make_error(ErrorCode::internal, "media placeholder without media", path);
    return add_media(call.media[static_cast<size_t>(index->get_int64())], path, parts, request);
  }
  if (t == "image_url" || t == "video_url")
    return unsupported("Local models take ovs://, http(s):// and data: media resolved by the server; this " +
                           std::string(t) + " could not be used.",
                       path);
  return unsupported("Content parts of type '" + std::string(t) + "' are not supported by local models.",
                     path + ".type");
}

Status add_message(const json::value& msg_value, const std::string& path, const ChatCall& call,
                   engine::GenerationRequest& request) {
  if (!msg_value.is_object()) return bad("Each message must be an object.", path);
  const json::object& msg = msg_value.get_object();
  const json::value* role = msg.if_contains("role");
  if (role == nullptr || !role->is_string()) return bad("Each message needs a string 'role'.", path + ".role");
  std::string r(role->get_string());
  if (r == "developer") r = "system";
  if (r == "function") r = "tool";
  if (const json::value* calls = msg.if_contains("tool_calls"); calls && calls->is_array() && !calls->get_array().empty())
    return unsupported("Tool calls are not supported by local models.", path + ".tool_calls");
  json::array parts;
  const json::value* content = msg.if_contains("content");
  if (is_null_or_absent(content)) {
    parts.push_back(json::object{{"type", "text"}, {"text", ""}});
  } else if (content->is_string()) {
    parts.push_back(json::object{{"type", "text"}, {"text", content->get_string()}});
  } else if (content->is_array()) {
    const json::array& list = content->get_array();
    for (size_t i = 0; i < list.size(); ++i)
      if (Status s = add_part(list[i], path + ".content[" + std::to_string(i) + "]", call, parts, request); !s.ok())
        return s;
    // Templates look at the first part's type; an empty list would make them fail.
    if (parts.empty()) parts.push_back(json::object{{"type", "text"}, {"text", ""}});
  } else {
    return bad("'content' must be a string, an array of parts, or null.", path + ".content");
  }
  request.messages.push_back(json::object{{"role", r}, {"content", std::move(parts)}});
  return {};
}

Status read_stop(const json::value& v, std::vector<std::string>& out) {
  if (v.is_null()) return {};
  if (v.is_string()) {
    if (!v.get_string().empty()) out.emplace_back(v.get_string());
    return {};
  }
  if (!v.is_array()) return bad("'stop' must be a string or an array of strings.", "stop");
  for (const json::value& s : v.get_array()) {
    if (!s.is_string()) return bad("'stop' must be a string or an array of strings.", "stop");
    if (!s.get_string().empty()) out.emplace_back(s.get_string());
  }
  if (out.size() > 4) return bad("'stop' takes at most 4 sequences.", "stop");
  return {};
}

Status read_params(const json::object& body, int default_max_tokens, EngineCall& out) {
  engine::GenerationParams& p = out.request.params;
  p.max_tokens = default_max_tokens;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {  // the second wins
    const json::value* v = body.if_contains(key);
    if (is_null_or_absent(v)) continue;
    auto n = integer(*v, key);
    if (!n.ok()) return n.error();
    if (*n < 1) return bad("'" + std::string(key) + "' must be at least 1.", key);
    p.max_tokens = static_cast<int>(std::min<int64_t>(*n, std::numeric_limits<int>::max()));
  }
  if (const json::value* v = body.if_contains("temperature"); !is_null_or_absent(v)) {
    auto t = number(*v, "temperature");
    if (!t.ok()) return t.error();
    if (*t < 0 || *t > 2) return bad("'temperature' must be between 0 and 2.", "temperature");
    p.sampling.temperature = *t;
  }
  if (const json::value* v = body.if_contains("top_p"); !is_null_or_absent(v)) {
    auto t = number(*v, "top_p");
    if (!t.ok()) return t.error();
    if (*t <= 0 || *t > 1) return bad("'top_p' must be greater than 0 and at most 1.", "top_p");
    p.sampling.top_p = *t;
  }
  if (const json::value* v = body.if_contains("top_k"); !is_null_or_absent(v)) {  // vLLM's extension
    auto k = integer(*v, "top_k");
    if (!k.ok()) return k.error();
    if (*k < -1) return bad("'top_k' must be -1, 0 or positive.", "top_k");
    p.sampling.top_k = *k < 0 ? 0 : static_cast<int>(std::min<int64_t>(*k, std::numeric_limits<int>::max()));
  }
  if (const json::value* v = body.if_contains("seed"); !is_null_or_absent(v)) {
    auto s = integer(*v, "seed");
    if (!s.ok()) return s.error();
    p.sampling.seed = static_cast<std::uint64_t>(*s);
  }
  if (const json::value* v = body.if_contains("stop"))
    if (Status s = read_stop(*v, p.stop); !s.ok()) return s;
  if (const json::value* v = body.if_contains("n"); !is_null_or_absent(v)) {
    auto n = integer(*v, "n");
    if (!n.ok()) return n.error();
    if (*n != 1) return unsupported("Local models answer with one choice ('n' must be 1).", "n");
  }
  if (const json::value* v = body.if_contains("logprobs"); v && v->is_bool() && v->get_bool())
    return unsupported("'logprobs' is not supported by local models.", "logprobs");
  if (const json::value* v = body.if_contains("tools"); v && v->is_array() && !v->get_array().empty())
    return unsupported("Tools are not supported by local models.", "tools");
  if (const json::value* v = body.if_contains("response_format"); !is_null_or_absent(v)) {
    const json::value* type = v->is_object() ? v->get_object().if_contains("type") : nullptr;
    if (type == nullptr || !type->is_string())
      return bad("'response_format' needs a string 'type'.", "response_format.type");
    const std::string_view t = type->get_string();
    // json_object is a request to the model (the prompt must ask for JSON, as with OpenAI);
    // local generation does not constrain its output to JSON.
    if (t != "text" && t != "json_object")
      return unsupported("response_format '" + std::string(t) + "' is not supported by local models.",
                         "response_format.type");
  }
  if (const json::value* v = body.if_contains("stream_options"); v && v->is_object()) {
    const json::value* u = v->get_object().if_contains("include_usage");
    out.include_usage = u != nullptr && u->is_bool() && u->get_bool();
  }
  return {};
}

}  // namespace

Result<EngineCall> to_engine_call(const ChatCall& call, int default_max_tokens) {
  EngineCall out;
  if (Status s = read_params(call.body, default_max_tokens, out); !s.ok()) return s.error();
  const json::value* messages = call.body.if_contains("messages");
  if (messages == nullptr || !messages->is_array() || messages->get_array().empty())
    return bad("'messages' is required and must be a non-empty array.", "messages");
  const json::array& list = messages->get_array();
  for (size_t i = 0; i < list.size(); ++i)
    if (Status s = add_message(list[i], "messages[" + std::to_string(i) + "]", call, out.request); !s.ok())
      return s.error();
  return out;
}

CompletionMeta new_completion_meta(std::string model) {
  CompletionMeta m;
  m.id = random_hex_id("chatcmpl-", 12);
  m.created = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  m.model = std::move(model);
  return m;
}

std::string_view finish_reason_name(engine::FinishReason reason) {
  switch (reason) {
    case engine::FinishReason::length: return "length";
    case engine::FinishReason::stop:
    case engine::FinishReason::cancelled: break;
  }
  return "stop";
}

json::object usage_json(const engine::GenerationResult& r) {
  return json::object{{"prompt_tokens", r.prompt_tokens},
                      {"completion_tokens", r.completion_tokens},
                      {"total_tokens", r.prompt_tokens + r.completion_tokens}};
}

json::object completion_json(const CompletionMeta& meta, const engine::GenerationResult& r) {
  json::object message{{"role", "assistant"}, {"content", r.text}, {"refusal", nullptr}};
  json::object choice{{"index", 0},
                      {"message", std::move(message)},
                      {"logprobs", nullptr},
                      {"finish_reason", finish_reason_name(r.finish_reason)}};
  return json::object{{"id", meta.id},
                      {"object", "chat.completion"},
                      {"created", meta.created},
                      {"model", meta.model},
                      {"system_fingerprint", nullptr},
                      {"choices", json::array{std::move(choice)}},
                      {"usage", usage_json(r)}};
}

json::object chunk_json(const CompletionMeta& meta, json::object delta, std::string_view finish_reason,
                        bool include_usage) {
  json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
  if (finish_reason.empty()) {
    choice["finish_reason"] = nullptr;
  } else {
    choice["finish_reason"] = finish_reason;
  }
  json::object chunk{{"id", meta.id},
                     {"object", "chat.completion.chunk"},
                     {"created", meta.created},
                     {"model", meta.model},
                     {"system_fingerprint", nullptr},
                     {"choices", json::array{std::move(choice)}}};
  if (include_usage) chunk["usage"] = nullptr;
  return chunk;
}

json::object usage_chunk_json(const CompletionMeta& meta, const engine::GenerationResult& r) {
  return json::object{{"id", meta.id},
                      {"object", "chat.completion.chunk"},
                      {"created", meta.created},
                      {"model", meta.model},
                      {"system_fingerprint", nullptr},
                      {"choices", json::array{}},
                      {"usage", usage_json(r)}};
}

}  // namespace sl
