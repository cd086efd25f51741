// SecondKeeper: the MediaSink a source writes into. It hands everything to the stream's store
// and, as frames arrive, keeps the frame nearest to each whole second of the stream clock
// encoded as a full-size JPEG, pinned in the store for as long as the frame is retained
// (SPEC section 2). The default 1 fps segment of any length (the ovs:// grid's instants are the
// multiples of 1000 ms) is then served without re-decoding a single GOP, and the JPEG is the same
// rendition the frame renderer would have made (same key, same bytes every time).
// Cost: one JPEG encode per stream-second on the source thread; memory: about 600 JPEGs per
// 10 minutes of retention, counted in the stream's byte budget.
// Threading: called from the source thread only, like any MediaSink.
#pragma once

#include <cstdint>
#include <optional>

#include "core/media_sink.hpp"
#include "store/frame_store.hpp"

namespace sl {

class SecondKeeper final : public MediaSink {
 public:
  // jpeg_quality: the quality the frame renderer uses (chat.jpeg_quality), so its lookups hit.
  SecondKeeper(FrameStore& store, int jpeg_quality, bool enabled = true)
      : store_(store), quality_(jpeg_quality), enabled_(enabled) {}

  uint64_t on_packet(const Packet& packet) override { return store_.on_packet(packet); }
  int64_t on_frame(const FrameArrival& frame) override;
  void on_source_event(const SourceEvent& event) override { store_.on_source_event(event); }
  void on_decode_error() override { store_.on_decode_error(); }
  void on_reconnect() override { store_.on_reconnect(); }

  int64_t kept() const { return kept_; }

 private:
  void keep(int64_t index, const VideoImage& image);

  FrameStore& store_;
  const int quality_;
  const bool enabled_;
  struct Seen {
    int64_t index;
    int64_t timestamp_ms;
    VideoImage image;
  };
  std::optional<Seen> prev_;
  int64_t kept_ = 0;
  int64_t last_kept_ = -1;
};

}  // namespace sl
