// Fetching the media behind a user's http(s) URL, for the few cases where the server itself must
// look at it (a `frames`-mode backend given an http video); normally such URLs pass through to
// the model untouched. The fetch is SSRF-safe: each hop's host is resolved once, every address
// it resolves to is checked against the AddressPolicy, and the connection goes only to an
// address that passed (there is no second lookup, so DNS rebinding cannot swap in a private
// address between check and connect). Redirects are followed up to a limit, re-checked at every
// hop; the body is capped in bytes (Content-Length is checked before reading) and the whole
// fetch in time. https verifies the peer against the system CAs, with SNI. Also: decoding of
// `data:` URLs under a size limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/media_types.hpp"
#include "core/status.hpp"
#include "refs/address_policy.hpp"

namespace sl {

struct FetchedMedia {
  Bytes bytes;
  std::string content_type;  // as the server sent it; "" when absent
  std::string final_url;     // the URL that answered, after redirects (no fragment)
};

// Runs on the caller's executor (co_await it from a coroutine). Errors, never exceptions:
// - invalid_request: not an absolute http(s) URL, credentials in it, bad port, a refused host or
//   address ("refused: address 127.0.0.1 is loopback; set fetch.allow_private to allow"), a
//   redirect to a refused place or past max_redirects, a non-2xx answer (status in the message),
//   or an invalid FetchPolicy;
// - payload_too_large: the body is over policy.max_bytes;
// - upstream_timeout: the whole fetch took longer than policy.timeout_ms (host name lookups
//   are bounded by the system resolver's own timeout: getaddrinfo cannot be interrupted);
// - upstream_unavailable: the host does not resolve, no connection, TLS failure (including an
//   untrusted certificate), connection lost;
// - cancelled: the caller's cancellation.
boost::asio::awaitable<Result<FetchedMedia>> fetch_url(std::string url, FetchPolicy policy);

// Decodes `data:[<media type>][;base64],<data>` (base64 or percent-encoded). payload_too_large
// when the decoded size is over max_bytes (detected before decoding); invalid_request when
// malformed.
Result<Bytes> decode_data_url(std::string_view url, size_t max_bytes);

}  // namespace sl
