#include "ingest/source.hpp"
#include "ingest/test_pattern_source.hpp"
#include "ingest/url_source.hpp"
#include "ingest/webrtc_session.hpp"
#include "ingest/webrtc_source.hpp"

namespace sl {

std::string_view source_type(const SourceSpec& spec) {
  struct Name {
    std::string_view operator()(const UrlSourceSpec&) const { return "url"; }
    std::string_view operator()(const TestPatternSpec&) const { return "test_pattern"; }
    std::string_view operator()(const WebRtcSourceSpec&) const { return "webrtc"; }
    std::string_view operator()(const WhipSourceSpec&) const { return "whip"; }
  };
  return std::visit(Name{}, spec);
}

Status warm_up_webrtc() { return ensure_gstreamer(); }

SourceFactory default_source_factory(IngestOptions options) {
  return [options = std::move(options)](const SourceSpec& spec, MediaSink& sink,
                                        const Clock& clock) -> Result<std::unique_ptr<Source>> {
    if (const auto* url = std::get_if<UrlSourceSpec>(&spec))
      return std::unique_ptr<Source>(std::make_unique<UrlSource>(*url, options, sink, clock));
    if (const auto* tp = std::get_if<TestPatternSpec>(&spec))
      return std::unique_ptr<Source>(std::make_unique<TestPatternSource>(*tp, sink, clock));
    if (negotiates(spec)) {
      // GStreamer starts at the first WebRTC stream (or at warm_up_webrtc()), never for
      // processes that only pull URLs.
      if (Status gstreamer = ensure_gstreamer(); !gstreamer.ok())
        return make_error(ErrorCode::unsupported, gstreamer.error().message, "source.type");
      const auto kind = std::holds_alternative<WhipSourceSpec>(spec) ? WebRtcSource::Kind::whip
                                                                     : WebRtcSource::Kind::webrtc;
      return std::unique_ptr<Source>(std::make_unique<WebRtcSource>(kind, options, sink, clock));
    }
    return make_error(ErrorCode::unsupported, "Source type '" + std::string(source_type(spec)) +
                                                  "' is not supported by this server yet.",
                      "source.type");
  };
}

}  // namespace sl
