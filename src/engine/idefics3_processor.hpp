// The Idefics3 / SmolVLM image preprocessing of Hugging Face's SmolVLMImageProcessorPil, as a
// checkpoint's processor config drives it, and the prompt text each image expands to:
//  1. resize so the longest edge is `size.longest_edge` (up or down; the other edge keeps the
//     aspect ratio, truncated and rounded up to even; nothing over 4096);
//  2. with do_image_splitting: resize up to multiples of the tile size (max_image_size), cut
//     rows x cols tiles, then append the whole picture squeezed to one tile (the global view);
//     without it (and for video frames): squeeze the picture to one tile;
//  3. rescale and normalise in float32 exactly as numpy does.
// Every resize is Pillow's (pil_resize.hpp) with the config's filter (Lanczos by default).
// The prompt for an image is the processor's expansion of `<image>`: per tile
// `<fake_token_around_image><row_R_col_C>` + image_seq_len x `<image>`, a newline after each
// row, then `\n<fake_token_around_image><global-img>` + image_seq_len x `<image>` +
// `<fake_token_around_image>`; an unsplit picture is only the global part.
// Pure functions; thread-safe. Errors: invalid_request (empty picture, unsupported filter).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "engine/processor_config.hpp"
#include "engine/rgb_image.hpp"

namespace sl::engine {

struct ProcessedImage {
  int rows = 0;  // 0 x 0: not split, one tile (the global view)
  int cols = 0;
  int tile = 0;  // tile side in pixels
  int tiles = 0;
  std::vector<float> pixels;  // tiles x 3 x tile x tile, the model's pixel_values for this image

  std::size_t tile_floats() const { return 3 * static_cast<std::size_t>(tile) * static_cast<std::size_t>(tile); }
};

Result<ProcessedImage> preprocess_image(const RgbImage& image, const ImageProcessorConfig& config);
// A video frame: resized to the video's longest edge, then squeezed to one tile (no split).
Result<ProcessedImage> preprocess_video_frame(const RgbImage& frame, const ProcessorConfig& config);

// The rows x cols of tiles preprocess_image() cuts from a picture of this size (0 x 0: one
// tile), without touching pixels (transformers' get_number_of_image_patches).
struct TileGrid {
  int rows = 0;
  int cols = 0;
};
TileGrid tile_grid(int width, int height, const ImageProcessorConfig& config);

// The output size of step 1 (height, width), exposed for tests.
std::pair<int, int> longest_edge_size(int height, int width, int longest_edge);

struct ImageTokens {
  std::string fake = "<fake_token_around_image>";
  std::string image = "<image>";
  std::string global = "<global-img>";
};
std::string image_prompt(int rows, int cols, int image_seq_len, const ImageTokens& tokens = {});

// A stable digest of everything in the config that changes pixel values (for cache keys):
// equal configs give equal hashes across runs and builds.
std::uint64_t preprocessing_hash(const ProcessorConfig& config);

}  // namespace sl::engine
