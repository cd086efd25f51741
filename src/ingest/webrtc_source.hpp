// The WebRTC sources: `webrtc` (the offer comes with the create request; one publisher, the
// stream ends when it goes) and `whip` (publishers come to the WHIP URL; one at a time, and
// after one leaves the stream ends or waits for the next, per webrtc.whip_wait_for_publisher).
//
// answer() checks the offer (sdp_offer.hpp), builds and negotiates a WebRtcSession on the
// caller's thread (blocking for ICE gathering: call it off network threads) and hands it to the
// source thread, which pulls access units from it into the shared DecodePipeline, asks for
// keyframes (at start, every webrtc.keyframe_interval_ms, and after decode errors) and watches
// for the publisher's end: ICE/peer connection failed or closed, RTCP BYE, a pipeline error, no
// video within webrtc.connect_timeout_ms of the answer or for webrtc.no_media_timeout_ms later.
// A lost publisher ends the stream with end_reason `source_lost` (state ended); a WHIP DELETE
// with `source_ended`; a pipeline error fails it with `source_failed`.
//
// Threading: answer()/end_session() from any thread, concurrently with stop(); stop() joins the
// source thread and tears down every session; afterwards no sink call happens (answer() never
// calls the sink). GStreamer's own threads never touch the sink or this object.
// Errors of answer(): those of check_offer and WebRtcSession::negotiate; conflict when a
// publisher is live (or negotiating) already, when a `webrtc` stream got its one offer, or when
// the stream has ended.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "ingest/decode_pipeline.hpp"
#include "ingest/source.hpp"
#include "ingest/source_thread.hpp"

namespace sl {

class WebRtcSession;

class WebRtcSource final : public Source {
 public:
  enum class Kind { webrtc, whip };

  WebRtcSource(Kind kind, IngestOptions options, MediaSink& sink, const Clock& clock);
  ~WebRtcSource() override;
  WebRtcSource(const WebRtcSource&) = delete;
  WebRtcSource& operator=(const WebRtcSource&) = delete;

  void start() override;
  void stop() override;
  Result<SdpAnswer> answer(const std::string& offer_sdp) override;
  Status end_session(const std::string& session_id) override;

 private:
  class KeyframeWatch;
  enum class SessionEnd { stopped, lost, deleted, failed };

  void run();
  // Runs one publisher session to its end; `why` says what happened.
  SessionEnd run_session(WebRtcSession& session, std::string& why);
  std::unique_ptr<WebRtcSession> take_pending();

  const Kind kind_;
  const IngestOptions options_;
  MediaSink& sink_;
  const Clock& clock_;
  std::unique_ptr<KeyframeWatch> watch_;   // the pipeline's sink: counts decode errors

  std::mutex mu_;
  bool stopped_ = false;       // stop() began: no new sessions
  bool finished_ = false;      // the source ended (no further publisher is taken)
  bool busy_ = false;          // a publisher is negotiating or live
  bool used_ = false;          // a `webrtc` source takes one offer
  std::unique_ptr<WebRtcSession> pending_;   // negotiated, not yet picked up by the thread
  std::string session_id_;     // the live (or pending) publisher's session
  bool end_requested_ = false; // end_session() for it

  DecodePipeline pipeline_;
  SourceThread thread_;        // last: joined first, while the members it uses still exist
};

}  // namespace sl
