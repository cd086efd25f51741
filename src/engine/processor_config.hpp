// The image/video processor settings of a checkpoint, read from either layout in use:
//  - the Hub's today: preprocessor_config.json (image processor, with "video_sampling") and
//    an optional processor_config.json holding image_seq_len;
//  - transformers 5's: processor_config.json with nested "image_processor" and
//    "video_processor" objects.
// Absent keys take the SmolVLM image processor's defaults. Errors: not_found when neither
// layout is present, invalid_request for malformed values; messages name the file.
#pragma once

#include <array>
#include <filesystem>
#include <string>

#include "core/status.hpp"

namespace sl::engine {

struct ImageProcessorConfig {
  bool do_convert_rgb = true;
  bool do_resize = true;
  bool do_rescale = true;
  bool do_normalize = true;
  bool do_pad = true;
  bool do_image_splitting = true;
  int longest_edge = 1536;  // "size": the whole image is first resized to fit this
  int tile_size = 384;      // "max_image_size": tiles and the global view are this size
  int resample = 1;         // PIL filter number (1 = Lanczos)
  double rescale_factor = 1.0 / 255.0;
  std::array<double, 3> mean{0.5, 0.5, 0.5};
  std::array<double, 3> std{0.5, 0.5, 0.5};
};

struct VideoSamplingConfig {
  double fps = 1.0;
  int max_frames = 64;
  // Frames are resized so their longest edge is this, then squeezed to one tile_size square
  // (never split). In the Hub layout transformers' video processor takes the image "size" for
  // this edge whenever both "size" and "video_sampling" are present, and so does this reader.
  int longest_edge = 384;
  int tile_size = 384;
};

struct ProcessorConfig {
  enum class Layout { hub, transformers5 } layout = Layout::hub;
  ImageProcessorConfig image;
  VideoSamplingConfig video;
  int image_seq_len = 0;  // 0: not given; the model's own value applies
};

Result<ProcessorConfig> load_processor_config(const std::filesystem::path& folder);

}  // namespace sl::engine
