// Parsing and validation of ovs:// references (SPEC.md section 3). Every problem is an
// invalid_reference error whose message names the offending part, so that a user reading the
// 422 knows what to fix without reading the spec.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "refs/ovs_ref.hpp"

#include "core/stream_id.hpp"

namespace sl {

namespace {

// Smaller images are useless to a vision model and are almost certainly a unit mistake
// (max_pixels=640 meant as a width); 1024 = 32x32.
constexpr int64_t kMinMaxPixels = 1024;

Error invalid(const std::string& param, std::string message) {
  return make_error(ErrorCode::invalid_reference, std::move(message), param);
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// '+' is kept as is (not a space): a query is not a form, and "+5" must stay visibly wrong.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// Strict integer: optional '-', then digits only; nothing else, no overflow.
std::optional<int64_t> parse_int(std::string_view s) {
  const size_t digits_from = !s.empty() && s[0] == '-' ? 1 : 0;
  if (s.size() == digits_from) return std::nullopt;
  for (size_t i = digits_from; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Strict decimal: optional '-', digits with at most one '.', at least one digit; no exponent.
std::optional<double> parse_decimal(std::string_view s) {
  const size_t from = !s.empty() && s[0] == '-' ? 1 : 0;
  size_t digits = 0, dots = 0;
  for (size_t i = from; i < s.size(); ++i) {
    if (s[i] == '.') {
      ++dots;
    } else if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0 || dots > 1) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

struct QueryParam {
  std::string key;
  std::string value;
};

Result<std::vector<QueryParam>> split_query(std::string_view query, const std::string& param) {
  std::vector<QueryParam> out;
  if (query.empty()) return out;
  size_t pos = 0;
  for (;;) {
    const size_t amp = query.find('&', pos);
    const std::string_view piece =
        query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (piece.empty()) return invalid(param, "empty query parameter (stray '&')");
    const size_t eq = piece.find('=');
    auto key = percent_decode(piece.substr(0, eq));
    if (!key) {
      return invalid(param, "bad percent-encoding in query parameter '" + std::string(piece) + "'");
    }
    if (key->empty()) return invalid(param, "query parameter with an empty name");
    if (eq == std::string_view::npos) {
      return invalid(param, "query parameter '" + *key + "' has no value (expected " + *key +
                                "=...)");
    }
    auto value = percent_decode(piece.substr(eq + 1));
    if (!value) {
      return invalid(param, "bad percent-encoding in the value of '" + *key + "'");
    }
    if (value->empty()) return invalid(param, "query parameter '" + *key + "' has an empty value");
    for (const QueryParam& seen : out) {
      if (seen.key == *key) return invalid(param, "duplicate query parameter '" + *key + "'");
    }
    out.push_back({std::move(*key), std::move(*value)});
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

// ---- key tables ------------------------------------------------------------------------------

constexpr std::array<std::string_view, 3> kImageAnchors = {"frame_index", "timestamp_ms",
                                                           "offset_ms"};
constexpr std::array<std::string_view, 3> kStartAnchors = {"start_frame_index",
                                                           "start_timestamp_ms", "start_offset_ms"};
constexpr std::array<std::string_view, 3> kEndAnchors = {"end_frame_index", "end_timestamp_ms",
                                                         "end_offset_ms"};
constexpr AnchorKind kAnchorKinds[3] = {AnchorKind::frame_index, AnchorKind::timestamp_ms,
                                        AnchorKind::offset_ms};

template <size_t N>
int index_of(const std::array<std::string_view, N>& table, std::string_view key) {
  for (size_t i = 0; i < N; ++i) {
    if (table[i] == key) return static_cast<int>(i);
  }
  return -1;
}

bool is_image_only_key(std::string_view k) {
  return index_of(kImageAnchors, k) >= 0 || k == "tolerance_ms" || k == "direction";
}
bool is_video_only_key(std::string_view k) {
  return index_of(kStartAnchors, k) >= 0 || index_of(kEndAnchors, k) >= 0 || k == "max_fps" ||
         k == "max_frames";
}

const char* kImageKeysHelp =
    "frame_index, timestamp_ms, offset_ms, tolerance_ms, direction, max_pixels";
const char* kVideoKeysHelp =
    "start_frame_index, start_timestamp_ms, start_offset_ms, end_frame_index, end_timestamp_ms, "
    "end_offset_ms, max_fps, max_frames, max_pixels";

Error malformed(const std::string& param, const QueryParam& p, const char* expected) {
  return invalid(param, "malformed number for '" + p.key + "': '" + p.value + "' (expected " +
                            expected + ")");
}

Result<int64_t> int_value(const std::string& param, const QueryParam& p) {
  auto v = parse_int(p.value);
  if (!v) return malformed(param, p, "an integer: optional '-' and digits only");
  return *v;
}

Result<int64_t> int_at_least(const std::string& param, const QueryParam& p, int64_t min) {
  auto v = int_value(param, p);
  if (!v.ok()) return v;
  if (*v < min) {
    return invalid(param, "'" + p.key + "' must be at least " + std::to_string(min) + ", got " +
                              p.value);
  }
  return v;
}

// An anchor value: timestamps are on the stream clock, which starts at 0.
Result<int64_t> anchor_value(const std::string& param, const QueryParam& p, AnchorKind kind) {
  return kind == AnchorKind::timestamp_ms ? int_at_least(param, p, 0) : int_value(param, p);
}

std::string anchor_pair_message(std::string_view a, std::string_view b, const char* which,
                                const char* choices) {
  return "two " + std::string(which) + " anchors, '" + std::string(a) + "' and '" +
         std::string(b) + "': give exactly one of " + choices;
}

// The one anchor of `table` among the params (nullopt if none); two of them is an error.
Result<std::optional<Anchor>> take_anchor(const std::string& param,
                                          const std::vector<QueryParam>& params,
                                          const std::array<std::string_view, 3>& table,
                                          const char* which, const char* choices) {
  const QueryParam* found = nullptr;
  int found_kind = -1;
  for (const QueryParam& p : params) {
    const int k = index_of(table, p.key);
    if (k < 0) continue;
    if (found != nullptr) return invalid(param, anchor_pair_message(found->key, p.key, which, choices));
    found = &p;
    found_kind = k;
  }
  if (found == nullptr) return std::optional<Anchor>();
  const AnchorKind kind = kAnchorKinds[found_kind];
  auto v = anchor_value(param, *found, kind);
  if (!v.ok()) return v.error();
  return std::optional<Anchor>(Anchor{kind, *v});
}

// Start >= end is decidable without the store only when both anchors count from the same
// origin: two timestamps, or two indices / offsets of the same sign.
bool statically_ordered_wrong(const Anchor& start, const Anchor& end) {
  if (start.kind != end.kind) return false;
  if (start.kind != AnchorKind::timestamp_ms && ((start.value < 0) != (end.value < 0))) {
    return false;
  }
  return start.value >= end.value;
}

Result<OvsRef> build_image(std::vector<QueryParam> params, const std::string& stream_id,
                           const std::string& param) {
  OvsRef ref;
  ref.stream_id = stream_id;
  ref.kind = RefKind::image;
  for (const QueryParam& p : params) {
    if (is_video_only_key(p.key)) {
      return invalid(param, "'" + p.key +
                                "' is a video (segment) parameter and cannot be used on an "
                                "image reference; an image takes one of frame_index, "
                                "timestamp_ms or offset_ms (use video_url for a segment)");
    }
    if (!is_image_only_key(p.key) && p.key != "max_pixels") {
      return invalid(param, "unknown parameter '" + p.key + "' for an image reference (known: " +
                                kImageKeysHelp + ")");
    }
  }
  auto anchor = take_anchor(param, params, kImageAnchors, "frame",
                            "frame_index, timestamp_ms, offset_ms");
  if (!anchor.ok()) return anchor.error();
  if (!*anchor) {
    return invalid(param, "no anchor: give one of frame_index, timestamp_ms or offset_ms "
                          "(frame_index=-1 is the newest frame)");
  }
  ref.anchor = **anchor;
  const bool by_time = ref.anchor.kind != AnchorKind::frame_index;
  for (const QueryParam& p : params) {
    if (p.key == "tolerance_ms") {
      if (!by_time) {
        return invalid(param, "tolerance_ms only applies to timestamp_ms or offset_ms anchors, "
                              "not to frame_index");
      }
      auto v = int_at_least(param, p, 1);
      if (!v.ok()) return v.error();
      ref.tolerance_ms = *v;
    } else if (p.key == "direction") {
      if (!by_time) {
        return invalid(param, "direction only applies to timestamp_ms or offset_ms anchors, "
                              "not to frame_index");
      }
      if (p.value == "nearest") {
        ref.direction = Direction::nearest;
      } else if (p.value == "forward") {
        ref.direction = Direction::forward;
      } else if (p.value == "backward") {
        ref.direction = Direction::backward;
      } else {
        return invalid(param, "direction must be nearest, forward or backward, got '" + p.value +
                                  "'");
      }
    } else if (p.key == "max_pixels") {
      auto v = int_at_least(param, p, kMinMaxPixels);
      if (!v.ok()) return v.error();
      ref.max_pixels = *v;
    }
  }
  return ref;
}

Result<OvsRef> build_video(std::vector<QueryParam> params, const std::string& stream_id,
                           const std::string& param) {
  OvsRef ref;
  ref.stream_id = stream_id;
  ref.kind = RefKind::video;
  for (const QueryParam& p : params) {
    if (is_image_only_key(p.key)) {
      const bool anchor = index_of(kImageAnchors, p.key) >= 0;
      return invalid(param,
                     "'" + p.key + "' is an image parameter and cannot be used on a video "
                     "(segment) reference; " +
                         (anchor ? std::string("a segment starts at start_" + p.key +
                                               " (and may end at end_" + p.key + ")")
                                 : std::string("segments select frames by max_fps/max_frames")));
    }
    if (!is_video_only_key(p.key) && p.key != "max_pixels") {
      return invalid(param, "unknown parameter '" + p.key + "' for a video reference (known: " +
                                kVideoKeysHelp + ")");
    }
  }
  const char* start_choices = "start_frame_index, start_timestamp_ms, start_offset_ms";
  auto start = take_anchor(param, params, kStartAnchors, "start", start_choices);
  if (!start.ok()) return start.error();
  auto end = take_anchor(param, params, kEndAnchors, "end",
                         "end_frame_index, end_timestamp_ms, end_offset_ms (or none for the "
                         "live edge)");
  if (!end.ok()) return end.error();
  if (!*start) {
    return invalid(param, std::string("no segment start: give one of ") + start_choices);
  }
  ref.anchor = **start;
  ref.end = *end;
  if (ref.end && statically_ordered_wrong(ref.anchor, *ref.end)) {
    return invalid(param, "segment start is not before its end (start " +
                              std::to_string(ref.anchor.value) + " >= end " +
                              std::to_string(ref.end->value) + "; the end is exclusive)");
  }
  for (const QueryParam& p : params) {
    if (p.key == "max_fps") {
      auto v = parse_decimal(p.value);
      if (!v) return malformed(param, p, "a decimal number such as 1 or 0.5");
      if (!(*v > 0)) return invalid(param, "max_fps must be > 0, got " + p.value);
      ref.max_fps = *v;
    } else if (p.key == "max_frames") {
      auto v = int_at_least(param, p, 1);
      if (!v.ok()) return v.error();
      ref.max_frames = *v;
    } else if (p.key == "max_pixels") {
      auto v = int_at_least(param, p, kMinMaxPixels);
      if (!v.ok()) return v.error();
      ref.max_pixels = *v;
    }
  }
  return ref;
}

Result<OvsRef> build(std::string_view query, RefKind kind, const std::string& stream_id,
                     const std::string& param) {
  auto params = split_query(query, param);
  if (!params.ok()) return params.error();
  return kind == RefKind::image ? build_image(std::move(*params), stream_id, param)
                                : build_video(std::move(*params), stream_id, param);
}

}  // namespace

bool is_ovs_url(std::string_view url) { return istarts_with(url, "ovs:"); }

Result<OvsRef> parse_ovs_url(std::string_view url, RefKind kind, const std::string& param) {
  constexpr std::string_view kShape = "expected ovs://streams/{stream_id}?{query}";
  if (!istarts_with(url, "ovs://")) {
    return invalid(param, "not an ovs:// URL; " + std::string(kShape));
  }
  std::string_view rest = url.substr(6);
  if (rest.find('#') != std::string_view::npos) {
    return invalid(param, "fragments ('#') are not allowed in an ovs:// reference");
  }
  const size_t host_end = rest.find_first_of("/?");
  const std::string_view host = rest.substr(0, host_end);
  if (host != "streams") {
    return invalid(param, "unknown ovs:// host '" + std::string(host) + "'; " +
                              std::string(kShape));
  }
  if (host_end == std::string_view::npos || rest[host_end] != '/') {
    return invalid(param, "missing stream id; " + std::string(kShape));
  }
  rest = rest.substr(host_end + 1);
  const size_t q = rest.find('?');
  const std::string_view path = rest.substr(0, q);
  if (path.find('/') != std::string_view::npos) {
    return invalid(param, "unexpected path '" + std::string(path) +
                              "' after ovs://streams/; " + std::string(kShape));
  }
  if (!valid_stream_id(path)) {
    return invalid(param, "invalid stream id '" + std::string(path) +
                              "': expected 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'");
  }
  const std::string_view query = q == std::string_view::npos ? "" : rest.substr(q + 1);
  return build(query, kind, std::string(path), param);
}

Result<OvsRef> parse_image_query(std::string_view query, const std::string& stream_id,
                                 const std::string& param) {
  if (query.empty()) {
    OvsRef ref;
    ref.stream_id = stream_id;
    ref.kind = RefKind::image;
    ref.anchor = Anchor{AnchorKind::frame_index, -1};
    return ref;
  }
  if (query.find('#') != std::string_view::npos) {
    return invalid(param, "fragments ('#') are not allowed in a frame query");
  }
  return build(query, RefKind::image, stream_id, param);
}

Result<OvsRef> parse_video_query(std::string_view query, const std::string& stream_id,
                                 const std::string& param) {
  if (query.find('#') != std::string_view::npos) {
    return invalid(param, "fragments ('#') are not allowed in a clip query");
  }
  return build(query, RefKind::video, stream_id, param);
}

}  // namespace sl
