// The one parser of outbound http(s) URLs: scheme, host, port and request target, as the client
// needs them to connect and to write the request line and Host header. It checks structure
// only (http or https, a usable host, a port 1..65535); what a caller allows beyond that
// (credentials, a query, a fragment) is the caller's rule, so the parsed URL reports them and
// the caller words its own refusal. Host names must be plain DNS names (letters, digits, '-',
// '.', '_'): percent-escaped or non-ASCII names are refused rather than guessed at. Pure
// functions; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace sl::net {

// Where a connection goes: the pool key's host part and what the request needs of it.
struct Origin {
  bool tls = false;              // https
  std::string host;              // DNS name, or an address without brackets
  bool host_is_address = false;  // an IPv4/IPv6 literal: no lookup, no SNI
  uint16_t port = 0;             // 80 / 443 unless given
  std::string host_header;       // as written ([v6] in brackets), ":port" unless the default
};

struct HttpUrl {
  Origin origin;
  std::string path;            // encoded, "/" when empty
  std::string query;           // encoded, without '?'
  bool has_query = false;
  bool has_fragment = false;
  bool has_userinfo = false;
  std::string without_fragment;  // the URL as given, fragment removed

  // path + "?" + query: the request-target of an origin-form request.
  std::string target() const { return has_query ? path + "?" + query : path; }
};

// invalid_request with a short reason ("not an absolute URL (...)", "only http and https URLs
// can be fetched", "no host", "invalid host name", "port must be 1..65535"); callers prefix it
// with what the URL was for.
Result<HttpUrl> parse_http_url(std::string_view text);

}  // namespace sl::net
