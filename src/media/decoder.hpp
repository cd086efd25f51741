// Video decoding with libavcodec behind RAII. A Decoder is built for one CodecConfig and decodes
// packets in decode order to pictures in presentation order. decode_packets() is the one-shot
// form used to re-decode a stored GOP on demand.
#pragma once

#include <memory>
#include <vector>

#include "core/media_types.hpp"
#include "core/status.hpp"

namespace sl {

struct DecodedFrame {
  int64_t pts = kNoPts;
  VideoImage image;  // references the AVFrame (no copy); planar YUV of any VideoImage layout
};

class Decoder {
 public:
  static Result<std::unique_ptr<Decoder>> create(const CodecConfig& config, int threads = 1);
  virtual ~Decoder() = default;
  // Feeds one packet; appends every picture that became ready to `out`.
  virtual Status decode(const Packet& packet, std::vector<DecodedFrame>& out) = 0;
  // Drains the pictures still buffered (end of a GOP or stream).
  virtual Status flush(std::vector<DecodedFrame>& out) = 0;
};

// Decodes a whole packet run (starting at a keyframe) and returns all pictures.
Result<std::vector<DecodedFrame>> decode_packets(const CodecConfig& config,
                                                 const std::vector<Packet>& packets);

}  // namespace sl
