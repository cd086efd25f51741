// Test JPEGs: a small picture with the SPEC.md section 7 barcode of `index`, so a frame that
// went through an MP4 can still be identified after decoding.
#pragma once

#include <cstdint>

#include "backends/chat_call.hpp"
#include "core/media_types.hpp"

namespace sl::testing {

SharedBytes make_test_jpeg(int64_t index, int width = 128, int height = 96);
MediaFrame make_test_frame(int64_t index, int64_t timestamp_ms, int width = 128, int height = 96);

}  // namespace sl::testing
