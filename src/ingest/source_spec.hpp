// What a stream's source is, as the API parsed it: one alternative per source kind, each with
// only the fields that kind has (SPEC section 4). "rtsp" and "hls" are anchor names for a url
// source and are normalised to UrlSourceSpec by the parser. Plain values; no validation here
// (validate_source in source.hpp checks them against the ingest options).
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace sl {

// A pull source FFmpeg opens: rtsp(s), rtmp(s), srt, http(s) (HLS, MPEG-TS, MJPEG), file.
struct UrlSourceSpec {
  std::string url;
};

// The synthetic barcode source of SPEC section 7.
struct TestPatternSpec {
  int width = 640;
  int height = 360;
  double fps = 30.0;
};

// A browser or app that POSTs its SDP offer with the create request and gets the answer back in
// the response (non-trickle).
struct WebRtcSourceSpec {
  std::string offer_sdp;
};

// A WHIP publisher (RFC 9725) that comes later to the stream's publish URL with its offer.
struct WhipSourceSpec {};

using SourceSpec = std::variant<UrlSourceSpec, TestPatternSpec, WebRtcSourceSpec, WhipSourceSpec>;

// The wire name of the kind: "url", "test_pattern", "webrtc", "whip".
std::string_view source_type(const SourceSpec& spec);

// True for kinds whose media arrives only after an SDP offer/answer (webrtc, whip).
inline bool negotiates(const SourceSpec& spec) {
  return std::holds_alternative<WebRtcSourceSpec>(spec) ||
         std::holds_alternative<WhipSourceSpec>(spec);
}

}  // namespace sl
