// Fetching the media behind a user's http(s) URL, for the few cases where the server itself must
// look at it (a `frames`-mode backend given an http video); normally such URLs pass through to
// the model untouched. A UrlFetcher is built once (app start-up) from the operator's FetchPolicy:
// the strict address policy parsed once, one net::HttpClient (one TLS context trusting the system
// CAs, keep-alive pools), so a redirect to the same host reuses its connection. The fetch is
// SSRF-safe through net's connect filter: each hop's host is resolved once, every address it
// resolves to is checked, and the connection goes only to an address that passed (no second
// lookup, so DNS rebinding cannot swap in a private address between check and connect).
// Redirects are followed up to a limit, each hop checked again; the body is capped in bytes
// (Content-Length is checked before reading) and the whole fetch in time. https verifies the
// peer, with SNI. Thread-safe: share one fetcher between all requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/media_types.hpp"
#include "core/status.hpp"
#include "net/address_policy.hpp"
#include "net/http_client.hpp"
#include "refs/data_url.hpp"

namespace sl {

// Settings fetch.*: the address rules (allow_private, allow_cidrs) and the fetch's own limits.
struct FetchPolicy : net::AddressRules {
  size_t max_bytes = 64 * 1024 * 1024;  // body size limit
  int64_t timeout_ms = 10000;           // whole fetch: every hop's connect, request and body
  int max_redirects = 3;
};

struct FetchedMedia {
  Bytes bytes;
  std::string content_type;  // as the server sent it; "" when absent
  std::string final_url;     // the URL that answered, after redirects (no fragment)
};

class UrlFetcher {
 public:
  // invalid_request (naming fetch.allow_cidrs) when the policy's rules do not parse.
  static Result<std::shared_ptr<const UrlFetcher>> create(FetchPolicy policy,
                                                          net::PoolSettings pool = {});

  // Runs on the caller's executor. Errors, never exceptions:
  // - invalid_request: not an absolute http(s) URL, credentials in it, bad port, a refused host
  //   or address ("refused: address 127.0.0.1 is loopback; set fetch.allow_private to allow"),
  //   a redirect to a refused place or past max_redirects, a non-2xx answer (status in the
  //   message);
  // - payload_too_large: the body is over policy.max_bytes;
  // - upstream_timeout: the whole fetch took longer than policy.timeout_ms (a host name lookup
  //   still running then is abandoned);
  // - upstream_unavailable: the host does not resolve, no connection, TLS failure (including an
  //   untrusted certificate), connection lost;
  // - cancelled: the caller's cancellation.
  boost::asio::awaitable<Result<FetchedMedia>> fetch(std::string url) const;

  const FetchPolicy& policy() const { return policy_; }
  const net::HttpClient& client() const { return *client_; }

 private:
  UrlFetcher(FetchPolicy policy, std::shared_ptr<net::HttpClient> client);
  boost::asio::awaitable<Result<FetchedMedia>> fetch_all_hops(std::string url) const;

  FetchPolicy policy_;
  std::shared_ptr<net::HttpClient> client_;
};

// A fetch with a fetcher of its own (its TLS context and pool live for this call only): for
// tests and one-off callers; servers build one UrlFetcher and keep it.
boost::asio::awaitable<Result<FetchedMedia>> fetch_url(std::string url, FetchPolicy policy);

}  // namespace sl
