// CORS decisions for the operator's origin allow-list (`cors_origins`; "*" allows any origin).
// For an allowed origin the origin itself is echoed in Access-Control-Allow-Origin (with
// Vary: Origin), which works for every browser request mode; other origins get no CORS headers
// and the browser blocks the response. Preflights are answered by the pipeline with 204 and the
// headers from preflight_headers(), without authentication (browsers never send keys on them).
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
  HeaderList preflight_headers(std::string_view origin, std::string_view request_headers) const;

  static constexpr int kMaxAgeSeconds = 600;

 private:
  bool any_ = false;
  std::vector<std::string> origins_;  // lower case, no trailing '/'
};

}  // namespace sl::api
