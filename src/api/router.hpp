// Method + path-pattern routing. Patterns are literal segments and {name} parameters, e.g.
// "/v1/streams/{id}/frame"; a parameter matches one non-empty path segment. When several
// patterns match a path, the one with a literal segment at the first difference wins. The
// router only decides; the pipeline (api_pipeline.hpp) turns "no route" into 404 and "wrong
// method" into 405. A WebSocket route (add_websocket) is a GET route that carries a WsRoute; the
// pipeline upgrades requests on it (ws_upgrade.hpp) and answers 426 to plain GETs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"
#include "api/ws_route.hpp"

namespace sl::api {

struct RouteOptions {
  bool auth = true;   // requires a valid API key (owner filled into Request::owner)
};

struct WsRoute {
  WsHandler handler;
  WsRouteOptions options;
};

struct Route {
  http::verb method;
  std::string pattern;
  std::vector<std::string> segments;  // "{id}" for parameters
  Handler handler;                    // empty on a WebSocket route
  RouteOptions options;
  std::shared_ptr<const WsRoute> websocket;  // set on a WebSocket route
};

struct RouteMatch {
  enum class Kind { found, not_found, method_not_allowed };
  Kind kind = Kind::not_found;
  const Route* route = nullptr;                // when found
  std::map<std::string, std::string> params;   // when found
  std::string pattern;                         // found or method_not_allowed: the path's pattern
  std::vector<http::verb> allowed;             // method_not_allowed (and found): methods on it
};

// A route handler that calls fn(deps, req, writer): the deps (pointers and small values) are
// copied into each coroutine frame, so nothing refers to this closure after the call.
template <class Deps, class Fn>
Handler bind_route(const Deps& deps, Fn fn) {
  return [deps, fn](Request& req, ResponseWriter& w) { return fn(deps, req, w); };
}

class Router {
 public:
  void add(http::verb method, const std::string& pattern, Handler handler,
           RouteOptions options = {});
  // A WebSocket endpoint at `pattern` (GET + Upgrade: websocket), always authenticated.
  void add_websocket(const std::string& pattern, WsHandler handler, WsRouteOptions options = {});
  RouteMatch match(http::verb method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// "GET, POST" for an Allow header.
// A request target split into path and query (the fragment dropped); an absolute-form target
// ("http://host/p?q") is reduced to its path, anything else that is not "/..." gets an empty path.
void split_target(std::string_view target, std::string& path, std::string& query);

std::string allow_header(const std::vector<http::verb>& methods);

}  // namespace sl::api
