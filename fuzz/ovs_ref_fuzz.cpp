// Fuzz target: the ovs:// reference parser (src/refs/ovs_ref_parse.cpp, SPEC.md section 3).
// The input is used three ways:
//   1. as a whole URL: parse_ovs_url(input, image) and (input, video);
//   2. as a bare query: parse_image_query / parse_video_query (GET .../frame and .../clip);
//   3. differentially: "ovs://streams/fz?" + input must parse exactly like the bare query
//      (same success, same fields, same error message).
// Every successful parse must satisfy the grammar's rules (valid stream id, one anchor of the
// right family, limits >= their minimums, ...) and survive a round trip: the reference written
// back out as a canonical query parses to the same reference. Every failure must be
// invalid_reference naming the given param.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/stream_id.hpp"
#include "fuzz_check.hpp"
#include "refs/ovs_ref.hpp"

namespace {

using sl::Anchor;
using sl::AnchorKind;
using sl::Direction;
using sl::OvsRef;
using sl::RefKind;

const std::string kParam = "messages[0].content[0].image_url.url";

bool same_anchor(const Anchor& a, const Anchor& b) { return a.kind == b.kind && a.value == b.value; }

bool same_ref(const OvsRef& a, const OvsRef& b) {
  return a.stream_id == b.stream_id && a.kind == b.kind && same_anchor(a.anchor, b.anchor) &&
         a.end.has_value() == b.end.has_value() && (!a.end || same_anchor(*a.end, *b.end)) &&
         a.tolerance_ms == b.tolerance_ms && a.direction == b.direction &&
         a.max_fps == b.max_fps && a.max_frames == b.max_frames && a.max_pixels == b.max_pixels;
}

void check_anchor(const Anchor& a) {
  if (a.kind == AnchorKind::timestamp_ms) FUZZ_CHECK(a.value >= 0, "timestamps are >= 0");
}

// The rules of SPEC.md section 3 that a parsed reference must satisfy.
void check_ref(const OvsRef& r, RefKind kind) {
  FUZZ_CHECK(sl::valid_stream_id(r.stream_id), "stream id matches [A-Za-z0-9_-]{1,64}");
  FUZZ_CHECK(r.kind == kind, "kind is the one asked for");
  check_anchor(r.anchor);
  FUZZ_CHECK(r.tolerance_ms >= 1, "tolerance_ms > 0");
  FUZZ_CHECK(std::isfinite(r.max_fps) && r.max_fps > 0, "max_fps finite and > 0");
  if (r.max_frames) FUZZ_CHECK(*r.max_frames >= 1, "max_frames >= 1");
  if (r.max_pixels) FUZZ_CHECK(*r.max_pixels >= 1024, "max_pixels >= 1024");
  if (kind == RefKind::image) {
    FUZZ_CHECK(!r.end && !r.max_frames && r.max_fps == 1.0, "no segment fields on an image");
    if (r.anchor.kind == AnchorKind::frame_index)
      FUZZ_CHECK(r.tolerance_ms == 100 && r.direction == Direction::nearest,
                 "tolerance/direction only with time anchors");
  } else {
    FUZZ_CHECK(r.tolerance_ms == 100 && r.direction == Direction::nearest,
               "no image fields on a video");
    if (r.end) {
      check_anchor(*r.end);
      const bool comparable =
          r.anchor.kind == r.end->kind &&
          (r.anchor.kind == AnchorKind::timestamp_ms || (r.anchor.value < 0) == (r.end->value < 0));
      if (comparable) FUZZ_CHECK(r.anchor.value < r.end->value, "start before end");
    }
  }
}

void check_error(const sl::Error& e, const std::string& param) {
  FUZZ_CHECK(e.code == sl::ErrorCode::invalid_reference, "errors are invalid_reference");
  FUZZ_CHECK(e.param == param, "errors name the given param");
  FUZZ_CHECK(!e.message.empty(), "errors say what is wrong");
}

const char* anchor_key(AnchorKind k) {
  switch (k) {
    case AnchorKind::frame_index: return "frame_index";
    case AnchorKind::timestamp_ms: return "timestamp_ms";
    case AnchorKind::offset_ms: return "offset_ms";
  }
  return "?";
}

// The reference as a canonical query (every field it carries, explicitly).
std::string to_query(const OvsRef& r) {
  std::string q;
  auto add = [&q](std::string key, const std::string& value) {
    if (!q.empty()) q += '&';
    q += key + "=" + value;
  };
  if (r.kind == RefKind::image) {
    add(anchor_key(r.anchor.kind), std::to_string(r.anchor.value));
    if (r.anchor.kind != AnchorKind::frame_index) {
      add("tolerance_ms", std::to_string(r.tolerance_ms));
      add("direction", r.direction == Direction::nearest   ? "nearest"
                       : r.direction == Direction::forward ? "forward"
                                                           : "backward");
    }
  } else {
    add(std::string("start_") + anchor_key(r.anchor.kind), std::to_string(r.anchor.value));
    if (r.end) add(std::string("end_") + anchor_key(r.end->kind), std::to_string(r.end->value));
    char buf[512];  // shortest round-tripping fixed notation; the grammar has no exponents
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, r.max_fps, std::chars_format::fixed);
    FUZZ_CHECK(ec == std::errc(), "max_fps prints");
    add("max_fps", std::string(buf, end));
    if (r.max_frames) add("max_frames", std::to_string(*r.max_frames));
  }
  if (r.max_pixels) add("max_pixels", std::to_string(*r.max_pixels));
  return q;
}

void check_round_trip(const OvsRef& r) {
  const std::string q = to_query(r);
  auto again = r.kind == RefKind::image ? sl::parse_image_query(q, r.stream_id, kParam)
                                        : sl::parse_video_query(q, r.stream_id, kParam);
  FUZZ_CHECK(again.ok(), q.c_str());
  FUZZ_CHECK(same_ref(*again, r), q.c_str());
  auto url = sl::parse_ovs_url("ovs://streams/" + r.stream_id + "?" + q, r.kind, kParam);
  FUZZ_CHECK(url.ok() && same_ref(*url, r), q.c_str());
}

void check(const sl::Result<OvsRef>& res, RefKind kind, const std::string& param) {
  if (res.ok()) {
    check_ref(*res, kind);
    check_round_trip(*res);
  } else {
    check_error(res.error(), param);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // 1. The input as a whole reference URL.
  for (RefKind kind : {RefKind::image, RefKind::video}) {
    auto res = sl::parse_ovs_url(input, kind, kParam);
    check(res, kind, kParam);
    if (res.ok()) FUZZ_CHECK(sl::is_ovs_url(input), "a parsed URL is an ovs: URL");
  }

  // 2. The input as the query of GET /v1/streams/{id}/frame and .../clip.
  const std::string id = "fz";
  auto image = sl::parse_image_query(input, id, "query");
  check(image, RefKind::image, "query");
  if (input.empty()) {
    FUZZ_CHECK(image.ok() && image->anchor.kind == AnchorKind::frame_index &&
                   image->anchor.value == -1,
               "an empty frame query is the newest frame");
  }
  auto video = sl::parse_video_query(input, id, "query");
  check(video, RefKind::video, "query");

  // 3. The same query inside an ovs:// URL parses the same way.
  const std::string url = "ovs://streams/" + id + "?" + std::string(input);
  for (RefKind kind : {RefKind::image, RefKind::video}) {
    if (kind == RefKind::image && input.empty()) continue;  // "newest" is the endpoint's default
    const auto& direct = kind == RefKind::image ? image : video;
    auto via_url = sl::parse_ovs_url(url, kind, "query");
    FUZZ_CHECK(via_url.ok() == direct.ok(), "URL and query parsers agree");
    if (direct.ok()) {
      FUZZ_CHECK(same_ref(*via_url, *direct), "URL and query parsers agree");
    } else if (input.find('#') == std::string_view::npos) {  // fragment errors name their parser
      FUZZ_CHECK(via_url.error().message == direct.error().message, "same error for the same query");
    }
  }
  return 0;
}
