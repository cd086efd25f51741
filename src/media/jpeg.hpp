// JPEG encoding and decoding with TurboJPEG, straight from/to planar YUV (no RGB step).
// Limited-range ("video levels") input is expanded to full range through a lookup table while
// copying into the encoder's planes, because JFIF assumes full range and colours would wash out.
#pragma once

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

// Encodes any VideoImage layout (4:2:0, 4:2:2, 4:4:4). quality 1..100.
Result<Bytes> encode_jpeg(const VideoImage& image, int quality = 85);

// Decodes a JPEG to a full-range planar YUV image (layout follows the JPEG's subsampling;
// unusual subsamplings are converted to 4:2:0).
Result<VideoImage> decode_jpeg(const Bytes& jpeg);

}  // namespace sl
