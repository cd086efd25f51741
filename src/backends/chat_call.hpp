// The value a backend receives for one Chat Completion: the client's OpenAI request body, in
// which every ovs:// content part has already been resolved (by refs, before the backend) and
// replaced by a placeholder part {"type":"ovs_media","index":k}, plus the resolved media those
// placeholders point at. Keeping the pixels out of the JSON lets each backend choose how to
// present them (data URLs, image parts with time labels, an MP4, or engine-side embeddings)
// and lets the JPEG bytes be shared, not copied, between requests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/media_types.hpp"

namespace sl {

// One sampled frame, as a JPEG (cached per frame and size, so byte-identical across requests)
// or, for backends that want pictures (Backend::wants_pictures), as the decoded picture.
struct MediaFrame {
  int64_t index = 0;         // lifetime frame index
  int64_t timestamp_ms = 0;  // stream clock
  int width = 0;
  int height = 0;
  SharedBytes jpeg;          // may be null when `picture` is set
  VideoImage picture{};      // invalid unless rendered as a picture
};

// What one ovs:// reference resolved to: one frame (image_url) or a sampled segment
// (video_url), frames in presentation order.
struct ResolvedMedia {
  bool video = false;
  std::vector<MediaFrame> frames;
  std::string stream_id{};  // the stream the frames come from; empty for fetched/uploaded media
};

// Name of the placeholder part type that stands for media[index].
inline constexpr const char* kOvsMediaPartType = "ovs_media";

struct ChatCall {
  boost::json::object body;          // OpenAI request with ovs_media placeholder parts
  std::vector<ResolvedMedia> media;  // indexed by the placeholders' "index"
};

}  // namespace sl
