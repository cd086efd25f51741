#include "api/router.hpp"

#include <algorithm>

namespace sl::api {
namespace {

bool is_param(const std::string& seg) {
  return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
}

// "/a/b/" -> {"a","b",""}; the leading '/' is required by the caller.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool segments_match(const Route& r, const std::vector<std::string_view>& parts) {
  if (r.segments.size() != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (is_param(r.segments[i])) {
      if (parts[i].empty()) return false;
    } else if (r.segments[i] != parts[i]) {
      return false;
    }
  }
  return true;
}

// True when a is more specific than b (a literal where b has a parameter, first difference).
bool more_specific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    bool pa = is_param(a.segments[i]), pb = is_param(b.segments[i]);
    if (pa != pb) return !pa;
  }
  return false;
}

}  // namespace

void Router::add(http::verb method, const std::string& pattern, Handler handler,
                 RouteOptions options) {
  Route r{method, pattern, {}, std::move(handler), options, nullptr};
  for (auto part : split_path(pattern)) r.segments.emplace_back(part);
  routes_.push_back(std::move(r));
}

void Router::add_websocket(const std::string& pattern, WsHandler handler,
                           WsRouteOptions options) {
  add(http::verb::get, pattern, Handler(), RouteOptions{true});
  routes_.back().websocket = std::make_shared<const WsRoute>(WsRoute{std::move(handler), options});
}

RouteMatch Router::match(http::verb method, std::string_view path) const {
  RouteMatch m;
  auto parts = split_path(path);
  if (parts.empty()) return m;

  const Route* best_any = nullptr;     // most specific route of any method
  const Route* best_method = nullptr;  // most specific route with this method
  for (const auto& r : routes_) {
    if (!segments_match(r, parts)) continue;
    if (!best_any || more_specific(r, *best_any)) best_any = &r;
    if (r.method == method && (!best_method || more_specific(r, *best_method))) best_method = &r;
  }
  if (!best_any) return m;
  // HEAD is served by the GET route (the writer drops the body).
  if (!best_method && method == http::verb::head) {
    for (const auto& r : routes_) {
      if (r.method != http::verb::get || !segments_match(r, parts)) continue;
      if (!best_method || more_specific(r, *best_method)) best_method = &r;
    }
  }

  // Methods allowed on the pattern that wins for this path.
  const Route* winner = best_method ? best_method : best_any;
  for (const auto& r : routes_)
    if (r.pattern == winner->pattern &&
        std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
      m.allowed.push_back(r.method);
  m.pattern = winner->pattern;

  if (!best_method) {
    m.kind = RouteMatch::Kind::method_not_allowed;
    return m;
  }
  m.kind = RouteMatch::Kind::found;
  m.route = best_method;
  for (size_t i = 0; i < parts.size(); ++i)
    if (is_param(best_method->segments[i]))
      m.params[best_method->segments[i].substr(1, best_method->segments[i].size() - 2)] =
          std::string(parts[i]);
  return m;
}

void split_target(std::string_view target, std::string& path, std::string& query) {
  // Absolute-form targets ("http://host/p?q") are reduced to their path.
  if (!target.empty() && target.front() != '/') {
    size_t scheme = target.find("://");
    if (scheme == std::string_view::npos) {
      path.clear();
      return;
    }
    size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  size_t q = target.find('?');
  path = std::string(target.substr(0, q));
  query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
  if (size_t hash = query.find('#'); hash != std::string::npos) query.resize(hash);
}

std::string allow_header(const std::vector<http::verb>& methods) {
  std::string out;
  for (auto v : methods) {
    if (!out.empty()) out += ", ";
    out += std::string(http::to_string(v));
  }
  return out;
}

}  // namespace sl::api
