// A small HTTP/1.1 client for talking to model servers, on Boost.Beast: one connection per
// request (plain TCP or TLS with peer verification against the system CAs and SNI), a bearer
// token, and the timeouts a proxy in front of a slow model needs: connect, first byte, idle gap
// between body reads, and a total deadline. Transport failures come back as the upstream_*
// errors of core/status.hpp; an HTTP error status is not a failure here (the caller reads the
// body). Coroutines run on the caller's executor; the client is immutable after creation and
// may be shared by any number of concurrent requests.
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

namespace boost::asio::ssl {
class context;
}

namespace sl {

// Where requests go: parsed from a base URL such as "https://api.example.com/v1".
struct HttpEndpoint {
  bool tls = false;
  std::string host;         // for DNS / connect (IPv6 without brackets)
  std::string port;         // "80" / "443" unless given
  std::string host_header;  // as written in the URL, with a non-default port
  std::string base_path;    // no trailing slash; "" for the root
};

// invalid_request unless the URL is http(s)://host[:port][/path] without query or fragment.
Result<HttpEndpoint> parse_http_endpoint(std::string_view url);

struct HttpTimeouts {
  int64_t connect_ms = 5000;      // DNS + TCP connect + TLS handshake
  int64_t first_byte_ms = 60000;  // request sent until the response header arrived
  int64_t idle_ms = 60000;        // longest gap between two body reads
  int64_t total_ms = 600000;      // whole exchange, connect to last byte
};

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
  std::string bearer_token;                       // empty: no Authorization header
  size_t max_body_bytes = 16 * 1024 * 1024;       // responses read whole
  std::string ca_file;                            // extra PEM trust anchors, besides system CAs
};

class HttpClient {
 public:
  // Builds the TLS context for https endpoints (internal error when it cannot be set up).
  static Result<std::shared_ptr<const HttpClient>> create(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const HttpClientOptions& options() const { return options_; }

  // Sends `body` (JSON, may be empty) to base_path + path and reads the whole response, capped at
  // max_body_bytes (larger: upstream_error).
  boost::asio::awaitable<Result<HttpResponse>> fetch(boost::beast::http::verb method,
                                                     std::string path, std::string body) const;

  // Same, but a 2xx body is handed to `sink` as it arrives (one read at a time, awaiting the
  // sink before the next read, so a slow consumer slows the upstream through TCP). Other
  // statuses are read whole into HttpResponse::body as in fetch().
  boost::asio::awaitable<Result<HttpResponse>> fetch_streaming(boost::beast::http::verb method,
                                                               std::string path, std::string body,
                                                               BodySink sink) const;

 private:
  explicit HttpClient(HttpClientOptions options);
  boost::asio::awaitable<Result<HttpResponse>> run(boost::beast::http::verb method,
                                                   std::string path, std::string body,
                                                   const BodySink* sink) const;

  HttpClientOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // only for https endpoints
};

}  // namespace sl
