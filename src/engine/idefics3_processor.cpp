#include "engine/idefics3_processor.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <tuple>

#include "engine/pil_resize.hpp"

namespace sl::engine {
namespace {

constexpr int kMaxImageSize = 4096;  // transformers' MAX_IMAGE_SIZE

Result<RgbImage> resize(const RgbImage& image, int height, int width, int filter) {
  return resize_like_pil(image, width, height, filter);
}

// resize_for_vision_encoder: both edges up to multiples of the tile, the aspect ratio kept
// through the longer one first.
std::pair<int, int> tile_multiple_size(int height, int width, int tile) {
  const double aspect = static_cast<double>(width) / height;
  if (width >= height) {
    width = static_cast<int>(std::ceil(static_cast<double>(width) / tile)) * tile;
    height = static_cast<int>(width / aspect);
    height = static_cast<int>(std::ceil(static_cast<double>(height) / tile)) * tile;
  } else {
    height = static_cast<int>(std::ceil(static_cast<double>(height) / tile)) * tile;
    width = static_cast<int>(height * aspect);
    width = static_cast<int>(std::ceil(static_cast<double>(width) / tile)) * tile;
  }
  return {height, width};
}

// Appends one tile (CHW float32) cut at (x0, y0) from `image`, rescaled and normalised as
// numpy does: float32(u * factor computed in float64), then (p - mean) / std in float32.
void append_tile(const RgbImage& image, int x0, int y0, int tile, const ImageProcessorConfig& c,
                 std::vector<float>& out) {
  std::array<float, 3> mean{}, std{};
  for (std::size_t ch = 0; ch < 3; ++ch) {
    mean[ch] = static_cast<float>(c.mean[ch]);
    std[ch] = static_cast<float>(c.std[ch]);
  }
  std::array<float, 256> level{};
  for (int u = 0; u < 256; ++u) {
    level[static_cast<std::size_t>(u)] =
        c.do_rescale ? static_cast<float>(static_cast<double>(u) * c.rescale_factor) : static_cast<float>(u);
  }
  const std::size_t base = out.size();
  out.resize(base + 3 * static_cast<std::size_t>(tile) * static_cast<std::size_t>(tile));
  for (std::size_t ch = 0; ch < 3; ++ch) {
    float* plane = out.data() + base + ch * static_cast<std::size_t>(tile) * static_cast<std::size_t>(tile);
    for (int y = 0; y < tile; ++y) {
      const std::uint8_t* src = image.row(y0 + y) + static_cast<std::size_t>(x0) * 3 + ch;
      float* dst = plane + static_cast<std::size_t>(y) * static_cast<std::size_t>(tile);
      for (int x = 0; x < tile; ++x) {
        float v = level[src[static_cast<std::size_t>(x) * 3]];
        if (c.do_normalize) v = (v - mean[ch]) / std[ch];
        dst[x] = v;
      }
    }
  }
}

Result<ProcessedImage> one_tile(const RgbImage& image, const ImageProcessorConfig& c) {
  auto squeezed = resize(image, c.tile_size, c.tile_size, c.resample);
  if (!squeezed.ok()) return squeezed.error();
  ProcessedImage out;
  out.tile = c.tile_size;
  out.tiles = 1;
  append_tile(*squeezed, 0, 0, c.tile_size, c, out.pixels);
  return out;
}

void mix(std::uint64_t& h, std::uint64_t v) {  // FNV-1a over the 8 bytes of v
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
}

}  // namespace

std::pair<int, int> longest_edge_size(int height, int width, int longest_edge) {
  // _resize_output_size_rescale_to_max_len (min_len 1), then ..._scale_below_upper_bound.
  const double aspect = static_cast<double>(width) / height;
  if (width >= height) {
    width = longest_edge;
    height = static_cast<int>(width / aspect);
    if (height % 2 != 0) ++height;
  } else {
    height = longest_edge;
    width = static_cast<int>(height * aspect);
    if (width % 2 != 0) ++width;
  }
  height = std::max(height, 1);
  width = std::max(width, 1);
  const double aspect2 = static_cast<double>(width) / height;
  if (width >= height && width > kMaxImageSize) {
    width = kMaxImageSize;
    height = static_cast<int>(width / aspect2);
  } else if (height > width && height > kMaxImageSize) {
    height = kMaxImageSize;
    width = static_cast<int>(height * aspect2);
  }
  return {std::max(height, 1), std::max(width, 1)};
}

TileGrid tile_grid(int width, int height, const ImageProcessorConfig& c) {
  if (width <= 0 || height <= 0 || c.tile_size <= 0 || !c.do_image_splitting) return {};
  if (c.do_resize) std::tie(height, width) = longest_edge_size(height, width, c.longest_edge);
  auto [h, w] = tile_multiple_size(height, width, c.tile_size);
  if (h <= c.tile_size && w <= c.tile_size) return {};
  return {(h - c.tile_size) / c.tile_size + 1, (w - c.tile_size) / c.tile_size + 1};
}

Result<ProcessedImage> preprocess_image(const RgbImage& image, const ImageProcessorConfig& c) {
  if (image.width <= 0 || image.height <= 0) return make_error(ErrorCode::invalid_request, "engine: empty picture");
  if (c.tile_size <= 0) return make_error(ErrorCode::invalid_request, "engine: tile size must be positive");
  RgbImage resized;
  const RgbImage* current = &image;
  if (c.do_resize) {
    auto [h, w] = longest_edge_size(image.height, image.width, c.longest_edge);
    auto r = resize(image, h, w, c.resample);
    if (!r.ok()) return r.error();
    resized = std::move(*r);
    current = &resized;
  }
  if (!c.do_image_splitting) return one_tile(*current, c);

  auto [h, w] = tile_multiple_size(current->height, current->width, c.tile_size);
  auto grid = resize(*current, h, w, c.resample);
  if (!grid.ok()) return grid.error();
  if (grid->height <= c.tile_size && grid->width <= c.tile_size) return one_tile(*grid, c);
  ProcessedImage out;
  out.tile = c.tile_size;
  out.rows = (grid->height - c.tile_size) / c.tile_size + 1;
  out.cols = (grid->width - c.tile_size) / c.tile_size + 1;
  out.tiles = out.rows * out.cols + 1;
  out.pixels.reserve(static_cast<std::size_t>(out.tiles) * out.tile_floats());
  for (int r = 0; r < out.rows; ++r)
    for (int col = 0; col < out.cols; ++col) append_tile(*grid, col * c.tile_size, r * c.tile_size, c.tile_size, c, out.pixels);
  auto global = one_tile(*grid, c);
  if (!global.ok()) return global.error();
  out.pixels.insert(out.pixels.end(), global->pixels.begin(), global->pixels.end());
  return out;
}

Result<ProcessedImage> preprocess_video_frame(const RgbImage& frame, const ProcessorConfig& config) {
  if (frame.width <= 0 || frame.height <= 0) return make_error(ErrorCode::invalid_request, "engine: empty picture");
  ImageProcessorConfig c = config.image;
  c.tile_size = config.video.tile_size;
  RgbImage resized;
  const RgbImage* current = &frame;
  if (c.do_resize) {
    // The video processor's get_resize_output_image_size: the same rule without the 4096 pass
    // (the edge itself is capped at 4096 instead).
    auto [h, w] = longest_edge_size(frame.height, frame.width, std::min(config.video.longest_edge, kMaxImageSize));
    auto r = resize(frame, h, w, c.resample);
    if (!r.ok()) return r.error();
    resized = std::move(*r);
    current = &resized;
  }
  return one_tile(*current, c);
}

std::string image_prompt(int rows, int cols, int image_seq_len, const ImageTokens& t) {
  std::string run;
  for (int i = 0; i < image_seq_len; ++i) run += t.image;
  std::string out;
  if (rows > 0 || cols > 0) {
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c)
        out += t.fake + "<row_" + std::to_string(r + 1) + "_col_" + std::to_string(c + 1) + ">" + run;
      out += "\n";
    }
    out += "\n";
  }
  out += t.fake + t.global + run + t.fake;
  return out;
}

std::uint64_t preprocessing_hash(const ProcessorConfig& config) {
  const ImageProcessorConfig& c = config.image;
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (bool b : {c.do_resize, c.do_rescale, c.do_normalize, c.do_image_splitting}) mix(h, b ? 1 : 0);
  for (int v : {c.longest_edge, c.tile_size, c.resample, config.video.longest_edge, config.video.tile_size})
    mix(h, static_cast<std::uint64_t>(v));
  mix(h, std::bit_cast<std::uint64_t>(c.rescale_factor));
  for (std::size_t i = 0; i < 3; ++i) {
    mix(h, std::bit_cast<std::uint64_t>(c.mean[i]));
    mix(h, std::bit_cast<std::uint64_t>(c.std[i]));
  }
  return h;
}

}  // namespace sl::engine
