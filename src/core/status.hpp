// Errors as values. Every fallible operation inside sightline returns Status or Result<T>;
// exceptions never cross a module border or a thread. ErrorCode names are the wire codes of
// SPEC.md (e.g. "stream_not_found"), so the api layer maps a code to its HTTP status and
// envelope in one table and nothing else has to know about HTTP.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace sl {

enum class ErrorCode {
  invalid_request,       // malformed body / parameter (400)
  invalid_reference,     // bad ovs:// reference (422)
  invalid_value,         // a well-formed setting outside its allowed range (422)
  unauthorized,          // missing or wrong API key (401)
  not_found,             // route or object that is not a stream (404)
  stream_not_found,      // unknown stream or another key's stream (404)
  stream_not_ready,      // stream has no frame yet (409)
  frame_not_available,   // referenced frame is newer than the newest (422)
  frame_not_found,       // no frame within tolerance (404)
  segment_empty,         // segment has no retained frames (422)
  model_not_found,       // unknown model id (404)
  too_many_streams,      // per-key concurrent stream limit (429)
  rate_limited,          // generic 429 (e.g. a key's concurrent request limit)
  quota_exceeded,        // a key's resource budget (pixel rate, retained bytes) is spent (429)
  permission_denied,     // the key may see the object but not change it (403)
  payload_too_large,     // body or media over a limit (413)
  unsupported,           // valid but not supported here (400)
  unsupported_media,     // media this server cannot take: an SDP offer without video, or with
                         // only codecs it cannot depayload (422)
  conflict,              // the resource is taken (a second WHIP publisher) (409)
  source_error,          // camera / source failure
  upstream_error,        // backend answered with an error (502)
  upstream_unavailable,  // backend unreachable (503)
  upstream_timeout,      // backend too slow (504)
  cancelled,             // caller went away / shutdown
  internal,              // bug or resource failure (500)
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::string param;  // JSON path of the offending input, when there is one
};

inline Error make_error(ErrorCode code, std::string message, std::string param = {}) {
  return Error{code, std::move(message), std::move(param)};
}

// Status: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e)), ok_(false) {}  // NOLINT: implicit by design
  static Status ok_status() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

// Result<T>: a value or an Error. The error type is a parameter so that a module whose callers
// need a richer failure than an ErrorCode (net::NetError: reason, phase, system error) uses the
// same type instead of a copy of it (net::Outcome<T> = Result<T, NetError>).
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}   // NOLINT: implicit by design
  Result(E e) : v_(std::move(e)) {}            // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const { return std::get<1>(v_); }
  Status status() const
    requires std::is_same_v<E, Error>
  {
    return ok() ? Status() : Status(error());
  }

 private:
  std::variant<T, E> v_;
};

}  // namespace sl
