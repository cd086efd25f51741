#include "net/connection.hpp"

#include <cerrno>
#include <optional>

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "net/context_watch.hpp"

namespace sl::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

Connection::Connection(Tcp socket, std::shared_ptr<std::atomic<bool>> context_alive)
    : context_alive_(std::move(context_alive)), stream_(std::in_place_index<0>, std::move(socket)) {}

Connection::Connection(Tcp socket, std::shared_ptr<ssl::context> tls,
                       std::shared_ptr<std::atomic<bool>> context_alive)
    : tls_context_(std::move(tls)),
      context_alive_(std::move(context_alive)),
      stream_(std::in_place_index<1>, std::move(socket), *tls_context_) {}

Connection::~Connection() { close(); }

Connection::Tcp& Connection::socket() {
  if (stream_.index() == 0) return std::get<0>(stream_);
  return std::get<1>(stream_).next_layer();
}

bool Connection::looks_reusable() {
  Tcp& s = socket();
  if (!s.is_open()) return false;
  char byte = 0;
  const ssize_t n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;  // 0: the peer closed; > 0: bytes nobody asked for
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

void Connection::close() {
  // No TLS close_notify: the peer learns from the FIN, and waiting for its answer would hold
  // the caller (or a destructor) on the network.
  Tcp& s = socket();
  error_code ignored;
  s.shutdown(tcp::socket::shutdown_both, ignored);
  s.close(ignored);
}

namespace {

// A host name lookup that gives up at `until`. getaddrinfo itself cannot be interrupted, so the
// lookup runs on, owning its own state, and its late answer is dropped.
struct PendingLookup {
  explicit PendingLookup(const asio::any_io_executor& executor) : resolver(executor), timer(executor) {}
  tcp::resolver resolver;
  asio::steady_timer timer;
  std::optional<error_code> error;
  std::vector<asio::ip::address> addresses;
};

asio::awaitable<Outcome<std::vector<asio::ip::address>>> lookup(const Origin& origin,
                                                                  SteadyClock::time_point until) {
  auto pending = std::make_shared<PendingLookup>(co_await asio::this_coro::executor);
  pending->timer.expires_at(until);
  pending->resolver.async_resolve(
      origin.host, std::to_string(origin.port),
      [pending](const error_code& ec, const tcp::resolver::results_type& results) {
        for (const auto& entry : results) pending->addresses.push_back(entry.endpoint().address());
        pending->error = ec;
        pending->timer.cancel();
      });
  auto [wait_ec] = co_await pending->timer.async_wait(use_tuple);
  if (!pending->error) {
    pending->resolver.cancel();
    // The timer either ran out or was cancelled by the caller.
    co_return classify(Phase::resolve, wait_ec ? error_code(asio::error::operation_aborted)
                                               : error_code(asio::error::timed_out));
  }
  if (*pending->error) co_return classify(Phase::resolve, *pending->error);
  co_return std::move(pending->addresses);
}

NetError blocked(std::string detail) {
  NetError e;
  e.reason = Reason::blocked;
  e.phase = Phase::resolve;
  e.detail = std::move(detail);
  return e;
}

}  // namespace

asio::awaitable<Outcome<std::vector<tcp::endpoint>>> resolve_allowed(const Origin& origin,
                                                                       const AddressPolicy& policy,
                                                                       SteadyClock::time_point until) {
  std::vector<asio::ip::address> resolved;
  if (origin.host_is_address) {
    resolved.push_back(asio::ip::make_address(origin.host));
  } else {
    if (Status s = policy.check_host_name(origin.host); !s.ok()) co_return blocked(s.error().message);
    auto found = co_await lookup(origin, until);
    if (!found.ok()) co_return found.error();
    resolved = std::move(*found);
  }
  // Only the addresses that passed are ever connected to; the refusal of the first one that did
  // not is the answer when none is left.
  std::vector<tcp::endpoint> allowed;
  std::optional<std::string> refusal;
  for (const auto& address : resolved) {
    Status s = policy.check(address);
    if (s.ok()) {
      allowed.emplace_back(address, origin.port);
    } else if (!refusal) {
      refusal = s.error().message;
      if (!origin.host_is_address) *refusal += " (host '" + origin.host + "')";
    }
  }
  if (allowed.empty()) {
    if (refusal) co_return blocked(std::move(*refusal));
    NetError e;
    e.reason = Reason::connect_failed;
    e.phase = Phase::resolve;
    e.detail = std::string(kNoAddress);
    co_return e;
  }
  co_return allowed;
}

asio::awaitable<Outcome<std::unique_ptr<Connection>>> open_connection(
    const Origin& origin, const AddressPolicy& policy, std::shared_ptr<ssl::context> tls,
    SteadyClock::time_point until) {
  auto endpoints = co_await resolve_allowed(origin, policy, until);
  if (!endpoints.ok()) co_return endpoints.error();

  auto executor = co_await asio::this_coro::executor;
  auto alive = context_alive_flag(asio::query(executor, asio::execution::context));
  tcp::socket socket(executor);
  auto [connect_ec, connected] =
      co_await within(asio::async_connect(socket, *endpoints, use_tuple), until);
  (void)connected;
  if (connect_ec) co_return classify(Phase::connect, connect_ec);
  error_code nodelay_ec;  // best effort: requests are written in one go anyway
  socket.set_option(tcp::no_delay(true), nodelay_ec);

  if (!tls) co_return std::make_unique<Connection>(std::move(socket), std::move(alive));

  auto conn = std::make_unique<Connection>(std::move(socket), std::move(tls), std::move(alive));
  Connection::Tls& stream = *conn->tls_stream();
  // SNI carries host names only (RFC 6066), never address literals.
  if (!origin.host_is_address && !SSL_set_tlsext_host_name(stream.native_handle(), origin.host.c_str())) {
    NetError e;
    e.reason = Reason::internal;
    e.phase = Phase::handshake;
    e.detail = "cannot set TLS server name " + origin.host;
    co_return e;
  }
  stream.set_verify_callback(ssl::host_name_verification(origin.host));
  auto [handshake_ec] =
      co_await within(stream.async_handshake(ssl::stream_base::client, use_tuple), until);
  if (handshake_ec) co_return classify(Phase::handshake, handshake_ec);
  co_return conn;
}

}  // namespace sl::net
