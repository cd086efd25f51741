// The seam between ingest (sources) and the store. A source pushes what it demuxes and decodes
// into a MediaSink; the streams module's sink hands it to the store and then to the stream's
// other frame consumers (FrameConsumer below). Neither ingest nor store includes the other.
// All calls for one source come from one thread, in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/media_types.hpp"

namespace sl {

// A decoded frame as the source hands it over, in presentation order.
struct FrameArrival {
  uint64_t gop_id = 0;        // the value on_packet returned for the GOP this frame belongs to
  int64_t pts = kNoPts;       // source pts (config time base), used to find it again on re-decode
  int64_t timestamp_ms = 0;   // stream clock: ms since the stream's first frame, monotonic
  int64_t wall_ms = 0;        // server receive time, Unix epoch ms
  VideoImage image;           // the decoded picture (kept only for the newest few frames)
};

enum class SourceState { connecting, active, reconnecting, ended, failed };

struct SourceEvent {
  SourceState state = SourceState::connecting;
  std::string error;        // last error text, empty if none
  std::string end_reason;   // for ended/failed: "source_ended", "source_failed", ...
};

class MediaSink {
 public:
  virtual ~MediaSink() = default;
  // An encoded packet in decode order. A keyframe starts a new GOP. Returns the GOP id the
  // packet was put in (frames decoded from it are reported with that id).
  virtual uint64_t on_packet(const Packet& packet) = 0;
  // A decoded frame. Returns the lifetime frame index assigned to it.
  virtual int64_t on_frame(const FrameArrival& frame) = 0;
  // State changes and counters for status and metrics.
  virtual void on_source_event(const SourceEvent& event) = 0;
  virtual void on_decode_error() = 0;
  virtual void on_reconnect() = 0;
};

// A reader of a stream's frames as they arrive, besides the store (e.g. an engine that encodes
// each frame once). Called on the source thread after the store has indexed the frame, so it
// must be quick: copy what it needs (VideoImage is reference-counted) and do the work elsewhere.
class FrameConsumer {
 public:
  virtual ~FrameConsumer() = default;
  virtual void on_frame(int64_t index, const FrameArrival& frame) = 0;
};

}  // namespace sl
