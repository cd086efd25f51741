#include "api/webrtc_json.hpp"

#include <boost/json/array.hpp>

namespace sl::api {
namespace json = boost::json;
namespace {

// A quoted-string for a Link parameter: backslash and quote escaped.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

json::array ice_servers_json(const std::vector<IceServer>& servers) {
  json::array out;
  for (const IceServer& s : servers) {
    json::object o;
    json::array urls;
    for (const auto& u : s.urls) urls.emplace_back(u);
    o["urls"] = std::move(urls);
    if (!s.username.empty()) o["username"] = s.username;
    if (!s.credential.empty()) o["credential"] = s.credential;
    out.emplace_back(std::move(o));
  }
  return out;
}

}  // namespace

std::string whip_url(const WebRtcApiConfig& config, const Request& req, const std::string& id) {
  std::string base = config.whip_base_url;
  if (base.empty()) {
    // Without a Host header (HTTP/1.0) the URL stays relative to this server.
    auto host = req.message[http::field::host];
    if (!host.empty()) base = "http://" + std::string(host.data(), host.size());
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/v1/streams/" + id + "/whip";
}

void add_webrtc_fields(json::object& stream, const StreamStatus& status,
                       const WebRtcApiConfig& config, const Request& req) {
  if (!negotiates(status.source)) return;
  stream["ice_servers"] = ice_servers_json(config.ice_servers);
  if (status.publish_token.empty()) return;
  json::object publish;
  publish["type"] = "whip";
  publish["url"] = whip_url(config, req, status.id);
  publish["token"] = status.publish_token;
  stream["publish"] = std::move(publish);
}

std::vector<std::string> ice_server_links(const std::vector<IceServer>& servers) {
  std::vector<std::string> out;
  for (const IceServer& s : servers) {
    for (const std::string& url : s.urls) {
      std::string link = "<" + url + ">; rel=\"ice-server\"";
      if (!s.username.empty())
        link += "; username=" + quoted(s.username) + "; credential=" + quoted(s.credential) +
                "; credential-type=\"password\"";
      out.push_back(std::move(link));
    }
  }
  return out;
}

}  // namespace sl::api
