// How backends talk to model servers: a base URL, a bearer token and the timeouts a proxy in
// front of a slow model needs (connect, first byte, idle gap between body reads, total), on top
// of net's shared client (net/http_client.hpp: keep-alive pools, one TLS context per ca_file,
// system CAs and SNI, the permissive connect filter since the operator chose these hosts).
// Transport failures come back as the upstream_* errors of core/status.hpp; an HTTP error status
// is not a failure here (the caller reads the body). Coroutines run on the caller's executor;
// the client is immutable after creation and may be shared by any number of concurrent
// requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include "core/status.hpp"
#include "net/http_client.hpp"

namespace sl {

// Where requests go: parsed from a base URL such as "https://api.example.com/v1".
struct HttpEndpoint {
  net::Origin origin;
  std::string base_path;  // no trailing slash; "" for the root
};

// invalid_request unless the URL is http(s)://host[:port][/path] without credentials, query or
// fragment.
Result<HttpEndpoint> parse_http_endpoint(std::string_view url);

using HttpTimeouts = net::Timeouts;

struct HttpResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;  // empty when the body went to a sink
};

// Receives the body of a 2xx response piece by piece; return false to stop reading and close
// the connection (the request then ends with ErrorCode::cancelled).
using BodySink = std::function<boost::asio::awaitable<bool>(std::string_view data)>;

struct HttpClientOptions {
  HttpEndpoint endpoint;
  HttpTimeouts timeouts;
  std::string bearer_token;                  // empty: no Authorization header
  size_t max_body_bytes = 16 * 1024 * 1024;  // responses read whole
  std::string ca_file;                       // extra PEM trust anchors, besides system CAs
  // The shared outbound client (pools); null: one of its own with default pool settings.
  std::shared_ptr<net::HttpClient> net;
};

class HttpClient {
 public:
  // Builds the TLS context for https endpoints now (internal error when it cannot be set up).
  static Result<std::shared_ptr<const HttpClient>> create(HttpClientOptions options);

  const HttpClientOptions& options() const { return options_; }

  // Sends `body` (JSON, may be empty) to base_path + path and reads the whole response, capped at
  // max_body_bytes (larger: upstream_error).
  boost::asio::awaitable<Result<HttpResponse>> fetch(boost::beast::http::verb method,
                                                     std::string path, std::string body) const;

  // Same, but a 2xx body is handed to `sink` as it arrives (one read at a time, awaiting the
  // sink before the next read, so a slow consumer slows the upstream through TCP). Other
  // statuses are read whole into HttpResponse::body as in fetch(). A sink that stops, or a
  // caller that goes away, closes the connection (it is never pooled half-read).
  boost::asio::awaitable<Result<HttpResponse>> fetch_streaming(boost::beast::http::verb method,
                                                               std::string path, std::string body,
                                                               BodySink sink) const;

 private:
  explicit HttpClient(HttpClientOptions options) : options_(std::move(options)) {}
  boost::asio::awaitable<Result<HttpResponse>> run(boost::beast::http::verb method,
                                                   std::string path, std::string body,
                                                   const BodySink* sink) const;
  // run() without the exception boundary.
  boost::asio::awaitable<Result<HttpResponse>> send_request(boost::beast::http::verb method,
                                                            std::string path, std::string body,
                                                            const BodySink* sink) const;

  HttpClientOptions options_;
};

}  // namespace sl
