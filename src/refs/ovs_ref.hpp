// The ovs:// reference (SPEC.md section 3): grammar, validation and resolution against a
// FrameStore. Parsing is pure; resolution reads the store under its own lock and returns the
// frame records a reference selects. Turning records into pixels is frame_renderer.hpp's job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "store/frame_store.hpp"

namespace sl {

enum class RefKind { image, video };
enum class AnchorKind { frame_index, timestamp_ms, offset_ms };
enum class Direction { nearest, forward, backward };

struct Anchor {
  AnchorKind kind = AnchorKind::frame_index;
  int64_t value = 0;
};

struct OvsRef {
  std::string stream_id;
  RefKind kind = RefKind::image;
  Anchor anchor;                      // image: the frame; video: the start
  std::optional<Anchor> end;          // video only; nullopt = live edge
  int64_t tolerance_ms = 100;         // image with timestamp/offset anchors
  Direction direction = Direction::nearest;
  double max_fps = 1.0;               // video
  std::optional<int64_t> max_frames;  // video
  std::optional<int64_t> max_pixels;  // both
};

bool is_ovs_url(std::string_view url);

// Parses "ovs://streams/{id}?{query}" as an image or video reference. Errors are
// invalid_reference with `param` set to the given JSON path.
Result<OvsRef> parse_ovs_url(std::string_view url, RefKind kind, const std::string& param);

// Parses just a query string (no leading '?') as an image reference to `stream_id`, for
// GET /v1/streams/{id}/frame. An empty query means the newest frame.
Result<OvsRef> parse_image_query(std::string_view query, const std::string& stream_id,
                                 const std::string& param);
// Same for a video query (GET /v1/streams/{id}/clip).
Result<OvsRef> parse_video_query(std::string_view query, const std::string& stream_id,
                                 const std::string& param);

struct Resolution {
  std::vector<FrameRecord> frames;   // in presentation order
  bool clamped = false;              // the request reached before the oldest retained frame
};

// Resolves against the store. `now_wall_ms` is when the request arrived (the live edge).
// Errors: stream_not_ready, frame_not_available, frame_not_found, segment_empty,
// invalid_reference (start >= end after resolution of same-kind anchors); `param` as given.
Result<Resolution> resolve(const OvsRef& ref, const FrameStore& store, int64_t now_wall_ms,
                           const std::string& param);

}  // namespace sl
