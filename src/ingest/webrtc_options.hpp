// Settings of the WebRTC/WHIP sources (docs/configuration.md, section `webrtc`): offer limits,
// the timeouts of a publisher session, keyframe requests, and the ICE knobs that decide which
// addresses and ports the server offers to publishers. Plain values; app/ fills them in and
// checks ranges, the sources only read them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sl {

// One STUN or TURN server, as an RTCIceServer: also handed to clients in the create response.
struct IceServer {
  std::vector<std::string> urls;   // "stun:host:port", "turn:host:port?transport=udp", "turns:..."
  std::string username;
  std::string credential;
};

struct WebRtcOptions {
  size_t max_offer_bytes = 64 * 1024;      // larger offers: 413
  int64_t ice_gathering_timeout_ms = 2000; // answer with what was gathered by then
  int64_t connect_timeout_ms = 10'000;     // answer -> first video packet
  int64_t no_media_timeout_ms = 5000;      // no video packet for this long: publisher lost
  int64_t keyframe_interval_ms = 2000;     // periodic keyframe request (bounds GOPs); 0 = off
  int64_t keyframe_retry_ms = 500;         // until the first keyframe / after decode errors
  int jitter_buffer_ms = 50;               // webrtcbin's jitterbuffer latency
  // WHIP: after the publisher leaves, wait for the next one (state reconnecting) instead of
  // ending the stream with end_reason source_lost.
  bool whip_wait_for_publisher = false;
  // ICE
  std::vector<std::string> bind_addresses;  // local IPs to gather on; empty: every interface
  int udp_port_min = 0;                     // 0/0: any port
  int udp_port_max = 0;
  std::string public_ip;                    // advertised as well (1:1 NAT); empty: none
  std::vector<IceServer> ice_servers;
  bool ice_tcp = true;
  bool allow_loopback = false;              // gather on 127.0.0.1/::1 too (tests)
};

}  // namespace sl
