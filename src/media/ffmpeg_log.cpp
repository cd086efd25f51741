#include "media/ffmpeg_log.hpp"

extern "C" {
#include <libavutil/log.h>
}

namespace sl {

void set_ffmpeg_log_level(log::Level level) {
  switch (level) {
    case log::Level::debug: av_log_set_level(AV_LOG_INFO); break;
    // FFmpeg "errors" are mostly routine (a stream joined mid-GOP references a PPS not seen
    // yet); sightline logs the failures that matter itself.
    case log::Level::info:
    case log::Level::warn:
    case log::Level::error: av_log_set_level(AV_LOG_FATAL); break;
  }
}

}  // namespace sl
