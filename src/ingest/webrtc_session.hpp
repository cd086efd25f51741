// One publisher session: a GStreamer pipeline with webrtcbin receiving one video track and
//   webrtcbin --(video RTP)--> depayloader [--> h264parse] --> appsink
// (the answer turns every other audio/video m-line inactive, so publishers do not send them;
// a track webrtcbin exposes anyway goes to a fakesink). negotiate() answers
// the checked offer without trickle ICE: set remote offer, create answer, set local, wait until
// ICE gathering completes (or the gathering timeout passes), read the local description with its
// candidates. After that the owner (the source thread) pulls access units and asks ended().
//
// Threading: GStreamer calls the signal handlers (pad-added, ICE/connection state, RTCP BYE,
// gathering) on its own threads; they only record what happened in a shared state object that
// outlives the pipeline, and never call back into sightline. Everything else (negotiate, pull,
// ended, request_keyframe, the destructor) belongs to one thread at a time: the caller of
// negotiate() until it hands the session over, then the source thread. The destructor stops the
// pipeline (joins GStreamer's streaming threads), so it must not run on a GStreamer thread.
// Errors of negotiate(): invalid_request (GStreamer rejects the SDP), internal (elements
// missing, the pipeline does not start, webrtcbin fails to answer).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/media_types.hpp"
#include "core/status.hpp"
#include "ingest/sdp_offer.hpp"
#include "ingest/webrtc_options.hpp"

namespace sl {

// Starts GStreamer once per process (gst_init) and checks that the elements the receive
// pipeline needs are installed. Thread-safe; the result is computed once.
Status ensure_gstreamer();

struct AccessUnit {
  SharedBytes data;
  bool keyframe = false;
  int64_t pts_ns = kNoPts;   // running time of the pipeline, ns
};

class WebRtcSession {
  struct Key {
    explicit Key() = default;
  };

 public:
  explicit WebRtcSession(Key);  // negotiate() builds sessions
  struct Negotiated;
  static Result<Negotiated> negotiate(const CheckedOffer& offer, const WebRtcOptions& options);

  ~WebRtcSession();
  WebRtcSession(const WebRtcSession&) = delete;
  WebRtcSession& operator=(const WebRtcSession&) = delete;

  // The next video access unit, waiting up to `timeout_ms`; nullopt when none came.
  std::optional<AccessUnit> pull(int64_t timeout_ms);
  // Why the session is over (a bus error, ICE or the peer connection failed or closed, an RTCP
  // BYE from the video sender), or "" while it is alive. `failed` tells a local error (bus)
  // from the publisher going away.
  std::string ended(bool& failed);
  // Asks the publisher for a keyframe (an upstream force-key-unit event: RTCP PLI).
  void request_keyframe();
  VideoCodec codec() const { return codec_; }

  struct Shared;  // what GStreamer's threads report (webrtc_session.cpp)

 private:
  struct Pipeline;

  VideoCodec codec_ = VideoCodec::vp8;
  std::unique_ptr<Shared> shared_;      // first: outlives the pipeline's threads
  std::unique_ptr<Pipeline> pipeline_;
};

struct WebRtcSession::Negotiated {
  std::unique_ptr<WebRtcSession> session;
  std::string answer_sdp;
};

}  // namespace sl
