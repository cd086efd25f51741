// FrameStore: the per-stream buffer of video. It keeps encoded packets grouped by GOP (cheap:
// ~150 MB for 600 s of 720p at 2 Mbit/s) plus decoded pictures for the newest few frames, so the
// live edge is served without waiting on a decoder while older frames are re-decoded on demand
// from their GOP. It also holds per-frame "renditions" (opaque encoded images, e.g. JPEGs at a
// given size) so a frame is never encoded twice. Retention is bounded by time and by bytes;
// eviction drops whole GOPs from the oldest end. The store knows no codec library.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "core/clock.hpp"
#include "core/media_sink.hpp"
#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

struct StoreLimits {
  int64_t retention_ms = 600'000;         // frames older than this (stream clock) are evicted
  size_t max_bytes = 512ull << 20;        // packets + decoded pictures + renditions
  int decoded_keep = 8;                   // newest frames kept decoded
  size_t rendition_bytes = 16ull << 20;   // cap on cached encoded images
};

// Key of an encoded image of a frame: its size, plus the JPEG quality in the top byte when it is
// not the default 85 (widths stay far below 2^24). One definition for the renderer and ingest.
inline uint64_t rendition_key(int width, int height, int quality = 85) {
  const uint64_t q = quality == 85 ? 0 : static_cast<uint64_t>(quality & 0xff);
  return (q << 56) | (static_cast<uint64_t>(static_cast<uint32_t>(width)) << 32) |
         static_cast<uint32_t>(height);
}

struct FrameRecord {
  int64_t index = -1;
  int64_t timestamp_ms = 0;
  int64_t wall_ms = 0;
};

// Everything needed to re-decode frames of one GOP.
struct GopSnapshot {
  std::shared_ptr<const CodecConfig> config;
  std::vector<Packet> packets;                            // decode order, starts at a keyframe
  std::vector<std::pair<int64_t, int64_t>> frames;        // (frame index, pts), presentation order
};

struct StoreStats {
  int64_t first_index = -1;     // oldest retained, -1 when empty
  int64_t last_index = -1;      // newest, -1 when none yet
  int64_t first_timestamp_ms = 0;
  int64_t last_timestamp_ms = 0;
  int64_t first_frame_wall_ms = 0;   // wall time of frame 0 (stream start), 0 when none
  int64_t last_frame_wall_ms = 0;
  int64_t retained_frames = 0;
  int64_t evicted_frames = 0;
  int64_t frames_received = 0;
  size_t bytes = 0;
  double recent_fps = 0;
  int width = 0;
  int height = 0;
};

class FrameStore final : public MediaSink {
 public:
  explicit FrameStore(StoreLimits limits);

  // MediaSink (called by the source thread).
  uint64_t on_packet(const Packet& packet) override;
  int64_t on_frame(const FrameArrival& frame) override;
  void on_source_event(const SourceEvent& event) override;
  void on_decode_error() override;
  void on_reconnect() override;

  // Queries.
  StoreStats stats() const;
  std::optional<FrameRecord> newest() const;
  std::optional<FrameRecord> oldest() const;
  std::optional<FrameRecord> record(int64_t index) const;  // nullopt if evicted or not yet
  // Index of the first retained frame with timestamp_ms >= t, or nullopt if none.
  std::optional<int64_t> first_at_or_after(int64_t t_ms) const;
  // Index of the last retained frame with timestamp_ms <= t, or nullopt if none.
  std::optional<int64_t> last_at_or_before(int64_t t_ms) const;
  // Records for indices in [first, last] that are retained (clipped to what exists).
  std::vector<FrameRecord> records(int64_t first, int64_t last) const;

  // Decoded picture if still kept (the newest decoded_keep frames).
  std::optional<VideoImage> decoded(int64_t index) const;
  // The GOP holding `index`, for re-decoding. Error frame_not_found if evicted.
  Result<GopSnapshot> gop_for(int64_t index) const;

  // Cached encoded images per frame; `key` identifies the encoding (FrameRenderer uses
  // width<<32|height, with a non-default JPEG quality in the top byte). nullptr when absent.
  SharedBytes rendition(int64_t index, uint64_t key) const;
  // Logically const: a cache. Bounded by StoreLimits::rendition_bytes (oldest dropped first).
  // The first rendition put for (index, key) wins; puts for frames not retained are ignored.
  void put_rendition(int64_t index, uint64_t key, SharedBytes bytes) const;

  // A rendition kept as long as its frame (ingest's one-per-second JPEGs, SPEC section 2): not
  // subject to the rendition cache's cap, counted in the stream's bytes. Same key space.
  void put_pinned_rendition(int64_t index, uint64_t key, SharedBytes bytes);

  // Source-side counters and state, as last reported.
  SourceEvent last_source_event() const;
  int64_t decode_errors() const;
  int64_t reconnects() const;

 private:
  struct Gop {
    uint64_t id = 0;
    std::shared_ptr<const CodecConfig> config;
    std::vector<Packet> packets;
    size_t bytes = 0;
  };
  struct Entry {
    FrameRecord rec;
    uint64_t gop_id = 0;
    int64_t pts = kNoPts;
    std::optional<VideoImage> image;
  };

  const Entry* entry_locked(int64_t index) const;
  const Gop* find_gop_locked(uint64_t id) const;
  size_t total_bytes_locked() const { return bytes_ + rendition_bytes_ + pinned_bytes_; }
  void evict_locked();
  // Frames at the front that leave together with the oldest GOP (its own, plus any whose GOP
  // is unknown); with no GOPs at all (a source that sends no packets) frames go one by one.
  size_t oldest_unit_frames_locked() const;
  void drop_oldest_unit_locked(size_t frames);
  void erase_renditions_locked(int64_t first, int64_t last) const;

  const StoreLimits limits_;
  mutable std::mutex mu_;
  std::deque<Gop> gops_;              // oldest first
  std::deque<Entry> frames_;          // oldest first, contiguous indices
  int64_t next_index_ = 0;
  uint64_t next_gop_id_ = 1;
  int64_t evicted_ = 0;
  size_t bytes_ = 0;                  // packets + decoded images
  mutable std::map<std::pair<int64_t, uint64_t>, SharedBytes> renditions_;
  mutable std::deque<std::pair<int64_t, uint64_t>> rendition_order_;  // FIFO for the cap
  mutable size_t rendition_bytes_ = 0;
  mutable std::set<std::pair<int64_t, uint64_t>> pinned_;
  mutable size_t pinned_bytes_ = 0;
  int64_t first_frame_wall_ms_ = 0;
  int width_ = 0, height_ = 0;
  SourceEvent last_event_;
  int64_t decode_errors_ = 0;
  int64_t reconnects_ = 0;
};

}  // namespace sl
