// Vision preprocessing against transformers' SmolVLM processors (fixtures written by
// tools/reference/make_vision_fixtures.py): identical tiles and token layout, pixel values
// within 1/255, frame sampling and video prompts identical.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/checkpoint.hpp"
#include "engine/fixtures.hpp"
#include "engine/idefics3_processor.hpp"
#include "engine/npy.hpp"
#include "engine/pil_resize.hpp"
#include "engine/video_sampling.hpp"

namespace sl::engine {
namespace {

namespace json = boost::json;
using testing::fixture_dir;
using testing::read_npy;
using testing::read_text;

const json::value& vision() {
  static const json::value v = json::parse(read_text(fixture_dir() / "vision" / "vision.json"));
  return v;
}

RgbImage load_image(const std::string& name) {
  auto a = read_npy<std::uint8_t>(fixture_dir() / "vision" / "images" / (name + ".npy"));
  RgbImage img(static_cast<int>(a.shape.at(1)), static_cast<int>(a.shape.at(0)));
  img.data = std::move(a.data);
  return img;
}

ImageProcessorConfig config_of(const json::object& o) {
  ImageProcessorConfig c;
  c.do_image_splitting = o.at("do_image_splitting").as_bool();
  c.longest_edge = static_cast<int>(o.at("size").at("longest_edge").as_int64());
  c.tile_size = static_cast<int>(o.at("max_image_size").at("longest_edge").as_int64());
  c.resample = static_cast<int>(o.at("resample").as_int64());
  c.rescale_factor = o.at("rescale_factor").to_number<double>();
  for (std::size_t i = 0; i < 3; ++i) {
    c.mean[i] = o.at("image_mean").at(i).to_number<double>();
    c.std[i] = o.at("image_std").at(i).to_number<double>();
  }
  return c;
}

void expect_pixels_close(const std::vector<float>& got, const testing::NpyArray<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.data.size()) << what;
  double worst = 0;
  std::size_t differing = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - want.data[i]);
    worst = std::max(worst, d);
    differing += d > 0;
  }
  // 1/255 before normalisation is 2/255 after (x - 0.5) / 0.5, and more with ImageNet's std.
  EXPECT_LE(worst, 1.0 / 255 / 0.224 + 1e-6) << what;
  // Pillow's arithmetic is reproduced exactly, so in practice no value differs at all.
  EXPECT_EQ(differing, 0u) << what << " worst " << worst;
}

TEST(Vision, ImagesMatchTheProcessorTileForTile) {
  for (const auto& cv : vision().at("images").as_array()) {
    const json::object& c = cv.as_object();
    const std::string name(c.at("case").as_string());
    auto out = preprocess_image(load_image(std::string(c.at("image").as_string())), config_of(c.at("config").as_object()));
    ASSERT_TRUE(out.ok()) << name << ": " << out.error().message;
    EXPECT_EQ(out->rows, c.at("rows").as_int64()) << name;
    EXPECT_EQ(out->cols, c.at("cols").as_int64()) << name;
    EXPECT_EQ(out->tiles, c.at("tiles").as_int64()) << name;
    expect_pixels_close(out->pixels, read_npy<float>(fixture_dir() / "vision" / "pixels" / (name + ".npy")), name);
  }
}

TEST(Vision, PromptTokensMatchTheProcessor) {
  auto ckpt = load_checkpoint(fixture_dir() / "smolvlm2_hub");
  ASSERT_TRUE(ckpt.ok()) << ckpt.error().message;
  for (const auto& cv : vision().at("layouts").as_array()) {
    const json::object& c = cv.as_object();
    auto img = preprocess_image(load_image(std::string(c.at("image").as_string())), ckpt->processor.image);
    ASSERT_TRUE(img.ok());
    const std::string prompt_in(c.at("text").as_string());
    std::string expanded;
    std::size_t pos = 0;
    for (std::size_t at; (at = prompt_in.find("<image>", pos)) != std::string::npos; pos = at + 7)
      expanded += prompt_in.substr(pos, at - pos) + image_prompt(img->rows, img->cols, ckpt->processor.image_seq_len);
    expanded += prompt_in.substr(pos);
    std::vector<int> want;
    for (const auto& id : c.at("input_ids").as_array()) want.push_back(static_cast<int>(id.as_int64()));
    EXPECT_EQ(ckpt->tokenizer.encode(expanded, true), want) << prompt_in;
  }
}

TEST(Vision, VideoFramesMatchTheVideoProcessor) {
  const json::value* video = vision().as_object().if_contains("video");
  if (!video || video->is_null()) GTEST_SKIP() << "fixtures written without torchvision";
  auto ckpt = load_checkpoint(fixture_dir() / "smolvlm2_hub");
  ASSERT_TRUE(ckpt.ok());
  EXPECT_EQ(ckpt->processor.video.longest_edge, video->at("size").at("longest_edge").as_int64());
  EXPECT_EQ(ckpt->processor.video.tile_size, video->at("max_image_size").at("longest_edge").as_int64());
  auto clip = read_npy<std::uint8_t>(fixture_dir() / "vision" / "images" / "clip.npy");
  const int frames = static_cast<int>(clip.shape[0]), h = static_cast<int>(clip.shape[1]), w = static_cast<int>(clip.shape[2]);
  std::vector<float> got;
  for (int f = 0; f < frames; ++f) {
    RgbImage frame(w, h);
    const std::size_t n = frame.data.size();
    std::copy_n(clip.data.begin() + static_cast<std::ptrdiff_t>(n * static_cast<std::size_t>(f)), n, frame.data.begin());
    auto out = preprocess_video_frame(frame, ckpt->processor);
    ASSERT_TRUE(out.ok());
    got.insert(got.end(), out->pixels.begin(), out->pixels.end());
  }
  auto want = read_npy<float>(fixture_dir() / "vision" / "pixels" / "clip.npy");
  ASSERT_EQ(got.size(), want.data.size());
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - want.data[i]));
  // transformers resizes video with torchvision's Lanczos, a port of Pillow's that rounds a few
  // pixels one level differently: within 1/255 before normalisation (2/255 after it).
  EXPECT_LE(worst, 2.0 / 255 + 1e-6);
}

TEST(Vision, FrameSamplingMatchesTheVideoProcessor) {
  for (const auto& cv : vision().at("sampling").as_array()) {
    const json::object& c = cv.as_object();
    VideoClipInfo clip{static_cast<int>(c.at("total_frames").as_int64()), c.at("fps").to_number<double>(),
                       c.at("duration").to_number<double>()};
    std::vector<int> want;
    for (const auto& i : c.at("indices").as_array()) want.push_back(static_cast<int>(i.as_int64()));
    EXPECT_EQ(sample_frame_indices(clip, static_cast<int>(c.at("max_frames").as_int64()), c.at("target_fps").to_number<double>()),
              want)
        << json::serialize(cv);
  }
}

TEST(Vision, VideoPromptsMatchTheProcessor) {
  for (const auto& cv : vision().at("video_prompts").as_array()) {
    const json::object& c = cv.as_object();
    std::vector<double> stamps;
    for (const auto& t : c.at("timestamps").as_array()) stamps.push_back(t.to_number<double>());
    const double duration = c.at("duration").is_null() ? stamps.back() : c.at("duration").to_number<double>();
    EXPECT_EQ(video_prompt(stamps, duration, 4), std::string_view(c.at("prompt").as_string()));
  }
  for (const auto& [n, words] : vision().at("numbers").as_object())
    EXPECT_EQ(number_in_words(std::stoll(std::string(n))), std::string_view(words.as_string()));
}

TEST(Vision, ResizeRefusesNearestAndEmptySizes) {
  RgbImage img(4, 4);
  EXPECT_FALSE(resize_like_pil(img, 2, 2, 0).ok());
  EXPECT_FALSE(resize_like_pil(img, 0, 2, 1).ok());
  EXPECT_TRUE(resize_like_pil(img, 3, 5, 1).ok());
}

TEST(Vision, PreprocessingHashFollowsPixelSettingsOnly) {
  ProcessorConfig a, b;
  EXPECT_EQ(preprocessing_hash(a), preprocessing_hash(b));
  b.image_seq_len = 99;  // prompt only
  EXPECT_EQ(preprocessing_hash(a), preprocessing_hash(b));
  b.image.tile_size = 512;
  EXPECT_NE(preprocessing_hash(a), preprocessing_hash(b));
  ProcessorConfig c;
  c.image.mean[1] = 0.45;
  EXPECT_NE(preprocessing_hash(a), preprocessing_hash(c));
}

}  // namespace
}  // namespace sl::engine
