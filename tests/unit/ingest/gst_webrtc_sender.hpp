// A WebRTC publisher in the test process: videotestsrc -> encoder -> payloader -> webrtcbin,
// gathering on loopback only, making a non-trickle offer and taking the answer, as a browser
// or OBS would. For the WebRTC source's tests; not thread-safe (one test thread drives it).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
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
              "video/x-h264,profile=constrained-baseline ! rtph264pay name=pay pt=102 config-interval=-1 ! "
              "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000 ! ";
    } else {
      chain = "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay name=pay pt=96 ! "
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

  // A bad network, before encryption (so the receiver sees it as real loss and reordering):
  // of every `period` video RTP packets the first is dropped (drop) or sent after the second
  // (swap). Deterministic: the same packets every run. Call before offer().
  void impair(int period, bool drop, bool swap) {
    impairment_->period = period;
    impairment_->drop = drop;
    impairment_->swap = swap;
    gst::ElementPtr pay(gst_bin_get_by_name(pipeline_.bin(), "pay"));
    if (!pay) return;
    gst::PadPtr src(gst_element_get_static_pad(pay.get(), "src"));
    gst_pad_add_probe(src.get(),
                      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                   GST_PAD_PROBE_TYPE_BUFFER_LIST),
                      &Impairment::probe,
                      impairment_.get(), nullptr);
  }
  uint64_t dropped() const { return impairment_->dropped.load(); }
  uint64_t swapped() const { return impairment_->swapped.load(); }

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

  // Runs on the payloader's streaming thread; counters read by the test thread.
  struct Impairment {
    int period = 0;
    bool drop = false;
    bool swap = false;
    uint64_t seen = 0;
    GstBuffer* held = nullptr;     // a packet waiting to go out after the next one
    bool pushing = false;          // our own pushes pass the probe untouched
    std::atomic<uint64_t> dropped{0};
    std::atomic<uint64_t> swapped{0};
    ~Impairment() {
      if (held) gst_buffer_unref(held);
    }

    // Every packet (payloaders push single buffers or lists) goes through one(); the
    // originals are dropped and what survives is pushed again, in the impaired order.
    static GstPadProbeReturn probe(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
      auto* self = static_cast<Impairment*>(data);
      if (self->pushing || self->period <= 0) return GST_PAD_PROBE_OK;
      if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
        GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
        for (guint i = 0; i < gst_buffer_list_length(list); ++i)
          self->one(pad, gst_buffer_ref(gst_buffer_list_get(list, i)));
      } else {
        self->one(pad, gst_buffer_ref(GST_PAD_PROBE_INFO_BUFFER(info)));
      }
      return GST_PAD_PROBE_DROP;
    }

    void one(GstPad* pad, GstBuffer* buffer) {
      const uint64_t n = seen++;
      if (held) {  // the second of a swapped pair: it first, then the held one
        push(pad, buffer);
        push(pad, held);
        held = nullptr;
        swapped++;
        return;
      }
      if (n % static_cast<uint64_t>(period) == 0 && drop) {
        gst_buffer_unref(buffer);
        dropped++;
        return;
      }
      if (n % static_cast<uint64_t>(period) == 0 && swap) {
        held = buffer;
        return;
      }
      push(pad, buffer);
    }

    void push(GstPad* pad, GstBuffer* buffer) {
      pushing = true;
      gst_pad_push(pad, buffer);
      pushing = false;
    }
  };

  std::unique_ptr<Impairment> impairment_ = std::make_unique<Impairment>();  // outlives pipeline_
  gst::PipelineOwner pipeline_;
  gst::ElementPtr webrtc_;
};

}  // namespace sl::testing
