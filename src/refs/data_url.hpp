// Decoding of `data:` URLs (RFC 2397) under a size limit: the one kind of media URL that needs no
// network. Pure function.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

// Decodes `data:[<media type>][;base64],<data>` (base64 or percent-encoded). payload_too_large
// when the decoded size is over max_bytes (detected before decoding); invalid_request when
// malformed.
Result<Bytes> decode_data_url(std::string_view url, size_t max_bytes);

}  // namespace sl
