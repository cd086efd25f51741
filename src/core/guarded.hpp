// guarded(work, component, what): awaits a coroutine and turns an exception that escapes it into
// an error value, so a failing handler never unwinds into the transport and a detached coroutine
// never fails silently. operation_aborted (the coroutine was cancelled: the client left, the
// server is stopping) becomes ErrorCode::cancelled ("<what> cancelled") and is not logged; any
// other exception becomes ErrorCode::internal ("<what> failed: <exception>") and is logged under
// `component`: a system_error as a warning (an I/O failure), anything else as an error (a bug).
// Exceptions not derived from std::exception are not caught. Both strings must outlive the call
// (pass literals). Used at every boundary where a coroutine's exceptions must become values: the
// HTTP and WebSocket transports, the outbound fetcher and the backends.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include "core/log.hpp"
#include "core/status.hpp"

namespace sl {

namespace guarded_detail {

inline Error classify(const boost::system::system_error& e, std::string_view component,
                      std::string_view what) {
  if (e.code() == boost::asio::error::operation_aborted)
    return make_error(ErrorCode::cancelled, std::string(what) + " cancelled");
  std::string message = std::string(what) + " failed: " + e.what();
  log::warn(component, message);
  return make_error(ErrorCode::internal, std::move(message));
}

inline Error classify(const std::exception& e, std::string_view component, std::string_view what) {
  std::string message = std::string(what) + " failed: " + e.what();
  log::error(component, message);
  return make_error(ErrorCode::internal, std::move(message));
}

}  // namespace guarded_detail

inline boost::asio::awaitable<Status> guarded(boost::asio::awaitable<void> work,
                                              std::string_view component, std::string_view what) {
  try {
    co_await std::move(work);
  } catch (const boost::system::system_error& e) {
    co_return guarded_detail::classify(e, component, what);
  } catch (const std::exception& e) {
    co_return guarded_detail::classify(e, component, what);
  }
  co_return Status();
}

// Work that returns its own error value (Status or Result<T>): that value passes through.
template <class R>
  requires std::is_constructible_v<R, Error>
boost::asio::awaitable<R> guarded(boost::asio::awaitable<R> work, std::string_view component,
                                  std::string_view what) {
  try {
    co_return co_await std::move(work);
  } catch (const boost::system::system_error& e) {
    co_return guarded_detail::classify(e, component, what);
  } catch (const std::exception& e) {
    co_return guarded_detail::classify(e, component, what);
  }
}

}  // namespace sl
