// Video ("limited", Y 16..235, C 16..240) to full-range levels for 8-bit YUV samples, rounded.
// One definition for every place that expands a limited-range picture without swscale: media's
// JPEG encoder and the engine's RGB conversion, so a picture sent as a JPEG and the same picture
// handed to the engine decoded see the same levels. Constant tables; thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

namespace sl {

struct VideoLevelTables {
  std::array<uint8_t, 256> luma{};
  std::array<uint8_t, 256> chroma{};
  constexpr VideoLevelTables() {
    for (int v = 0; v < 256; ++v) {
      const int y = ((v - 16) * 255 + 109) / 219;
      const int c = ((v - 128) * 255 + (v >= 128 ? 112 : -112)) / 224 + 128;
      luma[static_cast<size_t>(v)] = static_cast<uint8_t>(std::clamp(y, 0, 255));
      chroma[static_cast<size_t>(v)] = static_cast<uint8_t>(std::clamp(c, 0, 255));
    }
  }
};

inline constexpr VideoLevelTables kVideoToFullRange{};

}  // namespace sl
