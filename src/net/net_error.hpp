// What can go wrong on an outbound exchange, as a value: a typed reason (what the caller
// decides on: retry or not, which of its error codes), the phase it happened in (what the
// caller says in its message) and the system error behind it. The client never throws across
// its API; callers map a NetError to their own ErrorCode and wording (backends: upstream_*,
// refs: invalid_request / payload_too_large / upstream_*), because the same failure means
// different things to them. Outcome<T> is core's Result<T> with a NetError.
#pragma once

#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "core/status.hpp"

namespace sl::net {

enum class Reason {
  blocked,          // the connect filter refused the host or every address it resolved to
  connect_failed,   // no address, lookup failed, or no TCP connection
  tls,              // TLS handshake failed (untrusted or mismatched certificate included)
  timeout,          // a phase limit or the total deadline passed
  connection_lost,  // the peer closed or reset the connection mid-exchange
  protocol,         // not an HTTP/1.1 response we can read (malformed, header too large)
  too_large,        // the body is over the caller's cap
  cancelled,        // the caller's coroutine was cancelled, or a body consumer stopped
  internal,         // resource failure (TLS set-up, an exception from below)
};

enum class Phase { wait_pool, resolve, connect, handshake, send, read_header, read_body };

std::string_view to_string(Reason r);

struct NetError {
  Reason reason = Reason::internal;
  Phase phase = Phase::connect;
  boost::system::error_code ec;  // the system/Beast error, when there was one
  std::string detail;            // readable cause (the policy's refusal, ec.message(), ...)
  bool total_deadline = false;   // timeout: the whole-exchange limit bound, not the phase's
};

// The NetError for a system/Beast error in `phase`: timed_out (net/deadline.hpp) is timeout,
// operation_aborted cancelled, and otherwise the phase decides (connect_failed, tls,
// connection_lost, or protocol for Beast's parse errors).
NetError classify(Phase phase, const boost::system::error_code& ec);

template <class T>
using Outcome = Result<T, NetError>;

}  // namespace sl::net
