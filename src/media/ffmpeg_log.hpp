// FFmpeg writes its own log lines to stderr (x264 statistics, demuxer warnings). The app sets
// how chatty it may be from the sightline log level, once at start-up, and tests quiet it.
#pragma once

#include "core/log.hpp"

namespace sl {

// debug: FFmpeg's info and up; otherwise only FFmpeg's fatal messages.
void set_ffmpeg_log_level(log::Level level);

}  // namespace sl
