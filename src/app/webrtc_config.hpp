// The `webrtc` section of the config file (docs/configuration.md): the WebRTC/WHIP source
// settings (ingest's WebRtcOptions) plus the base URL that WHIP publish URLs are built on.
// Strict like the rest of the file: unknown keys, wrong types, out-of-range numbers, addresses
// that are not IP literals, ICE server URLs that are not stun:/turn:/turns:, and loopback bind
// addresses without allow_loopback are errors naming the key.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/status.hpp"
#include "ingest/webrtc_options.hpp"

namespace sl::app {

struct WebRtcSettings {
  WebRtcOptions options;
  // "https://cams.example.com": WHIP URLs handed to clients start with it. Empty: built from
  // the request's Host header (right unless a proxy rewrites it).
  std::string whip_base_url;
};

Status read_webrtc_config(const boost::json::object& obj, WebRtcSettings& out);
// The keys read_webrtc_config takes (without the "webrtc." prefix).
std::span<const std::string_view> webrtc_config_keys();

// Cross-field checks, also for defaults changed by code (port range order, loopback).
Status validate_webrtc(const WebRtcSettings& settings);

}  // namespace sl::app
