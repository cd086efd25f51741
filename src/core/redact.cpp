#include "core/redact.hpp"

#include <algorithm>
#include <cctype>

namespace sl {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Query parameters redacted in place: "a=1&token=x" -> "a=1&token=REDACTED".
std::string redact_query(std::string_view query) {
  std::string out;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_param(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1)).append("REDACTED");
    } else {
      out.append(pair);
    }
    if (amp == query.size()) break;
    out.push_back('&');
    pos = amp + 1;
  }
  return out;
}

}  // namespace

bool is_secret_param(std::string_view name) {
  static constexpr std::string_view kWords[] = {
      "token", "key", "pass", "pwd", "secret", "auth", "signature", "sig", "credential", "session"};
  const std::string n = lower(name);
  if (n == "sig" || n == "pw") return true;
  for (std::string_view w : kWords) {
    if (w == "sig") continue;  // only as the whole name: "signal" is not a secret
    if (n.find(w) != std::string::npos) return true;
  }
  return false;
}

std::string redact_url(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t host_start = scheme + 3;
  size_t auth_end = url.find_first_of("/?#", host_start);
  if (auth_end == std::string_view::npos) auth_end = url.size();
  const std::string_view authority = url.substr(host_start, auth_end - host_start);
  const size_t at = authority.rfind('@');

  std::string out(url.substr(0, host_start));
  out += at == std::string_view::npos ? authority : authority.substr(at + 1);
  std::string_view rest = url.substr(auth_end);
  const size_t q = rest.find('?');
  if (q == std::string_view::npos) {
    out += rest;
    return out;
  }
  size_t frag = rest.find('#', q);
  if (frag == std::string_view::npos) frag = rest.size();
  out += rest.substr(0, q + 1);
  out += redact_query(rest.substr(q + 1, frag - q - 1));
  out += rest.substr(frag);
  return out;
}

}  // namespace sl
