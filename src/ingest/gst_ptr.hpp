// RAII owners for the GStreamer and GLib objects the WebRTC source holds: each is a
// std::unique_ptr with the matching unref/free, so every early return releases what it took.
// Element/pad/bus references are GstObject references (gst_object_unref); a pipeline is owned
// by GstPipelineOwner, which also brings it to NULL (stopping its streaming threads) before
// dropping the last reference. Internal to ingest; include only from .cpp files and private
// headers of the WebRTC source.
#pragma once

#include <memory>
#include <string>

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

namespace sl::gst {

struct ObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
struct CapsUnref {
  void operator()(GstCaps* p) const {
    if (p) gst_caps_unref(p);
  }
};
struct SampleUnref {
  void operator()(GstSample* p) const {
    if (p) gst_sample_unref(p);
  }
};
struct MessageUnref {
  void operator()(GstMessage* p) const {
    if (p) gst_message_unref(p);
  }
};
struct PromiseUnref {
  void operator()(GstPromise* p) const {
    if (p) gst_promise_unref(p);
  }
};
struct SdpMessageFree {
  void operator()(GstSDPMessage* p) const {
    if (p) gst_sdp_message_free(p);
  }
};
struct SessionDescriptionFree {
  void operator()(GstWebRTCSessionDescription* p) const {
    if (p) gst_webrtc_session_description_free(p);
  }
};
struct ErrorFree {
  void operator()(GError* p) const {
    if (p) g_error_free(p);
  }
};
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};

using ElementPtr = std::unique_ptr<GstElement, ObjectUnref>;
using PadPtr = std::unique_ptr<GstPad, ObjectUnref>;
using BusPtr = std::unique_ptr<GstBus, ObjectUnref>;
using ObjectPtr = std::unique_ptr<GObject, ObjectUnref>;
using CapsPtr = std::unique_ptr<GstCaps, CapsUnref>;
using SamplePtr = std::unique_ptr<GstSample, SampleUnref>;
using MessagePtr = std::unique_ptr<GstMessage, MessageUnref>;
using PromisePtr = std::unique_ptr<GstPromise, PromiseUnref>;
using SdpMessagePtr = std::unique_ptr<GstSDPMessage, SdpMessageFree>;
using SessionDescriptionPtr = std::unique_ptr<GstWebRTCSessionDescription, SessionDescriptionFree>;
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
using CharPtr = std::unique_ptr<gchar, GFree>;

inline std::string take_string(gchar* s) {
  CharPtr owned(s);
  return owned ? std::string(owned.get()) : std::string();
}

// Owns a top-level pipeline: NULL state first (joins its streaming threads), then the unref.
class PipelineOwner {
 public:
  PipelineOwner() = default;
  explicit PipelineOwner(GstElement* pipeline) : pipeline_(pipeline) {}
  ~PipelineOwner() { reset(); }
  PipelineOwner(const PipelineOwner&) = delete;
  PipelineOwner& operator=(const PipelineOwner&) = delete;

  GstElement* get() const { return pipeline_.get(); }
  GstBin* bin() const { return GST_BIN(pipeline_.get()); }
  void reset(GstElement* pipeline = nullptr) {
    if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    pipeline_.reset(pipeline);
  }

 private:
  ElementPtr pipeline_;
};

}  // namespace sl::gst
