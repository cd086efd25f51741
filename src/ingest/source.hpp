// A Source pulls, receives or generates video and pushes packets, decoded frames and state
// changes into a MediaSink (the stream's sink). Each source runs on its own thread (see
// SourceThread), started by start() and joined by stop(); stop() is prompt (it interrupts
// blocking network reads). A source owns its reconnect policy: a pull source that loses its peer
// reconnects with capped exponential backoff, and the stream clock and frame index keep counting
// across reconnects. Lifecycle is reported through MediaSink::on_source_event: connecting, active,
// reconnecting, and exactly one final ended/failed with its end_reason.
//
// Sources that negotiate (webrtc, whip) also answer SDP offers: answer() may block for the
// negotiation (ICE gathering), so callers run it off network threads. Other sources answer
// `unsupported`. answer() and end_session() may run concurrently with stop(); once stop() has
// returned, the source never calls its sink again (answer() included): the sink may be gone.
//
// Which Source a spec gets is decided by one SourceFactory, built in app/ and injected into the
// stream manager, so tests can hand in fake sources.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/media_sink.hpp"
#include "core/status.hpp"
#include "ingest/source_spec.hpp"
#include "ingest/webrtc_options.hpp"

namespace sl {

struct IngestOptions {
  int64_t connect_timeout_ms = 5000;    // open + first packet
  int64_t read_timeout_ms = 5000;       // no data for this long -> reconnect
  int64_t backoff_initial_ms = 250;
  int64_t backoff_max_ms = 10'000;
  int max_reconnects = -1;              // -1: forever (live cameras come back)
  int max_width = 7680;                 // larger frames are refused (absurd resolutions)
  int max_height = 4320;
  std::string file_root;                // file:// sources must lie under this dir; empty: refused
  WebRtcOptions webrtc;                 // webrtc and whip sources
};

// The answer to an SDP offer, and the publisher session it opened (WHIP's resource).
struct SdpAnswer {
  std::string sdp;
  std::string session_id;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  // SDP offer in, answer out (negotiating sources). Errors: unsupported for other sources;
  // invalid_request / unsupported for offers it cannot take; conflict-like errors are the
  // source's to define (a second WHIP publisher).
  virtual Result<SdpAnswer> answer(const std::string& offer_sdp) {
    (void)offer_sdp;
    return make_error(ErrorCode::unsupported, "this source does not take SDP offers");
  }
  // Ends a publisher session opened by answer() (WHIP DELETE). Errors: not_found.
  virtual Status end_session(const std::string& session_id) {
    (void)session_id;
    return make_error(ErrorCode::not_found, "no such session");
  }
};

// Builds the source for a validated spec; the sink (and clock) must outlive it. Errors:
// unsupported for a kind this build cannot serve.
using SourceFactory = std::function<Result<std::unique_ptr<Source>>(
    const SourceSpec& spec, MediaSink& sink, const Clock& clock)>;

// Checks a spec without starting anything (scheme, URL shape, sizes, file root).
// Errors are invalid_request with `param` naming the field ("source.url", ...); unsupported for
// kinds this build has no source for.
Status validate_source(const SourceSpec& spec, const IngestOptions& options);

// The factory for the sources ingest has (url, test_pattern, webrtc, whip). webrtc/whip answer
// unsupported when GStreamer or one of the elements they need is missing.
SourceFactory default_source_factory(IngestOptions options);

// Starts GStreamer now (its plugin scan takes a while the first time) instead of at the first
// WebRTC publisher. Errors: unsupported, saying which elements are missing; webrtc/whip streams
// are then refused with the same message. Thread-safe, idempotent.
Status warm_up_webrtc();

}  // namespace sl
