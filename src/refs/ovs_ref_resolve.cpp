// Resolution of a parsed ovs:// reference against a stream's FrameStore (SPEC.md section 3):
// which frame an image reference means, and which frames a segment samples.
#include <algorithm>
#include <cstdint>
#include <cmath>
#include <limits>
#include <string>

#include "refs/ovs_ref.hpp"

#include "refs/grid_sampling.hpp"

namespace sl {

namespace {

int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

struct Edges {
  FrameRecord oldest;
  FrameRecord newest;
  int64_t now_ts = 0;  // the live edge on the stream clock
};

// The live edge: the stream clock keeps running between frames, at wall-clock pace.
int64_t live_edge(const FrameRecord& newest, int64_t now_wall_ms) {
  return std::max(newest.timestamp_ms, sat_add(newest.timestamp_ms, now_wall_ms - newest.wall_ms));
}

// Stream-clock time an anchor of kind timestamp_ms / offset_ms designates.
int64_t target_time(const Anchor& a, const Edges& e) {
  if (a.kind == AnchorKind::timestamp_ms) return a.value;
  return a.value < 0 ? sat_add(e.now_ts, a.value) : sat_add(e.oldest.timestamp_ms, a.value);
}

// Lifetime index a frame_index anchor designates (negative counts back from the newest).
int64_t target_index(const Anchor& a, const Edges& e) {
  return a.value >= 0 ? a.value : e.newest.index + 1 + a.value;
}

const char* name(Direction d) {
  switch (d) {
    case Direction::forward: return "forward";
    case Direction::backward: return "backward";
    case Direction::nearest: break;
  }
  return "nearest";
}

Error error(ErrorCode code, const std::string& param, std::string message) {
  return make_error(code, std::move(message), param);
}

// ---- image -----------------------------------------------------------------------------------

Result<Resolution> resolve_image(const OvsRef& ref, const FrameStore& store, const Edges& e,
                                 const std::string& param) {
  Resolution res;
  auto clamp_to_oldest = [&]() -> Result<Resolution> {
    // Re-read: the oldest may have moved since `e` was taken.
    auto oldest = store.oldest();
    res.frames.push_back(oldest ? *oldest : e.oldest);
    res.clamped = true;
    return res;
  };

  if (ref.anchor.kind == AnchorKind::frame_index) {
    const int64_t index = target_index(ref.anchor, e);
    if (index > e.newest.index) {
      return error(ErrorCode::frame_not_available, param,
                   "frame " + std::to_string(index) + " is newer than the newest frame " +
                       std::to_string(e.newest.index));
    }
    if (index < e.oldest.index) return clamp_to_oldest();
    auto rec = store.record(index);
    if (!rec) return clamp_to_oldest();  // evicted since `e` was taken
    res.frames.push_back(*rec);
    return res;
  }

  const int64_t target = target_time(ref.anchor, e);
  const int64_t tol = ref.tolerance_ms;
  if (target > sat_add(e.newest.timestamp_ms, tol)) {
    return error(ErrorCode::frame_not_available, param,
                 "time " + std::to_string(target) + " ms is after the newest frame (" +
                     std::to_string(e.newest.timestamp_ms) + " ms, tolerance " +
                     std::to_string(tol) + " ms)");
  }
  if (target < sat_add(e.oldest.timestamp_ms, -tol)) return clamp_to_oldest();

  std::optional<FrameRecord> after, before;
  if (ref.direction != Direction::backward) {
    if (auto i = store.first_at_or_after(target)) {
      auto r = store.record(*i);
      if (r && r->timestamp_ms - target <= tol) after = r;
    }
  }
  if (ref.direction != Direction::forward) {
    if (auto i = store.last_at_or_before(target)) {
      auto r = store.record(*i);
      if (r && target - r->timestamp_ms <= tol) before = r;
    }
  }
  if (after && before) {
    // Nearest; a tie goes to the earlier frame.
    res.frames.push_back(after->timestamp_ms - target < target - before->timestamp_ms ? *after
                                                                                        : *before);
  } else if (after || before) {
    res.frames.push_back(after ? *after : *before);
  } else {
    return error(ErrorCode::frame_not_found, param,
                 "no frame within tolerance_ms=" + std::to_string(tol) + " of " +
                     std::to_string(target) + " ms (direction " + name(ref.direction) + ")");
  }
  return res;
}

// ---- video -----------------------------------------------------------------------------------

// SPEC section 3's grid (refs/grid_sampling.hpp) over the segment's retained frames.
std::vector<FrameRecord> sample(const std::vector<FrameRecord>& f, int64_t start_ms,
                                int64_t end_ms, double max_fps, std::optional<int64_t> max_frames) {
  std::vector<int64_t> times;
  times.reserve(f.size());
  for (const FrameRecord& r : f) times.push_back(r.timestamp_ms);
  std::vector<FrameRecord> out;
  for (size_t i : grid_sample(times, start_ms, end_ms, max_fps, max_frames)) out.push_back(f[i]);
  return out;
}

Result<Resolution> resolve_video(const OvsRef& ref, const FrameStore& store, const Edges& e,
                                 const std::string& param) {
  Resolution res;
  const int64_t past_newest = e.newest.index + 1;

  // Start: an index, or the first frame at or after a time.
  int64_t start = 0;
  int64_t start_key = 0;  // the resolved anchor, to compare with an end of the same kind
  if (ref.anchor.kind == AnchorKind::frame_index) {
    start = start_key = target_index(ref.anchor, e);
    if (start > e.newest.index) {
      return error(ErrorCode::frame_not_available, param,
                   "segment start frame " + std::to_string(start) +
                       " is newer than the newest frame " + std::to_string(e.newest.index));
    }
    if (start < e.oldest.index) res.clamped = true;
  } else {
    start_key = target_time(ref.anchor, e);
    if (start_key > e.now_ts) {
      return error(ErrorCode::frame_not_available, param,
                   "segment start " + std::to_string(start_key) +
                       " ms is in the future (now is " + std::to_string(e.now_ts) + " ms)");
    }
    if (start_key < e.oldest.timestamp_ms) res.clamped = true;
    start = store.first_at_or_after(start_key).value_or(past_newest);
  }

  // End, exclusive: an index, the first frame at or after a time, or past the newest frame;
  // and on the stream clock (the live edge when the segment runs to now).
  int64_t end = past_newest;
  int64_t end_ms = e.now_ts;
  if (ref.end) {
    int64_t end_key = 0;
    if (ref.end->kind == AnchorKind::frame_index) {
      end = end_key = target_index(*ref.end, e);
      if (auto r = end <= e.newest.index ? store.record(end) : std::nullopt) end_ms = r->timestamp_ms;
    } else {
      end_ms = end_key = target_time(*ref.end, e);
      end = store.first_at_or_after(end_key).value_or(past_newest);
    }
    if (ref.end->kind == ref.anchor.kind && start_key >= end_key) {
      return error(ErrorCode::invalid_reference, param,
                   "segment start (" + std::to_string(start_key) + ") is not before its end (" +
                       std::to_string(end_key) + "); the end is exclusive");
    }
  }

  // records() clips to what is retained now.
  std::vector<FrameRecord> frames =
      end > start ? store.records(start, end - 1) : std::vector<FrameRecord>{};
  if (frames.empty()) {
    return error(ErrorCode::segment_empty, param,
                 "no retained frame in the segment (retained frames are " +
                     std::to_string(e.oldest.index) + " to " + std::to_string(e.newest.index) +
                     ")");
  }
  if (frames.front().index > std::max(start, e.oldest.index)) res.clamped = true;
  // The segment on the stream clock: from the requested time (a time anchor, cut to what is
  // retained) or the start frame's time, to the end.
  int64_t start_ms = frames.front().timestamp_ms;
  if (ref.anchor.kind != AnchorKind::frame_index)
    start_ms = std::min(std::max(start_key, e.oldest.timestamp_ms), start_ms);
  res.frames = sample(frames, start_ms, std::max(end_ms, frames.back().timestamp_ms + 1),
                      ref.max_fps, ref.max_frames);
  return res;
}

}  // namespace

Result<Resolution> resolve(const OvsRef& ref, const FrameStore& store, int64_t now_wall_ms,
                           const std::string& param) {
  auto newest = store.newest();
  auto oldest = store.oldest();
  if (!newest || !oldest) {
    return error(ErrorCode::stream_not_ready, param,
                 "stream '" + ref.stream_id + "' has no frame yet");
  }
  Edges e{*oldest, *newest, live_edge(*newest, now_wall_ms)};
  return ref.kind == RefKind::image ? resolve_image(ref, store, e, param)
                                    : resolve_video(ref, store, e, param);
}

}  // namespace sl
