#include "refs/url_fetcher.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/base64.hpp"

namespace sl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;

using SteadyClock = std::chrono::steady_clock;

// One hop's destination, from an absolute http(s) URL.
struct Target {
  bool tls = false;
  bool host_is_address = false;
  std::string host;           // name, or address without brackets
  unsigned short port = 0;
  std::string host_header;    // as written, with a non-default port
  std::string request_target; // path and query
  std::string url;            // without fragment
};

Error refused_url(std::string_view url, std::string_view why) {
  return make_error(ErrorCode::invalid_request,
                    "refused to fetch '" + std::string(url) + "': " + std::string(why));
}

bool valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
  });
}

Result<Target> parse_target(std::string_view text) {
  auto parsed = urls::parse_uri(text);
  if (!parsed) return refused_url(text, "not an absolute URL (" + parsed.error().message() + ")");
  urls::url u(*parsed);
  u.remove_fragment();
  Target t;
  if (u.scheme_id() == urls::scheme::https) {
    t.tls = true;
  } else if (u.scheme_id() != urls::scheme::http) {
    return refused_url(text, "only http and https URLs can be fetched");
  }
  if (!u.has_authority()) return refused_url(text, "no host");
  if (u.has_userinfo()) return refused_url(text, "credentials in URLs are not allowed");
  switch (u.host_type()) {
    case urls::host_type::ipv4:
      t.host = u.host_ipv4_address().to_string();
      t.host_is_address = true;
      break;
    case urls::host_type::ipv6:
      t.host = u.host_ipv6_address().to_string();
      t.host_is_address = true;
      break;
    case urls::host_type::name:
      // Names are looked up as written; anything but a plain DNS name (percent-escaped bytes,
      // non-ASCII) is refused rather than guessed at.
      t.host = std::string(u.encoded_host_name());
      if (!valid_host_name(t.host)) return refused_url(text, "invalid host name");
      break;
    default:
      return refused_url(text, "no usable host");
  }
  const unsigned short default_port = t.tls ? 443 : 80;
  t.port = default_port;
  t.host_header = std::string(u.encoded_host());
  if (u.has_port() && !u.port().empty()) {
    const std::string_view p = u.port();
    unsigned long value = 0;
    const bool digits = p.size() <= 5 && std::all_of(p.begin(), p.end(), [](unsigned char c) {
                          return std::isdigit(c) != 0;
                        });
    if (digits) value = std::stoul(std::string(p));
    if (!digits || value < 1 || value > 65535) return refused_url(text, "port must be 1..65535");
    t.port = static_cast<unsigned short>(value);
    if (t.port != default_port) t.host_header += ":" + std::to_string(t.port);
  }
  t.request_target = std::string(u.encoded_target());
  if (t.request_target.empty() || t.request_target.front() != '/') {
    t.request_target.insert(0, "/");
  }
  t.url = std::string(u.buffer());
  return t;
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Result<std::string> redirect_url(const Target& from, std::string_view location) {
  auto ref = urls::parse_uri_reference(location);
  if (!ref) {
    return make_error(ErrorCode::invalid_request,
                      "redirect from '" + from.url + "' has an invalid Location '" +
                          std::string(location) + "'");
  }
  urls::url next(from.url);
  if (auto r = next.resolve(*ref); !r) {
    return make_error(ErrorCode::invalid_request,
                      "cannot resolve redirect Location '" + std::string(location) + "'");
  }
  next.remove_fragment();
  return std::string(next.buffer());
}

// Classifies a transport failure of one hop.
class Failure {
 public:
  Failure(const Target& target, int64_t timeout_ms) : target_(target), timeout_ms_(timeout_ms) {}

  Error operator()(std::string_view what, const error_code& ec) const {
    if (ec == beast::error::timeout) {
      return make_error(ErrorCode::upstream_timeout, "fetching '" + target_.url +
                                                         "' took longer than " +
                                                         std::to_string(timeout_ms_) + " ms");
    }
    if (ec == asio::error::operation_aborted) {
      return make_error(ErrorCode::cancelled, "fetch of '" + target_.url + "' cancelled");
    }
    return make_error(ErrorCode::upstream_unavailable,
                      std::string(what) + " " + target_.host + ":" + std::to_string(target_.port) +
                          " failed: " + ec.message());
  }

 private:
  const Target& target_;
  int64_t timeout_ms_;
};

// What one hop ended with: a redirect to follow, or the final answer.
struct HopOutcome {
  std::optional<std::string> redirect_to;
  FetchedMedia media;
};

template <class Stream>
asio::awaitable<Result<HopOutcome>> exchange(Stream& stream, beast::tcp_stream& tcp,
                                             const Target& target, SteadyClock::time_point deadline,
                                             const FetchPolicy& policy) {
  const Failure fail(target, policy.timeout_ms);
  http::request<http::empty_body> request{http::verb::get, target.request_target, 11};
  request.set(http::field::host, target.host_header);
  request.set(http::field::user_agent, "sightline");
  request.set(http::field::accept, "*/*");
  request.keep_alive(false);

  tcp.expires_at(deadline);
  auto [write_ec, written] = co_await http::async_write(stream, request, use_tuple);
  (void)written;
  if (write_ec) co_return fail("sending the request to", write_ec);

  beast::flat_buffer buffer;
  http::response_parser<http::vector_body<uint8_t>> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(policy.max_bytes);
  tcp.expires_at(deadline);
  auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  (void)header_bytes;
  const auto too_large = [&] {
    return make_error(ErrorCode::payload_too_large,
                      "'" + target.url + "' is larger than " + std::to_string(policy.max_bytes) +
                          " bytes");
  };
  // A Content-Length over the limit stops here, before any of the body is read.
  if (header_ec == http::error::body_limit) co_return too_large();
  if (header_ec) co_return fail("reading the response from", header_ec);

  const auto& header = parser.get();
  const unsigned status = header.result_int();
  HopOutcome out;
  if (is_redirect(status)) {
    const auto location = header[http::field::location];
    if (location.empty()) {
      co_return make_error(ErrorCode::invalid_request,
                           "'" + target.url + "' answered " + std::to_string(status) +
                               " without a Location");
    }
    auto next = redirect_url(target, std::string_view(location.data(), location.size()));
    if (!next.ok()) co_return next.error();
    out.redirect_to = std::move(next).value();
    co_return out;
  }
  if (status / 100 != 2) {
    co_return make_error(ErrorCode::invalid_request,
                         "fetching '" + target.url + "' failed: HTTP " + std::to_string(status) +
                             (header.reason().empty() ? "" : " " + std::string(header.reason())));
  }
  if (auto length = parser.content_length(); length && *length > policy.max_bytes) {
    co_return too_large();
  }
  tcp.expires_at(deadline);
  auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
  (void)body_bytes;
  if (body_ec == http::error::body_limit) co_return too_large();
  if (body_ec) co_return fail("reading the body from", body_ec);

  out.media.content_type = std::string(parser.get()[http::field::content_type]);
  out.media.final_url = target.url;
  out.media.bytes = std::move(parser.get().body());
  co_return out;
}

// A host name lookup that gives up at the deadline. getaddrinfo itself cannot be interrupted,
// so the lookup runs on, owning its own state, and its late answer is dropped.
struct PendingLookup {
  explicit PendingLookup(const asio::any_io_executor& executor) : resolver(executor), timer(executor) {}
  tcp::resolver resolver;
  asio::steady_timer timer;
  std::optional<error_code> error;
  std::vector<asio::ip::address> addresses;
};

asio::awaitable<Result<std::vector<asio::ip::address>>> resolve_before(
    const Target& target, SteadyClock::time_point deadline, const Failure& fail) {
  auto pending = std::make_shared<PendingLookup>(co_await asio::this_coro::executor);
  pending->timer.expires_at(deadline);
  pending->resolver.async_resolve(
      target.host, std::to_string(target.port),
      [pending](const error_code& ec, const tcp::resolver::results_type& results) {
        for (const auto& entry : results) pending->addresses.push_back(entry.endpoint().address());
        pending->error = ec;
        pending->timer.cancel();
      });
  auto [wait_ec] = co_await pending->timer.async_wait(use_tuple);
  if (!pending->error) {
    pending->resolver.cancel();
    // The timer either ran out or was cancelled by the caller.
    co_return fail("resolving", wait_ec ? asio::error::operation_aborted
                                        : error_code(beast::error::timeout));
  }
  if (*pending->error) {
    co_return make_error(ErrorCode::upstream_unavailable,
                         "cannot resolve host '" + target.host + "': " + pending->error->message());
  }
  co_return std::move(pending->addresses);
}

void close_quietly(beast::tcp_stream& tcp) {
  error_code ignored;
  tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp.close();
}

// One request to one URL: resolve once, check every address, connect only to allowed ones.
asio::awaitable<Result<HopOutcome>> fetch_hop(const Target& target, const AddressPolicy& addresses,
                                              SteadyClock::time_point deadline,
                                              const FetchPolicy& policy) {
  const Failure fail(target, policy.timeout_ms);
  auto executor = co_await asio::this_coro::executor;
  std::vector<asio::ip::address> resolved;
  if (target.host_is_address) {
    resolved.push_back(asio::ip::make_address(target.host));
  } else {
    if (Status s = addresses.check_host_name(target.host); !s.ok()) co_return s.error();
    auto lookup = co_await resolve_before(target, deadline, fail);
    if (!lookup.ok()) co_return lookup.error();
    resolved = std::move(lookup).value();
  }

  // Only the addresses that passed are ever connected to; the refusal of the first one that did
  // not is the answer when none is left.
  std::vector<tcp::endpoint> allowed;
  std::optional<Error> refusal;
  for (const auto& address : resolved) {
    Status s = addresses.check(address);
    if (s.ok()) {
      allowed.emplace_back(address, target.port);
    } else if (!refusal) {
      refusal = s.error();
      if (!target.host_is_address) refusal->message += " (host '" + target.host + "')";
    }
  }
  if (allowed.empty()) {
    if (refusal) co_return *refusal;
    co_return make_error(ErrorCode::upstream_unavailable, "host '" + target.host + "' has no address");
  }

  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_at(deadline);
  auto [connect_ec, connected] = co_await tcp_stream.async_connect(allowed, use_tuple);
  (void)connected;
  if (connect_ec) co_return fail("connecting to", connect_ec);

  if (!target.tls) {
    auto out = co_await exchange(tcp_stream, tcp_stream, target, deadline, policy);
    close_quietly(tcp_stream);
    co_return out;
  }

  asio::ssl::context tls_context(asio::ssl::context::tls_client);
  error_code ec;
  tls_context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                              asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                              asio::ssl::context::no_tlsv1_1,
                          ec);
  if (!ec) tls_context.set_default_verify_paths(ec);
  if (!ec) tls_context.set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) co_return make_error(ErrorCode::internal, "cannot set up TLS: " + ec.message());
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), tls_context);
  // SNI carries host names only (RFC 6066), never address literals.
  if (!target.host_is_address && !SSL_set_tlsext_host_name(tls.native_handle(), target.host.c_str())) {
    co_return make_error(ErrorCode::internal, "cannot set TLS server name " + target.host);
  }
  tls.set_verify_callback(asio::ssl::host_name_verification(target.host));
  tls.next_layer().expires_at(deadline);
  auto [handshake_ec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (handshake_ec) co_return fail("TLS handshake with", handshake_ec);
  auto out = co_await exchange(tls, tls.next_layer(), target, deadline, policy);
  close_quietly(tls.next_layer());
  co_return out;
}

asio::awaitable<Result<FetchedMedia>> fetch_all_hops(std::string url, const FetchPolicy& policy) {
  auto addresses = AddressPolicy::create(policy);
  if (!addresses.ok()) co_return addresses.error();
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(std::max<int64_t>(policy.timeout_ms, 1));
  for (int hop = 0;; ++hop) {
    auto target = parse_target(url);
    if (!target.ok()) co_return target.error();
    auto outcome = co_await fetch_hop(*target, *addresses, deadline, policy);
    if (!outcome.ok()) {
      Error e = outcome.error();
      if (hop > 0) e.message += " (after a redirect to '" + target->url + "')";
      co_return e;
    }
    if (!outcome->redirect_to) co_return std::move(outcome->media);
    if (hop >= policy.max_redirects) {
      co_return make_error(ErrorCode::invalid_request,
                           "too many redirects fetching '" + url + "' (more than " +
                               std::to_string(std::max(policy.max_redirects, 0)) + ")");
    }
    url = std::move(*outcome->redirect_to);
  }
}

// ---- data: URLs ------------------------------------------------------------------------

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

bool is_base64_flag(std::string_view meta) {
  const size_t semi = meta.rfind(';');
  if (semi == std::string_view::npos) return false;
  const std::string_view last = meta.substr(semi + 1);
  return last.size() == 6 && iequals_prefix(last, "base64");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error data_too_large(size_t max_bytes) {
  return make_error(ErrorCode::payload_too_large,
                    "data: URL is larger than " + std::to_string(max_bytes) + " bytes");
}

Result<Bytes> decode_base64_payload(std::string_view payload, size_t max_bytes) {
  // The decoded size, from the characters that carry data, before anything is allocated.
  size_t chars = 0;
  for (char c : payload) {
    if (c != '=' && std::isspace(static_cast<unsigned char>(c)) == 0) ++chars;
  }
  if (chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1) > max_bytes) {
    return data_too_large(max_bytes);
  }
  auto bytes = base64_decode(payload);
  if (!bytes.ok()) {
    return make_error(ErrorCode::invalid_request,
                      "data: URL has invalid base64: " + bytes.error().message);
  }
  if (bytes->size() > max_bytes) return data_too_large(max_bytes);
  return bytes;
}

Result<Bytes> decode_percent_payload(std::string_view payload, size_t max_bytes) {
  const size_t escapes = static_cast<size_t>(std::count(payload.begin(), payload.end(), '%'));
  if (payload.size() - std::min(payload.size(), 2 * escapes) > max_bytes) {
    return data_too_large(max_bytes);
  }
  Bytes out;
  out.reserve(payload.size() - std::min(payload.size(), 2 * escapes));
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] != '%') {
      out.push_back(static_cast<uint8_t>(payload[i]));
      continue;
    }
    const int hi = i + 2 < payload.size() ? hex_value(payload[i + 1]) : -1;
    const int lo = i + 2 < payload.size() ? hex_value(payload[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return make_error(ErrorCode::invalid_request,
                        "data: URL has an invalid percent escape at offset " + std::to_string(i));
    }
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

asio::awaitable<Result<FetchedMedia>> fetch_url(std::string url, FetchPolicy policy) {
  try {
    co_return co_await fetch_all_hops(std::move(url), policy);
  } catch (const boost::system::system_error& e) {
    // An awaitable whose caller cancelled it throws on its next wait.
    if (e.code() == asio::error::operation_aborted) {
      co_return make_error(ErrorCode::cancelled, "fetch cancelled");
    }
    co_return make_error(ErrorCode::internal, std::string("fetch failed: ") + e.what());
  } catch (const std::exception& e) {
    co_return make_error(ErrorCode::internal, std::string("fetch failed: ") + e.what());
  }
}

Result<Bytes> decode_data_url(std::string_view url, size_t max_bytes) {
  if (!iequals_prefix(url, "data:")) {
    return make_error(ErrorCode::invalid_request, "not a data: URL");
  }
  const std::string_view rest = url.substr(5);
  const size_t comma = rest.find(',');
  if (comma == std::string_view::npos) {
    return make_error(ErrorCode::invalid_request, "data: URL has no ',' before its data");
  }
  const std::string_view meta = rest.substr(0, comma);
  const std::string_view payload = rest.substr(comma + 1);
  if (!is_base64_flag(meta)) return decode_percent_payload(payload, max_bytes);
  if (payload.find('%') == std::string_view::npos) return decode_base64_payload(payload, max_bytes);
  // Some writers percent-escape the base64 text ("%2B", "%3D"); it is unescaped first, as
  // browsers do.
  auto unescaped = decode_percent_payload(payload, payload.size());
  if (!unescaped.ok()) return unescaped.error();
  const Bytes& text = *unescaped;
  return decode_base64_payload(
      std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), max_bytes);
}

}  // namespace sl
