#include "net/net_error.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

namespace sl::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::blocked: return "blocked";
    case Reason::connect_failed: return "connect_failed";
    case Reason::tls: return "tls";
    case Reason::timeout: return "timeout";
    case Reason::connection_lost: return "connection_lost";
    case Reason::protocol: return "protocol";
    case Reason::too_large: return "too_large";
    case Reason::cancelled: return "cancelled";
    case Reason::internal: return "internal";
  }
  return "internal";
}

NetError classify(Phase phase, const error_code& ec) {
  NetError e;
  e.phase = phase;
  e.ec = ec;
  e.detail = ec.message();
  if (ec == asio::error::timed_out) {
    e.reason = Reason::timeout;
  } else if (ec == asio::error::operation_aborted) {
    e.reason = Reason::cancelled;
  } else {
    switch (phase) {
      case Phase::wait_pool:
      case Phase::resolve:
      case Phase::connect:
        e.reason = Reason::connect_failed;
        break;
      case Phase::handshake:
        e.reason = Reason::tls;
        break;
      case Phase::send:
      case Phase::read_header:
      case Phase::read_body:
        // Beast's HTTP errors other than a clean end of stream mean bytes we cannot read.
        e.reason = ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
                           ec != http::error::end_of_stream
                       ? Reason::protocol
                       : Reason::connection_lost;
        break;
    }
  }
  return e;
}

}  // namespace sl::net
