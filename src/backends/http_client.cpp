#include "backends/http_client.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace sl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunk = 16 * 1024;
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;  // cloud APIs send many headers

using SteadyClock = std::chrono::steady_clock;

// The total deadline of one exchange; each phase waits for its own limit or what is left of the
// total, whichever is shorter, and remembers which one it was for the error message.
class Deadline {
 public:
  explicit Deadline(int64_t total_ms)
      : total_ms_(total_ms), end_(SteadyClock::now() + std::chrono::milliseconds(total_ms)) {}

  std::chrono::milliseconds phase(int64_t phase_ms) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - SteadyClock::now());
    const auto limit = std::chrono::milliseconds(std::max<int64_t>(phase_ms, 1));
    total_binds_ = left <= limit;
    return std::max(std::chrono::milliseconds(1), std::min(left, limit));
  }
  bool total_binds() const { return total_binds_; }
  int64_t total_ms() const { return total_ms_; }

 private:
  int64_t total_ms_;
  SteadyClock::time_point end_;
  bool total_binds_ = false;
};

enum class Phase { resolve, connect, handshake, send, wait_header, body };

Error timeout_error(Phase phase, const Deadline& deadline, const HttpTimeouts& t) {
  if (deadline.total_binds()) {
    return make_error(ErrorCode::upstream_timeout,
                      "upstream exceeded the total timeout of " + std::to_string(t.total_ms) + " ms");
  }
  switch (phase) {
    case Phase::resolve:
    case Phase::connect:
    case Phase::handshake:
      return make_error(ErrorCode::upstream_timeout,
                        "upstream connect timed out after " + std::to_string(t.connect_ms) + " ms");
    case Phase::send:
    case Phase::wait_header:
      return make_error(ErrorCode::upstream_timeout, "upstream sent no response within " +
                                                         std::to_string(t.first_byte_ms) + " ms");
    case Phase::body:
      break;
  }
  return make_error(ErrorCode::upstream_timeout,
                    "upstream sent nothing for " + std::to_string(t.idle_ms) + " ms");
}

Error transport_error(Phase phase, const error_code& ec, const Deadline& deadline,
                      const HttpClientOptions& options) {
  if (ec == beast::error::timeout) return timeout_error(phase, deadline, options.timeouts);
  if (ec == asio::error::operation_aborted) {
    return make_error(ErrorCode::cancelled, "upstream request cancelled");
  }
  const std::string where = options.endpoint.host + ":" + options.endpoint.port;
  switch (phase) {
    case Phase::resolve:
      return make_error(ErrorCode::upstream_unavailable,
                        "cannot resolve upstream host '" + options.endpoint.host + "': " + ec.message());
    case Phase::connect:
      return make_error(ErrorCode::upstream_unavailable,
                        "cannot connect to upstream " + where + ": " + ec.message());
    case Phase::handshake:
      return make_error(ErrorCode::upstream_unavailable,
                        "TLS handshake with upstream " + where + " failed: " + ec.message());
    case Phase::send:
    case Phase::wait_header:
      if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
          ec != http::error::end_of_stream) {
        return make_error(ErrorCode::upstream_error,
                          "malformed HTTP response from upstream: " + ec.message());
      }
      return make_error(ErrorCode::upstream_unavailable,
                        "upstream " + where + " closed the connection before responding: " +
                            ec.message());
    case Phase::body:
      break;
  }
  return make_error(ErrorCode::upstream_error, "upstream response interrupted: " + ec.message());
}

void close_quietly(beast::tcp_stream& tcp) {
  error_code ignored;
  tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp.close();
}

template <class Stream>
asio::awaitable<Result<HttpResponse>> exchange(Stream& stream, beast::tcp_stream& tcp,
                                               http::request<http::string_body>& request,
                                               const BodySink* sink, Deadline& deadline,
                                               const HttpClientOptions& options) {
  const HttpTimeouts& t = options.timeouts;
  tcp.expires_after(deadline.phase(t.first_byte_ms));
  auto [write_ec, written] = co_await http::async_write(stream, request, use_tuple);
  (void)written;
  if (write_ec) co_return transport_error(Phase::send, write_ec, deadline, options);

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // capped below, per mode
  parser.header_limit(kMaxHeaderBytes);
  auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  (void)header_bytes;
  if (header_ec) co_return transport_error(Phase::wait_header, header_ec, deadline, options);

  HttpResponse response;
  response.status = parser.get().result_int();
  response.content_type = std::string(parser.get()[http::field::content_type]);
  const bool to_sink = sink != nullptr && response.status / 100 == 2;

  std::array<char, kReadChunk> chunk;
  while (!parser.is_done()) {
    tcp.expires_after(deadline.phase(t.idle_ms));
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    // read_some, not read: read would wait to fill the whole chunk buffer, holding back
    // small stream events.
    auto [read_ec, read_bytes] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
    (void)read_bytes;
    if (read_ec == http::error::need_buffer) read_ec = {};
    if (read_ec) co_return transport_error(Phase::body, read_ec, deadline, options);
    const size_t got = chunk.size() - parser.get().body().size;
    if (got == 0) continue;
    if (to_sink) {
      tcp.expires_never();  // time spent in the consumer is not the upstream's idle time
      if (!co_await (*sink)(std::string_view(chunk.data(), got))) {
        close_quietly(tcp);
        co_return make_error(ErrorCode::cancelled, "upstream request cancelled by the consumer");
      }
    } else {
      if (response.body.size() + got > options.max_body_bytes) {
        close_quietly(tcp);
        co_return make_error(ErrorCode::upstream_error,
                             "upstream response larger than " +
                                 std::to_string(options.max_body_bytes) + " bytes");
      }
      response.body.append(chunk.data(), got);
    }
  }
  close_quietly(tcp);
  co_return response;
}

}  // namespace

Result<HttpEndpoint> parse_http_endpoint(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::invalid_request,
                      "invalid backend URL '" + std::string(url) + "': " + std::string(why));
  };
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return bad(parsed.error().message());
  const auto& u = *parsed;
  HttpEndpoint ep;
  if (u.scheme() == "https") {
    ep.tls = true;
  } else if (u.scheme() != "http") {
    return bad("scheme must be http or https");
  }
  if (!u.has_authority() || u.encoded_host().empty()) return bad("no host");
  if (u.has_userinfo()) return bad("credentials in the URL are not supported; use api_key_env");
  if (u.has_query() || u.has_fragment()) return bad("query and fragment are not allowed");
  std::string host(u.encoded_host());
  ep.host_header = host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  ep.host = host;
  if (u.has_port()) {
    const std::string_view port = u.port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad("invalid port");
    }
    ep.port = std::to_string(value);
    ep.host_header += ":" + ep.port;
  } else {
    ep.port = ep.tls ? "443" : "80";
  }
  std::string path(u.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  ep.base_path = path;
  return ep;
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {}
HttpClient::~HttpClient() = default;

Result<std::shared_ptr<const HttpClient>> HttpClient::create(HttpClientOptions options) {
  std::shared_ptr<HttpClient> client(new HttpClient(std::move(options)));
  if (client->options_.endpoint.tls) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    error_code ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1,
                     ec);
    if (!ec) ctx->set_default_verify_paths(ec);
    if (!ec && !client->options_.ca_file.empty()) ctx->load_verify_file(client->options_.ca_file, ec);
    if (!ec) ctx->set_verify_mode(asio::ssl::verify_peer, ec);
    if (ec) {
      return make_error(ErrorCode::internal, "cannot set up TLS for " +
                                                 client->options_.endpoint.host + ": " + ec.message());
    }
    client->tls_ = std::move(ctx);
  }
  return std::shared_ptr<const HttpClient>(std::move(client));
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
  try {
    const HttpEndpoint& ep = options_.endpoint;
    const HttpTimeouts& t = options_.timeouts;
    Deadline deadline(t.total_ms);
    auto executor = co_await asio::this_coro::executor;

    // A literal address needs no resolver (and no resolver thread).
    tcp::resolver::results_type endpoints;
    error_code addr_ec;
    const auto address = asio::ip::make_address(ep.host, addr_ec);
    const bool host_is_address = !addr_ec;
    if (host_is_address) {
      const auto port = static_cast<unsigned short>(std::stoul(ep.port));
      endpoints = tcp::resolver::results_type::create(tcp::endpoint(address, port), ep.host, ep.port);
    } else {
      // getaddrinfo cannot be interrupted; it is bounded by the system resolver's own timeout.
      tcp::resolver resolver(executor);
      auto [resolve_ec, results] = co_await resolver.async_resolve(ep.host, ep.port, use_tuple);
      if (resolve_ec) co_return transport_error(Phase::resolve, resolve_ec, deadline, options_);
      endpoints = std::move(results);
    }

    beast::tcp_stream tcp_stream(executor);
    tcp_stream.expires_after(deadline.phase(t.connect_ms));
    auto [connect_ec, connected] = co_await tcp_stream.async_connect(endpoints, use_tuple);
    (void)connected;
    if (connect_ec) co_return transport_error(Phase::connect, connect_ec, deadline, options_);
    error_code nodelay_ec;  // best effort
    tcp_stream.socket().set_option(tcp::no_delay(true), nodelay_ec);

    http::request<http::string_body> request{method, ep.base_path + path, 11};
    request.set(http::field::host, ep.host_header);
    request.set(http::field::user_agent, "sightline");
    request.set(http::field::accept, sink != nullptr ? "text/event-stream" : "application/json");
    if (!options_.bearer_token.empty()) {
      request.set(http::field::authorization, "Bearer " + options_.bearer_token);
    }
    if (!body.empty() || method == http::verb::post) {
      request.set(http::field::content_type, "application/json");
      request.body() = std::move(body);
    }
    request.keep_alive(false);
    request.prepare_payload();

    if (!ep.tls) {
      co_return co_await exchange(tcp_stream, tcp_stream, request, sink, deadline, options_);
    }
    beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), *tls_);
    // SNI carries host names only (RFC 6066), never address literals.
    if (!host_is_address && !SSL_set_tlsext_host_name(tls.native_handle(), ep.host.c_str())) {
      co_return make_error(ErrorCode::internal, "cannot set TLS server name " + ep.host);
    }
    tls.set_verify_callback(asio::ssl::host_name_verification(ep.host));
    tls.next_layer().expires_after(deadline.phase(t.connect_ms));
    auto [handshake_ec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (handshake_ec) co_return transport_error(Phase::handshake, handshake_ec, deadline, options_);
    co_return co_await exchange(tls, tls.next_layer(), request, sink, deadline, options_);
  } catch (const boost::system::system_error& e) {
    // An awaitable whose caller cancelled it throws on its next wait.
    if (e.code() == asio::error::operation_aborted) {
      co_return make_error(ErrorCode::cancelled, "upstream request cancelled");
    }
    co_return make_error(ErrorCode::internal, std::string("upstream request failed: ") + e.what());
  } catch (const std::exception& e) {
    co_return make_error(ErrorCode::internal, std::string("upstream request failed: ") + e.what());
  }
}

}  // namespace sl
