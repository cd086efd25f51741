#include "backends/http_client.hpp"

#include <exception>

#include <boost/system/system_error.hpp>

#include "core/guarded.hpp"

namespace sl {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// A transport failure in the words (and codes) backends have always used.
Error upstream_failure(const net::NetError& e, const HttpClientOptions& options) {
  const HttpTimeouts& t = options.timeouts;
  const net::Origin& o = options.endpoint.origin;
  const std::string where = o.host + ":" + std::to_string(o.port);
  switch (e.reason) {
    case net::Reason::timeout:
      if (e.total_deadline) {
        return make_error(ErrorCode::upstream_timeout,
                          "upstream exceeded the total timeout of " + std::to_string(t.total_ms) + " ms");
      }
      switch (e.phase) {
        case net::Phase::wait_pool:
        case net::Phase::resolve:
        case net::Phase::connect:
        case net::Phase::handshake:
          return make_error(ErrorCode::upstream_timeout,
                            "upstream connect timed out after " + std::to_string(t.connect_ms) + " ms");
        case net::Phase::send:
        case net::Phase::read_header:
          return make_error(ErrorCode::upstream_timeout, "upstream sent no response within " +
                                                             std::to_string(t.first_byte_ms) + " ms");
        case net::Phase::read_body:
          break;
      }
      return make_error(ErrorCode::upstream_timeout,
                        "upstream sent nothing for " + std::to_string(t.idle_ms) + " ms");
    case net::Reason::cancelled:
      return make_error(ErrorCode::cancelled, "upstream request cancelled");
    case net::Reason::too_large:
      return make_error(ErrorCode::upstream_error, "upstream response larger than " +
                                                       std::to_string(options.max_body_bytes) + " bytes");
    case net::Reason::internal:
      return make_error(ErrorCode::internal, "upstream request failed: " + e.detail);
    case net::Reason::blocked:  // the permissive policy refuses nothing; kept for completeness
      return make_error(ErrorCode::upstream_unavailable, "upstream " + where + ": " + e.detail);
    default:
      break;
  }
  switch (e.phase) {
    case net::Phase::resolve:
      return make_error(ErrorCode::upstream_unavailable,
                        "cannot resolve upstream host '" + o.host + "': " + e.detail);
    case net::Phase::wait_pool:
    case net::Phase::connect:
      return make_error(ErrorCode::upstream_unavailable,
                        "cannot connect to upstream " + where + ": " + e.detail);
    case net::Phase::handshake:
      return make_error(ErrorCode::upstream_unavailable,
                        "TLS handshake with upstream " + where + " failed: " + e.detail);
    case net::Phase::send:
    case net::Phase::read_header:
      if (e.reason == net::Reason::protocol) {
        return make_error(ErrorCode::upstream_error, "malformed HTTP response from upstream: " + e.detail);
      }
      return make_error(ErrorCode::upstream_unavailable,
                        "upstream " + where + " closed the connection before responding: " + e.detail);
    case net::Phase::read_body:
      break;
  }
  return make_error(ErrorCode::upstream_error, "upstream response interrupted: " + e.detail);
}

}  // namespace

Result<HttpEndpoint> parse_http_endpoint(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::invalid_request,
                      "invalid backend URL '" + std::string(url) + "': " + std::string(why));
  };
  auto parsed = net::parse_http_url(url);
  if (!parsed.ok()) return bad(parsed.error().message);
  if (parsed->has_userinfo) return bad("credentials in the URL are not supported; use api_key_env");
  if (parsed->has_query || parsed->has_fragment) return bad("query and fragment are not allowed");
  HttpEndpoint ep;
  ep.origin = parsed->origin;
  ep.base_path = parsed->path;
  while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  return ep;
}

Result<std::shared_ptr<const HttpClient>> HttpClient::create(HttpClientOptions options) {
  if (!options.net) options.net = net::HttpClient::create(net::ClientOptions{});
  if (options.endpoint.origin.tls) {
    if (Status s = options.net->prepare_tls(net::TlsSettings{options.ca_file}); !s.ok()) {
      return make_error(ErrorCode::internal, "cannot set up TLS for " +
                                                 options.endpoint.origin.host + ": " + s.error().message);
    }
  }
  return std::shared_ptr<const HttpClient>(new HttpClient(std::move(options)));
}

asio::awaitable<Result<HttpResponse>> HttpClient::fetch(http::verb method, std::string path,
                                                        std::string body) const {
  co_return co_await run(method, std::move(path), std::move(body), nullptr);
}

asio::awaitable<Result<HttpResponse>> HttpClient::fetch_streaming(http::verb method, std::string path,
                                                                  std::string body,
                                                                  BodySink sink) const {
  co_return co_await run(method, std::move(path), std::move(body), &sink);
}

asio::awaitable<Result<HttpResponse>> HttpClient::run(http::verb method, std::string path,
                                                      std::string body, const BodySink* sink) const {
  co_return co_await guarded(send_request(method, std::move(path), std::move(body), sink), "backend",
                             "upstream request");
}

asio::awaitable<Result<HttpResponse>> HttpClient::send_request(http::verb method, std::string path,
                                                           std::string body, const BodySink* sink) const {
  net::Request request;
  request.method = method;
  request.origin = options_.endpoint.origin;
  request.target = options_.endpoint.base_path + path;
  request.headers.emplace_back(http::field::accept,
                               sink != nullptr ? "text/event-stream" : "application/json");
  if (!options_.bearer_token.empty()) {
    request.headers.emplace_back(http::field::authorization, "Bearer " + options_.bearer_token);
  }
  if (!body.empty() || method == http::verb::post) {
    request.headers.emplace_back(http::field::content_type, "application/json");
  }
  request.body = std::move(body);
  request.tls = net::TlsSettings{options_.ca_file};
  request.timeouts = options_.timeouts;

  auto exchange = co_await options_.net->start(std::move(request));
  if (!exchange.ok()) co_return upstream_failure(exchange.error(), options_);
  HttpResponse response;
  response.status = exchange->head().status;
  response.content_type = exchange->head().content_type;
  if (sink == nullptr || response.status / 100 != 2) {
    auto whole = co_await exchange->read_all(options_.max_body_bytes);
    if (!whole.ok()) co_return upstream_failure(whole.error(), options_);
    response.body = std::move(*whole);
    co_return response;
  }
  while (!exchange->done()) {
    auto piece = co_await exchange->read_some();
    if (!piece.ok()) co_return upstream_failure(piece.error(), options_);
    if (piece->empty()) continue;
    if (!co_await (*sink)(*piece)) {
      exchange->abandon();
      co_return make_error(ErrorCode::cancelled, "upstream request cancelled by the consumer");
    }
  }
  co_return response;
}

}  // namespace sl
