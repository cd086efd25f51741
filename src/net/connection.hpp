// One outbound connection (plain TCP or TLS over TCP) and how it is opened: the connect filter
// (resolve once, check every candidate address against the AddressPolicy, connect only to the
// addresses that passed, never look the name up again, so DNS rebinding cannot slip a refused
// address in between), TCP connect, and for https the TLS handshake with SNI (host names only,
// never address literals, RFC 6066) and host-name verification against the shared context.
// A Connection is used by one exchange at a time; the pool (net/connection_pool.hpp) hands it
// from one to the next. Its socket is bound to the executor it was opened on; operations run
// and complete on the caller's executor (net/deadline.hpp's `within`).
#pragma once

#include <atomic>
#include <memory>
#include <utility>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "net/address_policy.hpp"
#include "net/deadline.hpp"
#include "net/http_url.hpp"
#include "net/net_error.hpp"

namespace sl::net {

class Connection {
 public:
  using Tcp = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Tcp>;

  Connection(Tcp socket, std::shared_ptr<std::atomic<bool>> context_alive);
  Connection(Tcp socket, std::shared_ptr<boost::asio::ssl::context> tls,
             std::shared_ptr<std::atomic<bool>> context_alive);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // f(stream&) for the plain socket or the TLS stream; both alternatives must return the same
  // type (an awaitable of the same tuple).
  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }
  Tcp& socket();
  bool tls() const { return stream_.index() == 1; }
  Tls* tls_stream() { return std::get_if<1>(&stream_); }

  // An idle connection is fit for another request: not closed by the peer, and nothing unread
  // waiting (a server that talks unprompted is not one to send a request to). Non-blocking.
  bool looks_reusable();
  // False once the execution context the socket belongs to is shutting down: then the socket
  // must be closed, not pooled (net/connection_pool.cpp).
  bool context_alive() const { return context_alive_->load(); }
  void close();

 private:
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // outlives the stream using it
  std::shared_ptr<std::atomic<bool>> context_alive_;
  std::variant<Tcp, Tls> stream_;
};

// NetError::detail of a name that resolved to nothing (connect_failed, Phase::resolve).
inline constexpr std::string_view kNoAddress = "has no address";

// The connect filter: the endpoints of `origin` that the policy allows, looked up once (a
// literal address is not looked up). Errors: blocked (detail: the policy's refusal, with
// " (host 'name')" for names), connect_failed in Phase::resolve (lookup failed or no address),
// timeout, cancelled.
boost::asio::awaitable<Outcome<std::vector<boost::asio::ip::tcp::endpoint>>> resolve_allowed(
    const Origin& origin, const AddressPolicy& policy, SteadyClock::time_point until);

// Resolves through the filter, connects and (with a TLS context) handshakes, all before `until`.
boost::asio::awaitable<Outcome<std::unique_ptr<Connection>>> open_connection(
    const Origin& origin, const AddressPolicy& policy,
    std::shared_ptr<boost::asio::ssl::context> tls, SteadyClock::time_point until);

}  // namespace sl::net
