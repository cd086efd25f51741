// Checks a publisher's SDP offer before any GStreamer object exists, and narrows it to what the
// receive pipeline can take: the first video m-line that sends video keeps exactly one codec,
// the first of the offerer's list that this server depayloads (VP8, VP9, H.264), so webrtcbin
// answers that one codec and the depayloader is known before the first packet. Codecs it
// cannot depayload (AV1 and anything unknown on GStreamer 1.22) are negotiated away, never
// accepted and then broken; audio and other m-lines are left for webrtcbin to answer (inactive:
// see webrtc_session.hpp). An m-line with port 0 and a=bundle-only (RFC 8843, what webrtcbin
// offers for every m-line after the first under max-bundle) counts as live, not rejected.
// Pure text processing: no threads, no I/O.
//
// Errors: payload_too_large (the offer is over `max_bytes`), invalid_request (not an SDP offer:
// no v= line, no m= line, control characters, no ICE credentials or DTLS fingerprint),
// unsupported_media (no m=video that sends, or only codecs this server cannot depayload; the
// message lists what was offered).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace sl {

enum class VideoCodec { vp8, vp9, h264 };

// "VP8", "VP9", "H264": the RTP encoding name.
std::string_view encoding_name(VideoCodec codec);

struct CheckedOffer {
  std::string sdp;        // the offer to hand to webrtcbin (CRLF line ends)
  VideoCodec codec = VideoCodec::vp8;
  int payload_type = 0;   // the chosen codec's RTP payload type
  int video_mline = 0;    // index of the video m-line among all m-lines
};

Result<CheckedOffer> check_offer(std::string_view sdp, size_t max_bytes);

// Adds, for each host candidate of the answer, a copy that advertises `public_ip` instead of
// the local address (1:1 NAT: the ports are the same outside). The copy gets its own
// foundation and a slightly lower priority, so a peer on the local network still prefers the
// real address. Empty `public_ip`: the SDP unchanged.
std::string advertise_public_ip(std::string_view answer_sdp, const std::string& public_ip);

}  // namespace sl
