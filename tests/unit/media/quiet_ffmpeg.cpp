// Keeps x264's statistics and expected decoder complaints out of the test output.
#include <gtest/gtest.h>

#include <memory>

#include "media/ffmpeg_log.hpp"

namespace {

class QuietFfmpeg : public ::testing::Environment {
 public:
  void SetUp() override { sl::set_ffmpeg_log_level(sl::log::Level::error); }
};

// gtest owns registered environments.
const auto* const kQuiet =
    ::testing::AddGlobalTestEnvironment(std::make_unique<QuietFfmpeg>().release());

}  // namespace
