// CORS decisions for the operator's origin allow-list (`cors_origins`; "*" allows any origin).
// For an allowed origin the origin itself is echoed in Access-Control-Allow-Origin (with
// Vary: Origin), which works for every browser request mode, together with
// Access-Control-Allow-Credentials: true, so clients that fetch with credentials: "include" (the
// Overshoot browser SDK does) are served too; `*` is never sent, as browsers refuse it on
// credentialed requests. sightline itself reads no cookies (keys travel in Authorization), so
// allowing credentials grants an allowed origin nothing it did not have. Other origins get no
// CORS headers and the browser blocks the response. Preflights are answered by the pipeline with
// 204 and the headers from preflight_headers(), without authentication (browsers never send keys
// on them); a Private Network Access preflight (Access-Control-Request-Private-Network: true,
// a public page calling a server on a private address) is granted for allowed origins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"

namespace sl::api {

class CorsPolicy {
 public:
  CorsPolicy() = default;
  explicit CorsPolicy(const std::vector<std::string>& origins);

  bool allows(std::string_view origin) const;

  // For an actual request carrying an Origin header; empty when the origin is not allowed.
  HeaderList response_headers(std::string_view origin) const;
  // For a preflight (OPTIONS with Access-Control-Request-Method); empty when not allowed.
  HeaderList preflight_headers(std::string_view origin, std::string_view request_headers,
                               bool private_network = false) const;

  static constexpr int kMaxAgeSeconds = 600;

 private:
  bool any_ = false;
  std::vector<std::string> origins_;  // lower case, no trailing '/'
};

}  // namespace sl::api
