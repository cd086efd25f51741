// DecodePipeline: the part every source that delivers encoded video shares, from one packet to
// the sink: keyframe gate -> sink.on_packet (which GOP) -> GOP map -> decoder -> size check ->
// stream clock (pacing, stamping) -> sink.on_frame, plus the "active" event on the first frame
// of a connection. A URL source feeds it what FFmpeg demuxes; a WebRTC source what GStreamer
// depayloads; a test can feed it packets by hand.
//
// A connection is begin() .. push()* .. flush(): begin() with the connection's codec
// configuration (a fresh decoder; the stream clock anchors the new connection's pts), flush()
// at its end to drain buffered pictures. The stream clock, and so the frame timeline, continues
// across connections.
// Threading: one thread (the source's) calls everything; the sink is called on that thread.
// Errors: begin() fails when no decoder opens for the codec; push()/flush() return refused
// (with error()) for a picture over the size limit, a permanent condition for this source.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/media_sink.hpp"
#include "core/status.hpp"
#include "ingest/gop_map.hpp"
#include "ingest/stream_clock.hpp"

namespace sl {

class Decoder;
struct DecodedFrame;

struct DecodePipelineOptions {
  int max_width = 7680;
  int max_height = 4320;
  StreamClockOptions clock;
};

// "video is WxH, larger than the allowed MWxMH": the one wording for a picture over the limit,
// whether the container (url source) or the decoder (pipeline) reports the size.
std::string frame_too_large(int width, int height, int max_width, int max_height);

class DecodePipeline {
 public:
  // Holds a frame that is ahead of the clock for `ms`; returns false when the source is stopping.
  using HoldFn = std::function<bool(int64_t ms)>;
  enum class Result { ok, stopped, refused };

  DecodePipeline(MediaSink& sink, const Clock& clock, DecodePipelineOptions options);
  ~DecodePipeline();
  DecodePipeline(const DecodePipeline&) = delete;
  DecodePipeline& operator=(const DecodePipeline&) = delete;

  Status begin(std::shared_ptr<const CodecConfig> config);
  // One packet in decode order (its config is set to the connection's when empty). Packets
  // before the connection's first keyframe are dropped: nothing could decode them.
  Result push(Packet packet, const HoldFn& hold);
  Result flush(const HoldFn& hold);
  // The connection is gone: the next frame reports the source active again.
  void connection_lost() { active_ = false; }

  int64_t frames_this_connection() const { return frames_; }
  const std::string& error() const { return error_; }

 private:
  Result deliver(const HoldFn& hold);

  MediaSink& sink_;
  const Clock& clock_;
  const DecodePipelineOptions options_;
  StreamClock stream_clock_;
  std::shared_ptr<const CodecConfig> config_;
  std::unique_ptr<Decoder> decoder_;
  GopMap gops_;
  std::vector<DecodedFrame> decoded_;
  bool seen_keyframe_ = false;
  bool active_ = false;
  int64_t frames_ = 0;
  std::string error_;
};

}  // namespace sl
