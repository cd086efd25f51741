// The one outbound HTTP/1.1 client (Asio/Beast coroutines), shared by backends (model servers)
// and refs (users' media URLs). It owns the keep-alive pools (net/connection_pool.hpp), the TLS
// contexts (built once per TlsSettings, net/tls_context.hpp) and the connect filter
// (net/address_policy.hpp, applied to every new connection, redirects included since each hop
// is a new request). Life of a request:
//   start(): lease a connection for (scheme, host, port, TLS settings) — an idle one, or a new
//   one through resolve → filter → connect → handshake — send the request, read the response
//   header. A *reused* connection that fails before any response byte (the peer had closed it)
//   is retried once on a new connection; nothing else is ever retried, so a POST is never sent
//   twice once the upstream may have started on it.
//   Exchange: read the body whole (read_all, capped) or piece by piece (read_some, for SSE).
//   The connection goes back to the pool only when the request was fully sent, the response
//   fully read, and the response did not say Connection: close; an Exchange dropped before its
//   end (a consumer that went away) closes its connection.
// Limits per request (Timeouts): connect (lookup + TCP + TLS, and waiting for a pool slot),
// first byte (request sent until the header), idle (gap between body reads), total. Errors are
// NetError values with a typed Reason; nothing throws out of this API. Coroutines run on the
// caller's executor; the client is thread-safe and shared by concurrent requests on any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/verb.hpp>

#include "core/status.hpp"
#include "net/address_policy.hpp"
#include "net/connection_pool.hpp"
#include "net/deadline.hpp"
#include "net/http_url.hpp"
#include "net/net_error.hpp"
#include "net/tls_context.hpp"

namespace sl::net {

struct Timeouts {
  int64_t connect_ms = 5'000;      // lookup + TCP connect + TLS handshake (+ waiting for a slot)
  int64_t first_byte_ms = 60'000;  // request sent until the response header arrived
  int64_t idle_ms = 60'000;        // longest gap between two body reads
  int64_t total_ms = 600'000;      // whole exchange, connect to last byte
};

struct Request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  Origin origin;
  std::string target = "/";  // origin-form: path and query
  std::vector<std::pair<boost::beast::http::field, std::string>> headers;  // besides Host, User-Agent
  std::string body;          // sent with Content-Length when not empty (or for POST/PUT)
  TlsSettings tls;
  Timeouts timeouts;
};

struct ResponseHead {
  unsigned status = 0;
  std::string reason;
  std::string content_type;
  std::string location;
  std::optional<uint64_t> content_length;
};

// A response whose header has arrived; the body is read through it. Move-only; one coroutine.
class Exchange {
 public:
  struct State;
  explicit Exchange(std::unique_ptr<State> state);
  Exchange(Exchange&&) noexcept;
  Exchange& operator=(Exchange&&) noexcept;
  ~Exchange();  // closes the connection unless the body was read to its end

  const ResponseHead& head() const;
  bool reused_connection() const;
  bool done() const;  // the body was read to its end

  // The next piece of the body, as soon as some arrived (valid until the next call); may be
  // empty before done() (framing only). Errors close the connection.
  boost::asio::awaitable<Outcome<std::string_view>> read_some();
  // The rest of the body; too_large (connection closed) past `max_bytes`, before reading when
  // Content-Length already says so.
  boost::asio::awaitable<Outcome<std::string>> read_all(size_t max_bytes);
  // Stops here: the connection is closed (the rest of the body is never read).
  void abandon();

 private:
  std::unique_ptr<State> state_;
};

struct ClientOptions {
  PoolSettings pool;
  AddressPolicy policy = AddressPolicy::permissive();
};

class HttpClient {
 public:
  static std::shared_ptr<HttpClient> create(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Builds (and keeps) the TLS context for `settings` now, so that a bad ca_file is reported at
  // start-up rather than on the first request.
  Status prepare_tls(const TlsSettings& settings) const;

  boost::asio::awaitable<Outcome<Exchange>> start(Request request) const;

  const AddressPolicy& policy() const { return policy_; }
  PoolStats pool_stats() const { return pool_->stats(); }
  int64_t retries() const;  // stale reused connections retried on a new one

 private:
  explicit HttpClient(ClientOptions options);
  boost::asio::awaitable<Outcome<Exchange>> run(const Request& request) const;

  AddressPolicy policy_;
  std::shared_ptr<ConnectionPool> pool_;
  bool keep_alive_;  // false when the pool keeps nothing idle: then say Connection: close
  mutable TlsContexts tls_;
  mutable std::atomic<int64_t> retries_{0};
};

}  // namespace sl::net
