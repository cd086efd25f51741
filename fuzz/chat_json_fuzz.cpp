// Fuzz target: the request JSON of POST /v1/chat/completions, as the chat handler reads it.
//   arbitrary bytes -> parse_json_object (strict JSON body reader, src/api/error_response.cpp)
//                   -> parse_chat_request with default ChatLimits, both for backends that take
//                      video URLs and for those that need them fetched (src/api/chat_media.cpp)
//                   -> build_upstream_body (src/backends/upstream_format.cpp) with one small
//                      fake frame per reference, as the backend would after resolution.
// Properties: errors are invalid_request / invalid_reference / payload_too_large with a param;
// an accepted object, written by the server's JSON writer (json_text), parses back to itself;
// an accepted chat request keeps to the limits and carries exactly one placeholder
// {"type":"ovs_media","index":k} per pending reference, k = 0, 1, ... in request order; the
// upstream body then builds, with one image part per reference, and is valid JSON.
//
// Also checked (issue 6 findings, inputs in fuzz/regressions/chat_json/): numbers beyond
// double range (1e999) are refused rather than read as infinity, and the client cannot smuggle
// in placeholder parts of its own, so the upstream body holds exactly one media expansion per
// reference.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "api/chat_media.hpp"
#include "api/error_response.hpp"
#include "backends/upstream_format.hpp"
#include "core/json_text.hpp"
#include "fuzz_check.hpp"

namespace {

namespace json = boost::json;
using sl::ErrorCode;

bool g_strict = false;

bool is_placeholder(const json::value& part) {
  const json::object* o = part.if_object();
  if (!o) return false;
  const json::value* type = o->if_contains("type");
  return type && type->is_string() && type->get_string() == sl::kOvsMediaPartType;
}

// Placeholder parts of every message's content array, in order.
std::vector<const json::object*> placeholders(const json::object& body) {
  std::vector<const json::object*> out;
  const json::value* messages = body.if_contains("messages");
  if (!messages || !messages->is_array()) return out;
  for (const json::value& m : messages->get_array()) {
    const json::object* mo = m.if_object();
    if (!mo) continue;
    const json::value* content = mo->if_contains("content");
    if (!content || !content->is_array()) continue;
    for (const json::value& p : content->get_array())
      if (is_placeholder(p)) out.push_back(&p.get_object());
  }
  return out;
}

// Image parts the upstream body holds (what the placeholders expanded to, plus the client's).
size_t count_image_parts(const json::object& body) {
  size_t n = 0;
  const json::value* messages = body.if_contains("messages");
  if (!messages || !messages->is_array()) return 0;
  for (const json::value& m : messages->get_array()) {
    const json::object* mo = m.if_object();
    const json::value* content = mo ? mo->if_contains("content") : nullptr;
    if (!content || !content->is_array()) continue;
    for (const json::value& p : content->get_array()) {
      const json::object* po = p.if_object();
      const json::value* type = po ? po->if_contains("type") : nullptr;
      if (type && type->is_string() && type->get_string() == "image_url") ++n;
    }
  }
  return n;
}

// A number too large for a double (1e999) that the parser accepted as +-infinity.
bool has_nonfinite(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return !std::isfinite(v.get_double());
    case json::kind::array:
      for (const json::value& e : v.get_array())
        if (has_nonfinite(e)) return true;
      return false;
    case json::kind::object:
      for (const auto& kv : v.get_object())
        if (has_nonfinite(kv.value())) return true;
      return false;
    default: return false;
  }
}

// Equal values, doubles within 2 ULP: Boost.JSON 1.81 reads some 17-digit decimals one ULP off
// (it reads "12.222222222222221" as 0x1.871c71c71c71bp+3, not ...1cp+3), so a correctly written
// shortest decimal may not read back bit for bit here; strict readers (Python, JS) get it exact.
bool same_value(const json::value& a, const json::value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::double_: {
      double x = a.get_double(), y = b.get_double();
      for (int i = 0; i < 2 && x != y; ++i) x = std::nextafter(x, y);
      return x == y;
    }
    case json::kind::array: {
      const auto &p = a.get_array(), &q = b.get_array();
      if (p.size() != q.size()) return false;
      for (size_t i = 0; i < p.size(); ++i)
        if (!same_value(p[i], q[i])) return false;
      return true;
    }
    case json::kind::object: {
      const auto &p = a.get_object(), &q = b.get_object();
      if (p.size() != q.size()) return false;
      for (const auto& kv : p) {
        const json::value* other = q.if_contains(kv.key());
        if (!other || !same_value(kv.value(), *other)) return false;
      }
      return true;
    }
    default: return a == b;
  }
}

// json_text (core/json_text.hpp, the writer of everything that leaves the server) gives JSON
// that parses; with `same`, back to the same value.
void check_json_text(const json::object& v, bool same) {
  const std::string text = sl::json_text(v);
  boost::system::error_code ec;
  json::value again = json::parse(text, ec);
  FUZZ_CHECK(!ec && again.is_object(), "json_text writes valid JSON");
  if (same) FUZZ_CHECK(same_value(again, json::value(v)), "json_text round trip");
}

void check_chat(const json::object& input, bool fetch_video_urls) {
  const sl::api::ChatLimits limits;
  const size_t client_placeholders = placeholders(input).size();
  auto parsed = sl::api::parse_chat_request(input, limits, fetch_video_urls);
  if (!parsed.ok()) {
    const sl::Error& e = parsed.error();
    FUZZ_CHECK(e.code == ErrorCode::invalid_request || e.code == ErrorCode::invalid_reference ||
                   e.code == ErrorCode::payload_too_large,
               "chat request errors are client errors");
    FUZZ_CHECK(!e.param.empty(), "chat request errors name a param");
    return;
  }
  const sl::api::ParsedChat& chat = *parsed;
  // image_url parts left after parsing: the client's http(s)/data: images, passed through.
  const size_t client_images = count_image_parts(chat.body);
  FUZZ_CHECK(!chat.model.empty(), "an accepted request has a model");
  FUZZ_CHECK(chat.refs.size() <= static_cast<size_t>(limits.max_refs), "max_refs holds");
  for (const sl::api::PendingRef& ref : chat.refs) {
    FUZZ_CHECK(!ref.param.empty() && !ref.url.empty(), "a pending reference says where it is");
    if (ref.remote_video) {
      FUZZ_CHECK(fetch_video_urls, "remote videos only for backends that need them fetched");
    } else {
      FUZZ_CHECK(sl::is_ovs_url(ref.url), "non-remote references are ovs:// references");
    }
  }

  // The server's placeholders: one per reference, numbered in order, after any the client sent.
  const auto found = placeholders(chat.body);
  FUZZ_CHECK(found.size() == client_placeholders + chat.refs.size(),
             "one placeholder per pending reference");
  if (client_placeholders == 0) {
    for (size_t k = 0; k < found.size(); ++k) {
      const json::value* index = found[k]->if_contains("index");
      FUZZ_CHECK(index && index->is_int64() && index->get_int64() == static_cast<int64_t>(k),
                 "placeholders are numbered in request order");
    }
  }
  FUZZ_CHECK(client_placeholders == 0, "client-supplied ovs_media parts are refused");

  // What the backend does next: expand the placeholders with the resolved media.
  sl::ChatCall call;
  call.body = chat.body;
  auto jpeg = std::make_shared<const sl::Bytes>(sl::Bytes{0xff, 0xd8, 0xff, 0xd9});
  for (const sl::api::PendingRef& ref : chat.refs) {
    sl::ResolvedMedia media;
    media.video = ref.remote_video || ref.ref.kind == sl::RefKind::video;
    media.frames.push_back(sl::MediaFrame{0, 0, 32, 32, jpeg});
    call.media.push_back(std::move(media));
  }
  auto upstream = sl::build_upstream_body(call, sl::UpstreamFormat{});
  if (upstream.ok()) check_json_text(*upstream, false);
  if (client_placeholders == 0) {
    FUZZ_CHECK(upstream.ok(), "the upstream body builds for the server's own placeholders");
    FUZZ_CHECK(count_image_parts(*upstream) == client_images + chat.refs.size(),
               "one image part per reference");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* strict = std::getenv("FUZZ_STRICT");
  g_strict = strict && std::string_view(strict) == "1";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto body = sl::api::parse_json_object(input);
  if (!body.ok()) {
    FUZZ_CHECK(body.error().code == ErrorCode::invalid_request, "JSON errors are invalid_request");
    FUZZ_CHECK(!body.error().message.empty(), "JSON errors say what is wrong");
    return 0;
  }
  // An accepted body goes upstream as the server's JSON writer writes it: valid JSON that reads
  // back as the same value (numbers beyond double range excepted: see has_nonfinite).
  const bool nonfinite = has_nonfinite(*body);
  FUZZ_CHECK(!nonfinite, "numbers out of range (1e999) are refused");
  check_json_text(*body, !nonfinite);
  check_chat(*body, /*fetch_video_urls=*/false);
  check_chat(*body, /*fetch_video_urls=*/true);
  return 0;
}
