#include "net/http_url.hpp"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace sl::net {

namespace urls = boost::urls;

namespace {

Error bad(std::string why) { return make_error(ErrorCode::invalid_request, std::move(why)); }

bool valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

Result<HttpUrl> parse_http_url(std::string_view text) {
  auto parsed = urls::parse_uri(text);
  if (!parsed) return bad("not an absolute URL (" + parsed.error().message() + ")");
  HttpUrl out;
  out.has_fragment = parsed->has_fragment();
  urls::url u(*parsed);
  u.remove_fragment();
  Origin& o = out.origin;
  if (u.scheme_id() == urls::scheme::https) {
    o.tls = true;
  } else if (u.scheme_id() != urls::scheme::http) {
    return bad("only http and https URLs are supported");
  }
  if (!u.has_authority()) return bad("no host");
  out.has_userinfo = u.has_userinfo();
  switch (u.host_type()) {
    case urls::host_type::ipv4:
      o.host = u.host_ipv4_address().to_string();
      o.host_is_address = true;
      break;
    case urls::host_type::ipv6:
      o.host = u.host_ipv6_address().to_string();
      o.host_is_address = true;
      break;
    case urls::host_type::name:
      o.host = std::string(u.encoded_host_name());
      if (o.host.empty()) return bad("no host");
      if (!valid_host_name(o.host)) return bad("invalid host name");
      break;
    default:
      return bad("no usable host");
  }
  const uint16_t default_port = o.tls ? 443 : 80;
  o.port = default_port;
  o.host_header = std::string(u.encoded_host());
  if (u.has_port() && !u.port().empty()) {
    const std::string_view p = u.port();
    unsigned long value = 0;
    const bool digits = p.size() <= 5 && std::all_of(p.begin(), p.end(), [](unsigned char c) {
                          return std::isdigit(c) != 0;
                        });
    if (digits) value = std::stoul(std::string(p));
    if (!digits || value < 1 || value > 65535) return bad("port must be 1..65535");
    o.port = static_cast<uint16_t>(value);
  }
  if (o.port != default_port) o.host_header += ":" + std::to_string(o.port);
  out.path = std::string(u.encoded_path());
  if (out.path.empty() || out.path.front() != '/') out.path.insert(0, "/");
  out.has_query = u.has_query();
  out.query = std::string(u.encoded_query());
  out.without_fragment = std::string(u.buffer());
  return out;
}

}  // namespace sl::net
