// Turns a ChatCall into the JSON body sent to an OpenAI-compatible server: the model id is
// replaced by the upstream's name when configured, and every ovs_media placeholder becomes
// standard content parts. Images go as JPEG data URLs. A video segment goes either as
// `frames` (each frame an image part preceded by a text part with its stream time, "t=12.5s",
// which every vision model understands) or `native` (one video_url data URL holding an H.264
// MP4 built from the sampled frames, for servers such as vLLM that take video). Everything
// else in the client's request is kept as is. The output is a pure function of the input, so
// the same frames give byte-identical upstream text and upstream prompt caches can hit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "backends/chat_call.hpp"
#include "core/status.hpp"

namespace sl {

enum class VideoMode { frames, native };

std::string_view to_string(VideoMode mode);
std::optional<VideoMode> parse_video_mode(std::string_view text);

struct UpstreamFormat {
  VideoMode video = VideoMode::frames;
  std::string upstream_model;  // empty: keep the client's model id
};

// "t=12.5s": stream time in seconds, one decimal, rounded half up.
std::string format_frame_time(int64_t timestamp_ms);

// The upstream request body. Errors (internal): a placeholder whose index has no media, media
// without frames, or an MP4 that cannot be built.
Result<boost::json::object> build_upstream_body(const ChatCall& call, const UpstreamFormat& format);

// Makes `body` a streaming or non-streaming request: sets "stream", and keeps
// "stream_options" (e.g. include_usage) only when streaming, since servers such as vLLM reject
// stream_options on a non-streaming request.
void set_stream_mode(boost::json::object& body, bool stream);

}  // namespace sl
