// The frame barcode of SPEC.md section 7: the top band (height max(32, H/8)) split into 16
// cells; cell i is luma 235 when bit (15 - i) of index mod 65536 is set, else 16.
#pragma once

#include <cstdint>

#include "core/media_types.hpp"

namespace sl {

// Draws the barcode into a writable luma plane.
void draw_barcode(uint8_t* luma, int stride, int width, int height, int64_t index);

// Reads it back from a picture (threshold 128 at the centre of each cell); -1 if unreadable.
int64_t read_barcode(const VideoImage& image);

}  // namespace sl
