// Pillow's Image.resize for 8-bit RGB pictures, bit for bit: the separable two-pass
// convolution of Pillow's Resample.c (horizontal pass first, over the rows the vertical pass
// needs), coefficients normalised and rounded to 22-bit fixed point, accumulators started at
// one half and clipped to 0..255. Hugging Face's PIL image processors resize through it, so
// matching it is what keeps pixel values identical. The filters are Pillow's numbering
// (PIL.Image.Resampling): 1 Lanczos (a = 3), 2 bilinear, 3 bicubic (a = -0.5), 4 box,
// 5 Hamming; 0 (nearest) is not a convolution and is refused. Pure; thread-safe.
// Errors: invalid_request for an unknown filter or a non-positive size.
#pragma once

#include "core/status.hpp"
#include "engine/rgb_image.hpp"

namespace sl::engine {

Result<RgbImage> resize_like_pil(const RgbImage& image, int width, int height, int pil_filter);

}  // namespace sl::engine
