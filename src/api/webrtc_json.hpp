// What the API adds to stream objects of WebRTC kinds (SPEC section 4): `ice_servers` (the
// operator's STUN/TURN servers, as RTCIceServer objects a browser passes to RTCPeerConnection)
// for webrtc and whip streams, and `publish: {"type":"whip","url","token"}` for whip streams.
// Also the WHIP `Link` header values (RFC 9725 section 4.6) for the same servers.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "api/http_types.hpp"
#include "ingest/webrtc_options.hpp"
#include "streams/stream_manager.hpp"

namespace sl::api {

struct WebRtcApiConfig {
  std::vector<IceServer> ice_servers;
  // Base of WHIP URLs ("https://cams.example.com"); empty: "http://" + the request's Host.
  std::string whip_base_url;
};

// "/v1/streams/{id}/whip" on the configured base (or the request's Host; relative without one).
std::string whip_url(const WebRtcApiConfig& config, const Request& req, const std::string& id);

void add_webrtc_fields(boost::json::object& stream, const StreamStatus& status,
                       const WebRtcApiConfig& config, const Request& req);

// One Link header value per ICE server URL: <stun:host>; rel="ice-server"[; username=...].
std::vector<std::string> ice_server_links(const std::vector<IceServer>& servers);

}  // namespace sl::api
