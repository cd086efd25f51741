#include "api/cors.hpp"

#include <algorithm>
#include <cctype>

namespace sl::api {
namespace {

std::string normalise(std::string_view origin) {
  std::string out;
  for (char c : origin) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

// Header names in Access-Control-Request-Headers: tokens separated by commas and spaces.
bool is_header_list(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ',' ||
           c == ' ';
  });
}

constexpr const char* kExposed =
    "X-Request-Id, X-Frame-Index, X-Frame-Timestamp-Ms, X-Frame-Wall-Ms, X-Frame-Clamped, "
    "X-Frame-Count, X-First-Frame-Index, X-Last-Frame-Index, Retry-After, ETag, Location, Link";

}  // namespace

CorsPolicy::CorsPolicy(const std::vector<std::string>& origins) {
  for (const auto& o : origins) {
    if (o == "*") any_ = true;
    else if (!o.empty()) origins_.push_back(normalise(o));
  }
}

bool CorsPolicy::allows(std::string_view origin) const {
  if (origin.empty()) return false;
  if (any_) return true;
  std::string n = normalise(origin);
  return std::find(origins_.begin(), origins_.end(), n) != origins_.end();
}

HeaderList CorsPolicy::response_headers(std::string_view origin) const {
  if (!allows(origin)) return {};
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Access-Control-Allow-Credentials", "true"},
          {"Vary", "Origin"},
          {"Access-Control-Expose-Headers", kExposed}};
}

HeaderList CorsPolicy::preflight_headers(std::string_view origin, std::string_view request_headers,
                                         bool private_network) const {
  if (!allows(origin)) return {};
  std::string allow_headers = "Authorization, Content-Type";
  if (!request_headers.empty() && request_headers.size() < 1024 && is_header_list(request_headers))
    allow_headers = std::string(request_headers);
  HeaderList out{{"Access-Control-Allow-Origin", std::string(origin)},
                 {"Access-Control-Allow-Credentials", "true"},
                 {"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
                 {"Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS"},
                 {"Access-Control-Allow-Headers", allow_headers},
                 {"Access-Control-Max-Age", std::to_string(kMaxAgeSeconds)}};
  if (private_network) out.emplace_back("Access-Control-Allow-Private-Network", "true");
  return out;
}

}  // namespace sl::api
