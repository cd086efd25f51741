#include "app/webrtc_config.hpp"

#include <limits>

#include <boost/asio/ip/address.hpp>

#include "app/config_table.hpp"

namespace sl::app {
namespace json = boost::json;
namespace {

Error bad(const std::string& key, const std::string& message) {
  return make_error(ErrorCode::invalid_request, message, key);
}

std::string key_of(std::string_view k) { return "webrtc." + std::string(k); }

Status integer(const json::object& o, std::string_view k, int64_t min, int64_t max, int64_t& out) {
  auto it = o.find(k);
  if (it == o.end()) return {};
  auto n = config_integer(it->value(), key_of(k), min, max);
  if (!n.ok()) return n.error();
  out = *n;
  return {};
}

template <class Int>
Status integer_as(const json::object& o, std::string_view k, int64_t min, int64_t max, Int& out) {
  int64_t v = static_cast<int64_t>(out);
  if (Status s = integer(o, k, min, max, v); !s.ok()) return s;
  out = static_cast<Int>(v);
  return {};
}

Status boolean(const json::object& o, std::string_view k, bool& out) {
  auto it = o.find(k);
  if (it == o.end()) return {};
  auto b = config_boolean(it->value(), key_of(k));
  if (!b.ok()) return b.error();
  out = *b;
  return {};
}

Status string(const json::object& o, std::string_view k, std::string& out) {
  auto it = o.find(k);
  if (it == o.end()) return {};
  auto v = config_string(it->value(), key_of(k));
  if (!v.ok()) return v.error();
  out = std::move(*v);
  return {};
}

Status strings(const json::value& v, const std::string& name, std::vector<std::string>& out) {
  out.clear();
  if (v.is_string()) {
    out.emplace_back(v.as_string());
    return {};
  }
  if (!v.is_array()) return bad(name, "'" + name + "' must be a string or an array of strings");
  for (const auto& e : v.as_array()) {
    if (!e.is_string()) return bad(name, "'" + name + "' must be an array of strings");
    out.emplace_back(e.as_string());
  }
  return {};
}

bool is_ip(const std::string& s, bool& loopback) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(s, ec);
  if (ec) return false;
  loopback = addr.is_loopback();
  return true;
}

Status read_ice_servers(const json::value& v, std::vector<IceServer>& out) {
  const std::string name = "webrtc.ice_servers";
  if (!v.is_array()) return bad(name, "'" + name + "' must be an array of {urls, username, credential}");
  out.clear();
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    const std::string item = name + "[" + std::to_string(i) + "]";
    const json::value& e = v.as_array()[i];
    if (!e.is_object()) return bad(item, "'" + item + "' must be an object");
    IceServer server;
    for (const auto& kv : e.as_object()) {
      const std::string field = item + "." + std::string(kv.key());
      if (kv.key() == "urls") {
        if (Status s = strings(kv.value(), field, server.urls); !s.ok()) return s;
      } else if (kv.key() == "username" || kv.key() == "credential") {
        if (!kv.value().is_string()) return bad(field, "'" + field + "' must be a string");
        (kv.key() == "username" ? server.username : server.credential) = kv.value().as_string();
      } else {
        return bad(field, "unknown config key '" + field + "'");
      }
    }
    if (server.urls.empty()) return bad(item + ".urls", "'" + item + ".urls' is required");
    for (const std::string& url : server.urls) {
      const bool stun = url.rfind("stun:", 0) == 0;
      const bool turn = url.rfind("turn:", 0) == 0 || url.rfind("turns:", 0) == 0;
      if (!stun && !turn)
        return bad(item + ".urls", item + ".urls: ICE server URLs start with stun:, turn: or turns: ('" +
                                       url + "')");
      if (turn && server.username.empty())
        return bad(item + ".username", item + ": TURN servers need a username and credential");
    }
    out.push_back(std::move(server));
  }
  return {};
}

}  // namespace

std::span<const std::string_view> webrtc_config_keys() {
  static constexpr std::string_view kKeys[] = {
      "max_offer_bytes",     "ice_gathering_timeout_ms", "connect_timeout_ms",
      "no_media_timeout_ms", "keyframe_interval_ms",     "keyframe_retry_ms",
      "jitter_buffer_ms",    "whip_wait_for_publisher",  "bind_addresses",
      "udp_port_min",        "udp_port_max",             "public_ip",
      "ice_servers",         "ice_tcp",                  "allow_loopback",
      "whip_base_url"};
  return kKeys;
}

Status read_webrtc_config(const json::object& o, WebRtcSettings& out) {
  for (const auto& kv : o) {
    bool ok = false;
    for (std::string_view k : webrtc_config_keys()) ok = ok || kv.key() == k;
    if (!ok) return bad(key_of(kv.key()), "unknown config key '" + key_of(kv.key()) + "'");
  }
  WebRtcOptions& w = out.options;
  constexpr int64_t kDay = 86'400'000;
  if (Status s = integer_as(o, "max_offer_bytes", 1024, 1 << 24, w.max_offer_bytes); !s.ok()) return s;
  if (Status s = integer(o, "ice_gathering_timeout_ms", 1, 60'000, w.ice_gathering_timeout_ms); !s.ok()) return s;
  if (Status s = integer(o, "connect_timeout_ms", 100, kDay, w.connect_timeout_ms); !s.ok()) return s;
  if (Status s = integer(o, "no_media_timeout_ms", 100, kDay, w.no_media_timeout_ms); !s.ok()) return s;
  if (Status s = integer(o, "keyframe_interval_ms", 0, kDay, w.keyframe_interval_ms); !s.ok()) return s;
  if (Status s = integer(o, "keyframe_retry_ms", 50, kDay, w.keyframe_retry_ms); !s.ok()) return s;
  if (Status s = integer_as(o, "jitter_buffer_ms", 0, 10'000, w.jitter_buffer_ms); !s.ok()) return s;
  if (Status s = boolean(o, "whip_wait_for_publisher", w.whip_wait_for_publisher); !s.ok()) return s;
  if (auto it = o.find("bind_addresses"); it != o.end())
    if (Status s = strings(it->value(), "webrtc.bind_addresses", w.bind_addresses); !s.ok()) return s;
  if (Status s = integer_as(o, "udp_port_min", 0, 65535, w.udp_port_min); !s.ok()) return s;
  if (Status s = integer_as(o, "udp_port_max", 0, 65535, w.udp_port_max); !s.ok()) return s;
  if (Status s = string(o, "public_ip", w.public_ip); !s.ok()) return s;
  if (auto it = o.find("ice_servers"); it != o.end())
    if (Status s = read_ice_servers(it->value(), w.ice_servers); !s.ok()) return s;
  if (Status s = boolean(o, "ice_tcp", w.ice_tcp); !s.ok()) return s;
  if (Status s = boolean(o, "allow_loopback", w.allow_loopback); !s.ok()) return s;
  if (Status s = string(o, "whip_base_url", out.whip_base_url); !s.ok()) return s;
  return validate_webrtc(out);
}

Status validate_webrtc(const WebRtcSettings& settings) {
  const WebRtcOptions& w = settings.options;
  for (const std::string& ip : w.bind_addresses) {
    bool loopback = false;
    if (!is_ip(ip, loopback))
      return bad("webrtc.bind_addresses", "webrtc.bind_addresses: '" + ip + "' is not an IP address");
    if (loopback && !w.allow_loopback)
      return bad("webrtc.bind_addresses",
                 "webrtc.bind_addresses: '" + ip +
                     "' is a loopback address; set webrtc.allow_loopback to use it");
  }
  if ((w.udp_port_min == 0) != (w.udp_port_max == 0) || w.udp_port_min > w.udp_port_max)
    return bad("webrtc.udp_port_min",
               "webrtc.udp_port_min and udp_port_max are both 0 (any port) or a range min <= max");
  bool loopback = false;
  if (!w.public_ip.empty() && !is_ip(w.public_ip, loopback))
    return bad("webrtc.public_ip", "webrtc.public_ip: '" + w.public_ip + "' is not an IP address");
  const std::string& base = settings.whip_base_url;
  if (!base.empty() && base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0)
    return bad("webrtc.whip_base_url", "webrtc.whip_base_url must start with http:// or https://");
  return {};
}

}  // namespace sl::app
