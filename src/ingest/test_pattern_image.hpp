// The picture of the test_pattern source: limited-range I420 with the SPEC §7 barcode of the
// frame number in the top band, a slowly moving gradient and a box crossing the frame, so a
// viewer (or a model) sees it is alive and a decoder can name every frame.
#pragma once

#include <cstdint>

#include "core/media_types.hpp"

namespace sl {

// A new picture (it owns its buffer). `barcode` is drawn; `phase` drives the motion.
VideoImage render_test_pattern(int width, int height, int64_t barcode, int64_t phase);

}  // namespace sl
