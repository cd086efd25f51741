// The libtorch forward pass against transformers (fixtures written by
// tools/reference/make_model_fixtures.py: tiny random SmolVLM2 checkpoints in f32 and bf16).
// f32: logits within 1e-4 after the prompt and after each greedy step, from the recorded pixel
// values; greedy continuations identical end to end (decoded picture -> preprocessing -> model).
// bf16: identical greedy continuations; logits within 5% of their largest magnitude, because
// transformers' default attention (PyTorch's SDPA kernel) rounds its intermediates to bf16 at
// other points than the eager arithmetic here does (bf16 keeps about 3 significant digits).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "engine/engine.hpp"
#include "engine/fixtures.hpp"
#include "engine/npy.hpp"
#include "engine/torch/load_model.hpp"

namespace sl::engine {
namespace {

namespace json = boost::json;
using testing::fixture_dir;
using testing::read_npy;
using testing::read_text;

const json::value& model_reference() {
  static const json::value v = json::parse(read_text(fixture_dir() / "model_reference.json"));
  return v;
}

// The device the models run on: cpu, or the one SIGHTLINE_TEST_DEVICE names (cuda, cuda:1) to
// check a CUDA-enabled libtorch on a GPU machine (bench/engine/device_check.sh). A device this
// libtorch lacks fails the tests rather than skipping them.
ModelOptions on_test_device() {
  ModelOptions options;
  const char* device = std::getenv("SIGHTLINE_TEST_DEVICE");
  if (device && *device) options.device = device;
  return options;
}

struct Loaded {
  std::shared_ptr<const Checkpoint> checkpoint;
  std::shared_ptr<const VlmModel> model;
};

Loaded load(const std::string& folder, ModelOptions::Precision precision, ModelOptions options = {}) {
  auto ckpt = load_checkpoint(fixture_dir() / folder);
  EXPECT_TRUE(ckpt.ok()) << ckpt.error().message;
  auto shared = std::make_shared<const Checkpoint>(std::move(*ckpt));
  options.device = on_test_device().device;
  options.precision = precision;
  if (options.threads == 0) options.threads = 1;
  auto model = load_model(shared, options);
  EXPECT_TRUE(model.ok()) << model.error().message;
  return {shared, std::shared_ptr<const VlmModel>(std::move(*model))};
}

std::vector<int> ints(const json::value& v) {
  std::vector<int> out;
  for (const auto& x : v.as_array()) out.push_back(static_cast<int>(x.as_int64()));
  return out;
}

double max_abs(const json::value& want) {
  double m = 0;
  for (const auto& x : want.as_array()) m = std::max(m, std::fabs(x.to_number<double>()));
  return m;
}

double max_diff(const std::vector<float>& got, const json::value& want) {
  const auto& a = want.as_array();
  EXPECT_EQ(got.size(), a.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(got.size(), a.size()); ++i)
    worst = std::max(worst, std::fabs(double(got[i]) - a[i].to_number<double>()));
  return worst;
}

// The pixel values transformers' processor made for the fixture's image (pixels.npy).
ProcessedImage fixture_pixels(const std::string& folder) {
  auto pixels = read_npy<float>(fixture_dir() / folder / "pixels.npy");
  ProcessedImage img;
  img.tiles = static_cast<int>(pixels.shape[0]);
  img.tile = static_cast<int>(pixels.shape[2]);
  img.pixels = std::move(pixels.data);
  return img;
}

// Feeds the recorded prompt (image rows from the recorded pixel values) and the recorded
// greedy steps, comparing logits each time.
// tolerance: absolute, or (when relative) a fraction of the largest reference logit.
void check_logits(const std::string& folder, ModelOptions::Precision precision, double tolerance, bool relative) {
  Loaded m = load(folder, precision);
  ASSERT_TRUE(m.model);
  for (const auto& cv : model_reference().at("models").at(folder).at("cases").as_array()) {
    const json::object& c = cv.as_object();
    const std::string name(c.at("prompt").as_string());
    std::vector<VisionEncodingPtr> images;
    if (c.contains("pixel_values_shape")) {
      auto enc = m.model->encode(fixture_pixels(folder));
      ASSERT_TRUE(enc.ok()) << enc.error().message;
      images.push_back(*enc);
    }
    auto seq = m.model->new_sequence();
    const std::vector<int> ids = ints(c.at("input_ids"));
    auto logits = m.model->forward(*seq, ids, images);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    const auto& steps = c.at("logits").as_array();
    auto bound = [&](const json::value& ref) { return relative ? tolerance * max_abs(ref) : tolerance; };
    EXPECT_LE(max_diff(*logits, steps[0]), bound(steps[0])) << folder << " " << name << " prefill";
    const std::vector<int> greedy = ints(c.at("greedy"));
    for (std::size_t s = 1; s < steps.size(); ++s) {
      const int token = greedy[s - 1];
      EXPECT_EQ(argmax(*logits), token) << folder << " " << name << " step " << s;
      logits = m.model->forward(*seq, std::span<const int>(&token, 1), {});
      ASSERT_TRUE(logits.ok());
      EXPECT_LE(max_diff(*logits, steps[s]), bound(steps[s])) << folder << " " << name << " step " << s;
    }
  }
}

TEST(ModelParity, F32LogitsMatchTransformers) { check_logits("tiny_f32", ModelOptions::Precision::f32, 1e-4, false); }

TEST(ModelParity, Bf16LogitsMatchTransformersWithinBf16Rounding) {
  check_logits("tiny_bf16", ModelOptions::Precision::bf16, 0.05, true);
}

// bf16 weights computed in f32: kept bf16 (the default) and converted per use.
TEST(ModelParity, Bf16WeightsInF32StayWithinBf16Rounding) {
  check_logits("tiny_bf16", ModelOptions::Precision::f32, 0.05, true);
}

// Logits of every recorded prompt and its greedy steps under two sets of options, which must
// agree within `tolerance` (absolute) with the same greedy choices.
void check_same_logits(const std::string& folder, const ModelOptions& a_options, const ModelOptions& b_options,
                       double tolerance) {
  Loaded a = load(folder, ModelOptions::Precision::f32, a_options);
  Loaded b = load(folder, ModelOptions::Precision::f32, b_options);
  ASSERT_TRUE(a.model && b.model);
  for (const auto& cv : model_reference().at("models").at(folder).at("cases").as_array()) {
    const json::object& c = cv.as_object();
    const std::string name(c.at("prompt").as_string());
    std::vector<VisionEncodingPtr> a_images, b_images;
    if (c.contains("pixel_values_shape")) {
      const ProcessedImage img = fixture_pixels(folder);
      auto ea = a.model->encode(img);
      auto eb = b.model->encode(img);
      ASSERT_TRUE(ea.ok() && eb.ok());
      a_images.push_back(*ea);
      b_images.push_back(*eb);
    }
    auto a_seq = a.model->new_sequence();
    auto b_seq = b.model->new_sequence();
    std::vector<int> ids = ints(c.at("input_ids"));
    auto la = a.model->forward(*a_seq, ids, a_images);
    auto lb = b.model->forward(*b_seq, ids, b_images);
    for (int step = 0; step < 8; ++step) {
      ASSERT_TRUE(la.ok() && lb.ok());
      ASSERT_EQ(la->size(), lb->size());
      double worst = 0;
      for (std::size_t i = 0; i < la->size(); ++i) worst = std::max(worst, std::fabs(double((*la)[i]) - (*lb)[i]));
      EXPECT_LE(worst, tolerance) << folder << " " << name << " step " << step;
      const int token = argmax(*la);
      EXPECT_EQ(argmax(*lb), token) << folder << " " << name << " step " << step;
      la = a.model->forward(*a_seq, std::span<const int>(&token, 1), {});
      lb = b.model->forward(*b_seq, std::span<const int>(&token, 1), {});
    }
  }
}

// Keeping a bf16 file's matrices bf16 under f32 compute is exact up to the order of f32
// additions (few-row products, unfused projections): it must match converting everything at
// load within the f32 parity bound (measured ~1e-5), with the same greedy tokens.
TEST(ModelParity, Bf16WeightsKeptMatchWeightsConvertedAtLoad) {
  ModelOptions kept, converted;
  converted.keep_bf16_weights = false;
  check_same_logits("tiny_bf16", kept, converted, 1e-4);
}

// The decode pool splits the output rows of the few-row bf16 products between threads; each
// output is computed as on one thread, so the logits are identical, not just close.
TEST(ModelParity, DecodePoolDoesNotChangeTheLogits) {
  for (int threads : {2, 3}) {
    ModelOptions alone, pooled;
    alone.threads = pooled.threads = threads;
    alone.decode_pool = false;
    check_same_logits("tiny_bf16", alone, pooled, 0.0);
  }
}

// Batching the tiles of a picture bounds memory only: every tile is encoded on its own.
TEST(ModelParity, VisionBatchDoesNotChangeTheEncoding) {
  ModelOptions one, all;
  one.vision_batch = 1;
  all.vision_batch = 64;
  check_same_logits("tiny_f32", one, all, 1e-5);
  check_same_logits("tiny_bf16", one, all, 1e-5);
}

// From the picture to the answer: the engine's own preprocessing, prompt expansion,
// tokenisation and greedy loop.
void check_greedy_end_to_end(const std::string& folder, ModelOptions::Precision precision) {
  Loaded m = load(folder, precision);
  ASSERT_TRUE(m.model);
  auto engine = Engine::create(m.checkpoint, m.model, {});
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  for (const auto& cv : model_reference().at("models").at(folder).at("cases").as_array()) {
    const json::object& c = cv.as_object();
    const std::string name(c.at("prompt").as_string());
    GenerationRequest request;
    json::array content;
    if (name == "image") {
      auto a = read_npy<std::uint8_t>(fixture_dir() / "vision" / "images" / "landscape.npy");
      RgbImage rgb(static_cast<int>(a.shape[1]), static_cast<int>(a.shape[0]));
      rgb.data = a.data;
      content.push_back(json::object{{"type", "image"}});
      content.push_back(json::object{{"type", "text"}, {"text", "What is in the image?"}});
      request.images.emplace_back().picture.emplace<RgbImage>(std::move(rgb));
    } else {
      content.push_back(json::object{{"type", "text"}, {"text", "Describe the street, please."}});
    }
    request.messages.push_back(json::object{{"role", "user"}, {"content", content}});
    auto prepared = (*engine)->prepare(request);
    ASSERT_TRUE(prepared.ok()) << prepared.error().message;
    EXPECT_EQ(prepared->ids, ints(c.at("input_ids"))) << folder << " " << name;
    request.params.sampling.temperature = 0;
    request.params.max_tokens = static_cast<int>(c.at("greedy").as_array().size());
    auto result = (*engine)->generate(request, {});
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->tokens, ints(c.at("greedy"))) << folder << " " << name;
  }
}

TEST(ModelParity, F32GreedyTokensMatchEndToEnd) { check_greedy_end_to_end("tiny_f32", ModelOptions::Precision::f32); }
TEST(ModelParity, Bf16GreedyTokensMatchEndToEnd) { check_greedy_end_to_end("tiny_bf16", ModelOptions::Precision::bf16); }

}  // namespace
}  // namespace sl::engine

namespace sl::engine {
namespace {

TEST(ModelLoad, RefusesDevicesThisLibtorchLacks) {
  auto ckpt = load_checkpoint(testing::fixture_dir() / "tiny_f32");
  ASSERT_TRUE(ckpt.ok());
  auto shared = std::make_shared<const Checkpoint>(std::move(*ckpt));
  ModelOptions bad;
  bad.device = "abacus";
  EXPECT_FALSE(load_model(shared, bad).ok());
  ModelOptions negative;
  negative.threads = -1;
  EXPECT_EQ(load_model(shared, negative).error().code, ErrorCode::invalid_request);
  ModelOptions no_batch;
  no_batch.vision_batch = 0;
  EXPECT_EQ(load_model(shared, no_batch).error().code, ErrorCode::invalid_request);
}

TEST(ModelForward, RefusesMismatchedImageRowsAndOverlongInput) {
  auto ckpt = load_checkpoint(testing::fixture_dir() / "tiny_f32");
  ASSERT_TRUE(ckpt.ok());
  auto shared = std::make_shared<const Checkpoint>(std::move(*ckpt));
  auto model = load_model(shared, on_test_device());
  ASSERT_TRUE(model.ok());
  const int image = (*model)->info().image_token_id;
  auto seq = (*model)->new_sequence();
  const std::vector<int> ids{1, image, 2};
  EXPECT_EQ((*model)->forward(*seq, ids, {}).error().code, ErrorCode::invalid_request);
  const std::vector<int> out_of_range{(*model)->info().vocab_size};
  EXPECT_EQ((*model)->forward(*seq, out_of_range, {}).error().code, ErrorCode::invalid_request);
  const std::vector<int> too_long(static_cast<std::size_t>((*model)->info().context_length) + 1, 1);
  EXPECT_EQ((*model)->forward(*seq, too_long, {}).error().code, ErrorCode::invalid_request);
  ProcessedImage wrong_tile;
  wrong_tile.tile = 16;
  wrong_tile.tiles = 1;
  wrong_tile.pixels.resize(wrong_tile.tile_floats());
  EXPECT_EQ((*model)->encode(wrong_tile).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(seq->length(), 0);
}

// A prompt longer than one attention chunk (256 query rows), fed at once, in two pieces and
// token by token: the same logits (the KV cache grows and the causal mask shifts on the way).
TEST(ModelForward, LongPromptsAgreeWhetherFedAtOnceOrInPieces) {
  auto ckpt = load_checkpoint(testing::fixture_dir() / "tiny_f32");
  ASSERT_TRUE(ckpt.ok());
  auto model = load_model(std::make_shared<const Checkpoint>(std::move(*ckpt)), {});
  ASSERT_TRUE(model.ok());
  std::vector<int> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(3 + (i * 37) % 500);
  auto whole = (*model)->new_sequence();
  auto at_once = (*model)->forward(*whole, ids, {});
  ASSERT_TRUE(at_once.ok());
  auto split = (*model)->new_sequence();
  ASSERT_TRUE((*model)->forward(*split, std::span<const int>(ids).first(100), {}).ok());
  auto pieces = (*model)->forward(*split, std::span<const int>(ids).subspan(100), {});
  ASSERT_TRUE(pieces.ok());
  auto stepwise = (*model)->new_sequence();
  Result<std::vector<float>> steps = std::vector<float>{};
  for (const int& id : ids) steps = (*model)->forward(*stepwise, std::span<const int>(&id, 1), {});
  ASSERT_TRUE(steps.ok());
  for (std::size_t i = 0; i < at_once->size(); ++i) {
    ASSERT_NEAR((*at_once)[i], (*pieces)[i], 1e-4) << i;
    ASSERT_NEAR((*at_once)[i], (*steps)[i], 1e-4) << i;
  }
  EXPECT_EQ(whole->length(), 300);
}

TEST(ModelForward, AGeneratedImageTokenIsEmbeddedAsText) {
  // Sampling may pick the image token; transformers then embeds it as text (no pixel_values
  // after the prompt), so a decode step of that one token must not fail.
  auto ckpt = load_checkpoint(testing::fixture_dir() / "tiny_f32");
  ASSERT_TRUE(ckpt.ok());
  auto model = load_model(std::make_shared<const Checkpoint>(std::move(*ckpt)), on_test_device());
  ASSERT_TRUE(model.ok());
  auto seq = (*model)->new_sequence();
  const std::vector<int> prompt{1, 5, 9};
  ASSERT_TRUE((*model)->forward(*seq, prompt, {}).ok());
  const std::vector<int> step{(*model)->info().image_token_id};
  auto logits = (*model)->forward(*seq, step, {});
  ASSERT_TRUE(logits.ok()) << logits.error().message;
  EXPECT_EQ(logits->size(), static_cast<std::size_t>((*model)->info().vocab_size));
  EXPECT_EQ(seq->length(), 4);
}

}  // namespace
}  // namespace sl::engine
