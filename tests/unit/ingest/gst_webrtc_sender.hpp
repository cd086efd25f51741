// A WebRTC publisher in the test process: videotestsrc -> encoder -> payloader -> webrtcbin,
// gathering on loopback only, making a non-trickle offer and taking the answer, as a browser
// or OBS would. For the WebRTC source's tests; not thread-safe (one test thread drives it).
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

#include "ingest/gst_ptr.hpp"

namespace sl::testing {

class GstWebRtcSender {
 public:
  // codec: "vp8" or "h264"; with_audio: an Opus track first (its m-line before the video's,
  // as Chromium orders a camera with its microphone).
  explicit GstWebRtcSender(const std::string& codec, int width = 320, int height = 240,
                           bool with_audio = false) {
    const std::string raw = "videotestsrc is-live=true pattern=ball ! video/x-raw,width=" +
                            std::to_string(width) + ",height=" + std::to_string(height) +
                            ",framerate=30/1 ! ";
    std::string chain;
    if (codec == "h264") {
      chain = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! "
              "video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 config-interval=-1 ! "
              "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000 ! ";
    } else {
      chain = "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! "
              "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! ";
    }
    std::string launch = raw + chain + "webrtcbin name=send bundle-policy=max-bundle";
    if (with_audio)
      launch = "webrtcbin name=send bundle-policy=max-bundle "
               "audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000,channels=1 ! "
               "opusenc ! rtpopuspay pt=111 ! "
               "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! "
               "send.sink_0 " + raw + chain + "send.sink_1";
    GError* err = nullptr;
    pipeline_.reset(gst_parse_launch(launch.c_str(), &err));
    gst::ErrorPtr owned(err);
    webrtc_.reset(gst_bin_get_by_name(pipeline_.bin(), "send"));
    loopback_only();
  }

  bool valid() const { return pipeline_.get() && webrtc_; }

  // Starts the pipeline and returns the offer with all candidates ("" on failure).
  std::string offer() {
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      return {};
    gst::PromisePtr promise(gst_promise_new());
    g_signal_emit_by_name(webrtc_.get(), "create-offer", nullptr, promise.get());
    if (gst_promise_wait(promise.get()) != GST_PROMISE_RESULT_REPLIED) return {};
    GstWebRTCSessionDescription* raw = nullptr;
    const GstStructure* reply = gst_promise_get_reply(promise.get());
    if (reply) gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &raw, nullptr);
    gst::SessionDescriptionPtr offer(raw);
    if (!offer) return {};
    gst::PromisePtr set(gst_promise_new());
    g_signal_emit_by_name(webrtc_.get(), "set-local-description", offer.get(), set.get());
    gst_promise_wait(set.get());
    for (int i = 0; i < 500; ++i) {  // up to 10 s for gathering
      GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
      g_object_get(webrtc_.get(), "ice-gathering-state", &state, nullptr);
      if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    GstWebRTCSessionDescription* local_raw = nullptr;
    g_object_get(webrtc_.get(), "local-description", &local_raw, nullptr);
    gst::SessionDescriptionPtr local(local_raw);
    if (!local) return {};
    return gst::take_string(gst_sdp_message_as_text(local->sdp));
  }

  bool accept(const std::string& answer_sdp) {
    GstSDPMessage* sdp = nullptr;
    if (gst_sdp_message_new_from_text(answer_sdp.c_str(), &sdp) != GST_SDP_OK) return false;
    gst::SessionDescriptionPtr answer(
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp));
    gst::PromisePtr promise(gst_promise_new());
    g_signal_emit_by_name(webrtc_.get(), "set-remote-description", answer.get(), promise.get());
    gst_promise_wait(promise.get());
    const GstStructure* reply = gst_promise_get_reply(promise.get());
    return !(reply && gst_structure_has_field(reply, "error"));
  }

  // The publisher vanishes without a goodbye (a cut network): its pipeline stops.
  void vanish() {
    webrtc_.reset();
    pipeline_.reset();
  }

 private:
  void loopback_only() {
    if (!webrtc_) return;
    GObject* ice_raw = nullptr;
    g_object_get(webrtc_.get(), "ice-agent", &ice_raw, nullptr);
    gst::ObjectPtr ice(ice_raw);
    if (!ice) return;
    NiceAgent* agent = nullptr;
    g_object_get(ice.get(), "agent", &agent, nullptr);
    if (!agent) return;
    NiceAddress addr;
    nice_address_init(&addr);
    nice_address_set_from_string(&addr, "127.0.0.1");
    nice_agent_add_local_address(agent, &addr);
    g_object_unref(agent);
    g_object_set(ice.get(), "ice-tcp", FALSE, nullptr);
  }

  gst::PipelineOwner pipeline_;
  gst::ElementPtr webrtc_;
};

}  // namespace sl::testing
