#include "ingest/webrtc_session.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include <gst/app/gstappsink.h>
#include <gst/video/video-event.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#include "core/log.hpp"
#include "ingest/gst_ptr.hpp"

namespace sl {

namespace {

// appsink holds at most this many access units for the source thread (~4 s at 30 fps); when
// the source thread falls that far behind, the oldest are dropped and decode errors lead to a
// keyframe request.
constexpr guint kAppsinkMaxBuffers = 120;

const char* const kRequiredElements[] = {
    "webrtcbin",   "nicesrc",      "nicesink",     "dtlssrtpdec", "srtpdec", "rtpbin",
    "rtpvp8depay", "rtpvp9depay",  "rtph264depay", "h264parse",   "appsink", "fakesink"};

Status init_gstreamer() {
  GError* raw = nullptr;
  if (!gst_init_check(nullptr, nullptr, &raw)) {
    gst::ErrorPtr err(raw);
    return make_error(ErrorCode::unsupported,
                      std::string("GStreamer does not start: ") + (err ? err->message : "unknown"));
  }
  std::string missing;
  for (const char* name : kRequiredElements) {
    gst::ObjectPtr factory(G_OBJECT(gst_element_factory_find(name)));
    if (!factory) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (!missing.empty())
    return make_error(ErrorCode::unsupported,
                      "WebRTC ingest needs GStreamer elements that are not installed: " + missing +
                          " (scripts/setup.sh installs them).");
  return Status();
}

void set_if_exists(GstElement* e, const char* property, gboolean value) {
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(e), property))
    g_object_set(e, property, value, nullptr);
}

std::string encoding_caps(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::vp8: return "video/x-vp8";
    case VideoCodec::vp9: return "video/x-vp9";
    case VideoCodec::h264: return "video/x-h264,stream-format=byte-stream,alignment=au";
  }
  return "video/x-vp8";
}

const char* depayloader(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::vp8: return "rtpvp8depay";
    case VideoCodec::vp9: return "rtpvp9depay";
    case VideoCodec::h264: return "rtph264depay";
  }
  return "rtpvp8depay";
}

// webrtcbin's STUN/TURN URL forms: stun://host:port, turn(s)://user:pass@host:port.
std::string escape_userinfo(const std::string& s) {
  gst::CharPtr e(g_uri_escape_string(s.c_str(), nullptr, FALSE));
  return e ? std::string(e.get()) : std::string();
}

std::string gst_ice_url(const std::string& url, const IceServer& server) {
  const size_t colon = url.find(':');
  if (colon == std::string::npos) return {};
  const std::string scheme = url.substr(0, colon);
  std::string rest = url.substr(colon + 1);
  while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  if (scheme == "stun") return "stun://" + rest;
  if (scheme == "turn" || scheme == "turns") {
    std::string userinfo;
    if (!server.username.empty())
      userinfo = escape_userinfo(server.username) + ":" + escape_userinfo(server.credential) + "@";
    return scheme + "://" + userinfo + rest;
  }
  return {};
}

std::string describe_message_error(GstMessage* msg) {
  GError* raw = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(msg, &raw, &debug);
  gst::ErrorPtr err(raw);
  gst::CharPtr dbg(debug);
  std::string text = err ? err->message : "pipeline error";
  if (GST_MESSAGE_SRC(msg)) text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) + ": " + text;
  return text;
}

// The promise's reply carries an "error" field when webrtcbin refused the operation.
std::string promise_error(GstPromise* promise) {
  const GstStructure* reply = gst_promise_get_reply(promise);
  if (!reply || !gst_structure_has_field(reply, "error")) return {};
  GError* raw = nullptr;
  gst_structure_get(reply, "error", G_TYPE_ERROR, &raw, nullptr);
  gst::ErrorPtr err(raw);
  return err ? err->message : "refused";
}

}  // namespace

Status ensure_gstreamer() {
  static std::once_flag once;
  static Status status;  // written once under call_once, read-only afterwards
  std::call_once(once, [] { status = init_gstreamer(); });
  return status;
}

// What GStreamer's threads report; read by the session's owner. Outlives the pipeline.
struct WebRtcSession::Shared {
  std::mutex mu;
  std::condition_variable cv;
  bool gathering_done = false;
  std::string lost;          // why the publisher is gone ("" while connected)
  bool failed = false;       // `lost` is a local pipeline error, not the publisher leaving
  bool video_linked = false;
  guint video_ssrc = 0;
  bool have_video_ssrc = false;

  // Set before the pipeline starts.
  GstElement* pipeline = nullptr;
  GstElement* depay = nullptr;
  std::string encoding;      // "VP8", "VP9", "H264"

  void mark_lost(const std::string& why, bool local_error = false) {
    std::lock_guard lk(mu);
    if (!lost.empty()) return;
    lost = why;
    failed = local_error;
  }
};

struct WebRtcSession::Pipeline {
  gst::PipelineOwner pipeline;
  GstElement* webrtc = nullptr;   // owned by the pipeline
  GstElement* appsink = nullptr;  // owned by the pipeline
  gst::ElementPtr rtpbin;         // a reference, for the BYE handler
  gst::BusPtr bus;
  gst::PadPtr depay_sink;
};

namespace {

using Shared = WebRtcSession::Shared;

void on_pad_added(GstElement* /*webrtc*/, GstPad* pad, gpointer data) {
  auto* shared = static_cast<Shared*>(data);
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  gst::CapsPtr caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  std::string media;
  std::string encoding;
  guint ssrc = 0;
  bool has_ssrc = false;
  if (caps && gst_caps_get_size(caps.get()) > 0) {
    const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
    if (const gchar* m = gst_structure_get_string(s, "media")) media = m;
    if (const gchar* e = gst_structure_get_string(s, "encoding-name")) encoding = e;
    has_ssrc = gst_structure_get_uint(s, "ssrc", &ssrc);
  }
  GstElement* pipeline = nullptr;
  {
    // Every field of Shared is read under its mutex: GStreamer's threads synchronise through
    // GLib primitives that ThreadSanitizer does not see.
    std::lock_guard lk(shared->mu);
    pipeline = shared->pipeline;
    const bool video = media == "video" &&
                       g_ascii_strcasecmp(encoding.c_str(), shared->encoding.c_str()) == 0;
    if (video && !shared->video_linked) {
      gst::PadPtr sink(gst_element_get_static_pad(shared->depay, "sink"));
      if (gst_pad_link(pad, sink.get()) == GST_PAD_LINK_OK) {
        shared->video_linked = true;
        shared->video_ssrc = ssrc;
        shared->have_video_ssrc = has_ssrc;
        return;
      }
    }
  }
  // Audio, a second video track, anything else: received and dropped.
  GstElement* drop = gst_element_factory_make("fakesink", nullptr);
  if (!drop) return;
  g_object_set(drop, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(pipeline), drop);
  gst_element_sync_state_with_parent(drop);
  gst::PadPtr sink(gst_element_get_static_pad(drop, "sink"));
  gst_pad_link(pad, sink.get());
}

void on_gathering_state(GObject* webrtc, GParamSpec*, gpointer data) {
  auto* shared = static_cast<Shared*>(data);
  GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
  {
    std::lock_guard lk(shared->mu);
    shared->gathering_done = true;
  }
  shared->cv.notify_all();
}

void on_ice_state(GObject* webrtc, GParamSpec*, gpointer data) {
  GstWebRTCICEConnectionState state = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
  g_object_get(webrtc, "ice-connection-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    static_cast<Shared*>(data)->mark_lost("ICE connection failed");
  else if (state == GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED)
    static_cast<Shared*>(data)->mark_lost("ICE connection closed");
}

void on_connection_state(GObject* webrtc, GParamSpec*, gpointer data) {
  GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
  g_object_get(webrtc, "connection-state", &state, nullptr);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    static_cast<Shared*>(data)->mark_lost("peer connection failed");
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
    static_cast<Shared*>(data)->mark_lost("peer connection closed");
}

void on_bye_ssrc(GstElement*, guint /*session*/, guint ssrc, gpointer data) {
  auto* shared = static_cast<Shared*>(data);
  bool video = false;
  {
    std::lock_guard lk(shared->mu);
    video = !shared->have_video_ssrc || shared->video_ssrc == ssrc;
  }
  if (video) shared->mark_lost("the publisher said goodbye (RTCP BYE)");
}

// The libnice agent under webrtcbin's ICE object.
// - UPnP off: with it on (Debian builds libnice with gupnp-igd), gathering waits up to
//   upnp-timeout (200 ms) for a router that a server never has; that was a fixed 200 ms in
//   every answer.
// - Addresses: libnice leaves loopback out of gathering; with bind addresses or loopback
//   allowed the agent gets an explicit address list instead of enumerating interfaces itself.
void configure_agent(GstElement* webrtc, const WebRtcOptions& o) {
  gst::ObjectPtr ice;
  {
    GObject* raw = nullptr;
    g_object_get(webrtc, "ice-agent", &raw, nullptr);
    ice.reset(raw);
  }
  if (!ice || !g_object_class_find_property(G_OBJECT_GET_CLASS(ice.get()), "agent")) return;
  NiceAgent* agent_raw = nullptr;
  g_object_get(ice.get(), "agent", &agent_raw, nullptr);
  std::unique_ptr<NiceAgent, void (*)(gpointer)> agent(agent_raw, g_object_unref);
  if (!agent) return;
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(agent.get()), "upnp"))
    g_object_set(agent.get(), "upnp", FALSE, nullptr);
  if (o.bind_addresses.empty() && !o.allow_loopback) return;
  std::vector<std::string> ips = o.bind_addresses;
  if (ips.empty()) {
    GList* list = nice_interfaces_get_local_ips(TRUE);
    for (GList* l = list; l; l = l->next) ips.emplace_back(static_cast<const char*>(l->data));
    g_list_free_full(list, g_free);
  }
  for (const std::string& ip : ips) {
    if (g_ascii_strncasecmp(ip.c_str(), "fe80:", 5) == 0) continue;  // link-local: unroutable
    NiceAddress addr;
    nice_address_init(&addr);
    if (!nice_address_set_from_string(&addr, ip.c_str())) continue;
    nice_agent_add_local_address(agent.get(), &addr);
  }
}

// Only the chosen video m-line receives: every other audio or video m-line of the answer
// (a microphone, a second camera) says a=inactive, so the publisher does not send packets the
// server would only drop. Each of those costs what a video packet costs before the
// depayloader (a receive, a decryption, RTP session and jitter buffer work, thread
// hand-overs); a browser camera with its microphone on sends ~50 audio packets a second.
// webrtcbin 1.22 makes its transceivers while answering, so the answer is edited before it
// is set as the local description (JSEP allows an answerer to narrow directions).
void answer_only_video(GstSDPMessage* answer, int video_mline) {
  const guint n = gst_sdp_message_medias_len(answer);
  for (guint i = 0; i < n; ++i) {
    if (i == static_cast<guint>(video_mline)) continue;
    // The message owns its media; GstSDP has no mutable accessor (webrtcbin does the same).
    auto* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(answer, i));
    const gchar* kind = gst_sdp_media_get_media(media);
    if (!kind || (g_strcmp0(kind, "audio") != 0 && g_strcmp0(kind, "video") != 0)) continue;
    if (gst_sdp_media_get_port(media) == 0) continue;  // rejected already
    for (guint j = gst_sdp_media_attributes_len(media); j-- > 0;) {
      const GstSDPAttribute* attr = gst_sdp_media_get_attribute(media, j);
      const gchar* key = attr ? attr->key : nullptr;
      if (g_strcmp0(key, "sendrecv") == 0 || g_strcmp0(key, "sendonly") == 0 ||
          g_strcmp0(key, "recvonly") == 0 || g_strcmp0(key, "inactive") == 0)
        gst_sdp_media_remove_attribute(media, j);
    }
    // "" and not NULL: gst_sdp_media_attributes_to_caps() reads every value as a string.
    gst_sdp_media_add_attribute(media, "inactive", "");
  }
}

void configure_ice(GstElement* webrtc, const WebRtcOptions& o) {
  g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
               static_cast<guint>(o.jitter_buffer_ms), nullptr);
  bool stun_set = false;
  for (const IceServer& server : o.ice_servers) {
    for (const std::string& url : server.urls) {
      const std::string gst_url = gst_ice_url(url, server);
      if (gst_url.rfind("stun://", 0) == 0) {
        if (!stun_set) g_object_set(webrtc, "stun-server", gst_url.c_str(), nullptr);
        stun_set = true;
      } else if (!gst_url.empty()) {
        gboolean added = FALSE;
        g_signal_emit_by_name(webrtc, "add-turn-server", gst_url.c_str(), &added);
        if (!added) log::warn("webrtc", "TURN server not accepted by webrtcbin: " + url);
      }
    }
  }
  GObject* ice_raw = nullptr;
  g_object_get(webrtc, "ice-agent", &ice_raw, nullptr);
  gst::ObjectPtr ice(ice_raw);
  if (ice) {
    GObjectClass* klass = G_OBJECT_GET_CLASS(ice.get());
    if (o.udp_port_min > 0 && o.udp_port_max >= o.udp_port_min &&
        g_object_class_find_property(klass, "min-rtp-port")) {
      // max first: each setter checks min <= max against the other's current value.
      g_object_set(ice.get(), "max-rtp-port", static_cast<guint>(o.udp_port_max), nullptr);
      g_object_set(ice.get(), "min-rtp-port", static_cast<guint>(o.udp_port_min), nullptr);
    }
    if (g_object_class_find_property(klass, "ice-tcp"))
      g_object_set(ice.get(), "ice-tcp", o.ice_tcp ? TRUE : FALSE, nullptr);
  }
  configure_agent(webrtc, o);
}

}  // namespace

WebRtcSession::WebRtcSession(Key)
    : shared_(std::make_unique<Shared>()), pipeline_(std::make_unique<Pipeline>()) {}

WebRtcSession::~WebRtcSession() {
  // No new callbacks from here on; one already running still finds `shared_` alive, because
  // the pipeline (and its threads) goes before it.
  if (pipeline_->webrtc) g_signal_handlers_disconnect_by_data(pipeline_->webrtc, shared_.get());
  if (pipeline_->rtpbin) g_signal_handlers_disconnect_by_data(pipeline_->rtpbin.get(), shared_.get());
  pipeline_->depay_sink.reset();
  pipeline_->bus.reset();
  pipeline_->rtpbin.reset();
  pipeline_->pipeline.reset();
}

Result<WebRtcSession::Negotiated> WebRtcSession::negotiate(const CheckedOffer& offer,
                                                           const WebRtcOptions& options) {
  if (Status s = ensure_gstreamer(); !s.ok()) return s.error();
  auto internal = [](const std::string& what) {
    return make_error(ErrorCode::internal, "WebRTC negotiation failed: " + what + ".");
  };

  // The SDP first: nothing is built for an offer GStreamer cannot read.
  GstSDPMessage* sdp_raw = nullptr;
  gst_sdp_message_new_from_text(offer.sdp.c_str(), &sdp_raw);
  gst::SdpMessagePtr sdp(sdp_raw);
  if (!sdp || gst_sdp_message_medias_len(sdp.get()) == 0)
    return make_error(ErrorCode::invalid_request, "The SDP offer could not be parsed.");

  auto session = std::make_unique<WebRtcSession>(Key{});
  session->codec_ = offer.codec;
  Shared& shared = *session->shared_;
  Pipeline& p = *session->pipeline_;

  p.pipeline.reset(gst_pipeline_new(nullptr));
  GstElement* webrtc = gst_element_factory_make("webrtcbin", nullptr);
  GstElement* depay = gst_element_factory_make(depayloader(offer.codec), nullptr);
  GstElement* parse =
      offer.codec == VideoCodec::h264 ? gst_element_factory_make("h264parse", nullptr) : nullptr;
  GstElement* appsink = gst_element_factory_make("appsink", nullptr);
  if (!p.pipeline.get() || !webrtc || !depay || !appsink ||
      (offer.codec == VideoCodec::h264 && !parse)) {
    for (GstElement* e : {webrtc, depay, parse, appsink})
      if (e) gst_object_unref(gst_object_ref_sink(e));
    return internal("GStreamer elements missing");
  }
  gst_bin_add_many(p.pipeline.bin(), webrtc, depay, appsink, nullptr);
  if (parse) gst_bin_add(p.pipeline.bin(), parse);
  p.webrtc = webrtc;
  p.appsink = appsink;
  {
    std::lock_guard lk(shared.mu);
    shared.pipeline = p.pipeline.get();
    shared.depay = depay;
    shared.encoding = std::string(encoding_name(offer.codec));
  }

  set_if_exists(depay, "request-keyframe", TRUE);
  set_if_exists(depay, "wait-for-keyframe", TRUE);
  if (parse) g_object_set(parse, "config-interval", -1, nullptr);  // SPS/PPS before each IDR
  gst::CapsPtr caps(gst_caps_from_string(encoding_caps(offer.codec).c_str()));
  g_object_set(appsink, "caps", caps.get(), "sync", FALSE, "async", FALSE, "emit-signals", FALSE,
               "max-buffers", kAppsinkMaxBuffers, "drop", TRUE, nullptr);
  const bool linked = parse ? gst_element_link_many(depay, parse, appsink, nullptr)
                            : gst_element_link(depay, appsink);
  if (!linked) return internal("cannot link the depayloader");
  p.depay_sink.reset(gst_element_get_static_pad(depay, "sink"));

  configure_ice(webrtc, options);
  g_signal_connect(webrtc, "pad-added", G_CALLBACK(on_pad_added), &shared);
  g_signal_connect(webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering_state), &shared);
  g_signal_connect(webrtc, "notify::ice-connection-state", G_CALLBACK(on_ice_state), &shared);
  g_signal_connect(webrtc, "notify::connection-state", G_CALLBACK(on_connection_state), &shared);
  p.rtpbin.reset(gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin"));
  if (p.rtpbin) g_signal_connect(p.rtpbin.get(), "on-bye-ssrc", G_CALLBACK(on_bye_ssrc), &shared);
  p.bus.reset(gst_pipeline_get_bus(GST_PIPELINE(p.pipeline.get())));

  if (gst_element_set_state(p.pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    return internal("the pipeline does not start");

  // Remote offer (the description takes the SDP message).
  gst::SessionDescriptionPtr remote(
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp.release()));
  {
    gst::PromisePtr promise(gst_promise_new());
    g_signal_emit_by_name(webrtc, "set-remote-description", remote.get(), promise.get());
    gst_promise_wait(promise.get());
    if (std::string e = promise_error(promise.get()); !e.empty())
      return make_error(ErrorCode::invalid_request, "The SDP offer was refused: " + e + ".");
  }
  gst::SessionDescriptionPtr answer;
  {
    gst::PromisePtr promise(gst_promise_new());
    g_signal_emit_by_name(webrtc, "create-answer", nullptr, promise.get());
    if (gst_promise_wait(promise.get()) != GST_PROMISE_RESULT_REPLIED)
      return internal("no answer was created");
    if (std::string e = promise_error(promise.get()); !e.empty())
      return make_error(ErrorCode::invalid_request, "The SDP offer cannot be answered: " + e + ".");
    const GstStructure* reply = gst_promise_get_reply(promise.get());
    GstWebRTCSessionDescription* raw = nullptr;
    if (reply) gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &raw, nullptr);
    answer.reset(raw);
    if (!answer || !answer->sdp) return internal("no answer was created");
    answer_only_video(answer->sdp, offer.video_mline);
  }
  {
    gst::PromisePtr promise(gst_promise_new());
    g_signal_emit_by_name(webrtc, "set-local-description", answer.get(), promise.get());
    gst_promise_wait(promise.get());
    if (std::string e = promise_error(promise.get()); !e.empty())
      return internal("the answer was refused: " + e);
  }
  // Non-trickle: the answer goes out with every candidate, so wait for gathering to finish.
  {
    std::unique_lock lk(shared.mu);
    if (!shared.cv.wait_for(lk, std::chrono::milliseconds(options.ice_gathering_timeout_ms),
                            [&] { return shared.gathering_done; }))
      log::warn("webrtc", "ICE gathering did not complete within " +
                              std::to_string(options.ice_gathering_timeout_ms) +
                              " ms; answering with the candidates gathered so far");
  }
  GstWebRTCSessionDescription* local_raw = nullptr;
  g_object_get(webrtc, "local-description", &local_raw, nullptr);
  gst::SessionDescriptionPtr local(local_raw);
  if (!local || !local->sdp) return internal("no local description");
  std::string text = gst::take_string(gst_sdp_message_as_text(local->sdp));
  if (text.find("a=candidate:") == std::string::npos)
    return internal("no ICE candidate was gathered (check webrtc.bind_addresses)");

  Negotiated out;
  out.answer_sdp = advertise_public_ip(text, options.public_ip);
  out.session = std::move(session);
  return out;
}

std::optional<AccessUnit> WebRtcSession::pull(int64_t timeout_ms) {
  gst::SamplePtr sample(gst_app_sink_try_pull_sample(
      GST_APP_SINK(pipeline_->appsink), static_cast<GstClockTime>(timeout_ms) * GST_MSECOND));
  if (!sample) return std::nullopt;
  GstBuffer* buffer = gst_sample_get_buffer(sample.get());
  if (!buffer) return std::nullopt;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return std::nullopt;
  AccessUnit au;
  au.data = std::make_shared<const Bytes>(map.data, map.data + map.size);
  gst_buffer_unmap(buffer, &map);
  au.keyframe = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  if (GST_BUFFER_PTS_IS_VALID(buffer)) au.pts_ns = static_cast<int64_t>(GST_BUFFER_PTS(buffer));
  return au;
}

std::string WebRtcSession::ended(bool& failed) {
  failed = false;
  // Drain the bus: nothing else reads it, and unread messages would pile up.
  while (gst::MessagePtr msg{gst_bus_pop(pipeline_->bus.get())}) {
    if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
      const std::string error = describe_message_error(msg.get());
      log::warn("webrtc", "pipeline error: " + error);
      shared_->mark_lost("pipeline error: " + error, true);
    }
  }
  std::lock_guard lk(shared_->mu);
  failed = shared_->failed;
  return shared_->lost;
}

void WebRtcSession::request_keyframe() {
  if (!pipeline_->depay_sink) return;
  gst_pad_push_event(pipeline_->depay_sink.get(),
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
}

}  // namespace sl
