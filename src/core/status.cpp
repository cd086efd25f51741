#include "core/status.hpp"

namespace sl {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_request: return "invalid_request";
    case ErrorCode::invalid_reference: return "invalid_reference";
    case ErrorCode::unauthorized: return "invalid_api_key";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::stream_not_found: return "stream_not_found";
    case ErrorCode::stream_not_ready: return "stream_not_ready";
    case ErrorCode::frame_not_available: return "frame_not_available";
    case ErrorCode::frame_not_found: return "frame_not_found";
    case ErrorCode::segment_empty: return "segment_empty";
    case ErrorCode::model_not_found: return "model_not_found";
    case ErrorCode::too_many_streams: return "too_many_streams";
    case ErrorCode::rate_limited: return "rate_limit_exceeded";
    case ErrorCode::quota_exceeded: return "quota_exceeded";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::payload_too_large: return "payload_too_large";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::invalid_value: return "invalid_value";
    case ErrorCode::unsupported_media: return "unsupported_media";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::source_error: return "source_error";
    case ErrorCode::upstream_error: return "upstream_error";
    case ErrorCode::upstream_unavailable: return "upstream_unavailable";
    case ErrorCode::upstream_timeout: return "upstream_timeout";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::internal: return "internal_error";
  }
  return "internal_error";
}

}  // namespace sl
