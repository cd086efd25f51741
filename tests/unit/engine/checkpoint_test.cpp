#include "engine/checkpoint.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "engine/fixtures.hpp"
#include "engine/smolvlm_family.hpp"

namespace sl::engine {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::fixture_dir;
using testing::read_text;
using testing::reference;

// A scratch copy of a fixture folder, removed at the end of the test.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& fixture) {
    path_ = fs::temp_directory_path() /
            ("sl_engine_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::copy(fixture_dir() / fixture, path_, fs::copy_options::recursive);
  }
  ~ScratchFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path_ / name, std::ios::binary | std::ios::trunc) << bytes;
  }

 private:
  fs::path path_;
};

std::string safetensors_bytes(const std::string& header, std::size_t data_bytes) {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + std::string(data_bytes, '\0');
}

TEST(Checkpoint, LoadsTheHubLayout) {
  auto c = load_checkpoint(fixture_dir() / "smolvlm2_hub");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->family->name(), "smolvlm");
  EXPECT_EQ(c->spec.architecture, "SmolVLMForConditionalGeneration");
  EXPECT_EQ(c->weights.file_count(), 1u);
  EXPECT_EQ(c->processor.layout, ProcessorConfig::Layout::hub);
  EXPECT_EQ(c->processor.image_seq_len, 4);
  EXPECT_EQ(c->processor.image.tile_size, 32);
  EXPECT_EQ(c->processor.image.longest_edge, 128);
  EXPECT_EQ(c->processor.image.resample, 1);
  EXPECT_EQ(c->processor.video.max_frames, 16);
  EXPECT_EQ(c->processor.video.longest_edge, 128);  // "size" wins over video_sampling, as in transformers
  EXPECT_EQ(c->processor.video.tile_size, 32);
  EXPECT_EQ(c->chat_template, std::string_view(reference().at("templates").at("smolvlm2").as_string()));
  EXPECT_EQ(c->special_tokens.at("bos_token"), "<|im_start|>");
  const auto& h = std::any_cast<const SmolVlmConfig&>(c->spec.hparams);
  EXPECT_EQ(h.scale_factor, 2);
  EXPECT_EQ(h.text.num_key_value_heads, 1);
  EXPECT_EQ(h.vision.num_hidden_layers, 1);
  EXPECT_EQ(h.image_token_id, *c->tokenizer.token_to_id("<image>"));
}

TEST(Checkpoint, LoadsTheTransformers5LayoutWithShardsInBf16AndF16) {
  auto c = load_checkpoint(fixture_dir() / "smolvlm2_v5");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->weights.file_count(), 2u);
  EXPECT_EQ(c->processor.layout, ProcessorConfig::Layout::transformers5);
  EXPECT_EQ(c->processor.image_seq_len, 4);
  EXPECT_EQ(c->processor.image.tile_size, 32);
  EXPECT_EQ(c->processor.video.max_frames, 16);
  EXPECT_EQ(c->chat_template, std::string_view(reference().at("templates").at("smolvlm2").as_string()));
}

TEST(Checkpoint, TensorValuesMatchTheReference) {
  for (const char* folder : {"smolvlm2_hub", "smolvlm2_v5"}) {
    auto c = load_checkpoint(fixture_dir() / folder);
    ASSERT_TRUE(c.ok()) << c.error().message;
    int checked = 0;
    for (const json::value& t : reference().at("tensors").as_array()) {
      if (t.at("folder").as_string() != folder) continue;
      const TensorView* view = c->weights.find(std::string(t.at("name").as_string()));
      ASSERT_NE(view, nullptr) << t.at("name");
      EXPECT_EQ(dtype_name(view->dtype), std::string_view(t.at("dtype").as_string()));
      std::vector<std::int64_t> shape;
      for (const json::value& d : t.at("shape").as_array()) shape.push_back(d.as_int64());
      EXPECT_EQ(view->shape, shape);
      const std::vector<float> values = view->to_f32();
      ASSERT_EQ(static_cast<std::int64_t>(values.size()), view->numel());
      const json::array& first = t.at("first").as_array();
      for (std::size_t i = 0; i < first.size(); ++i)
        EXPECT_EQ(values[i], static_cast<float>(first[i].to_number<double>())) << t.at("name") << " " << i;
      ++checked;
    }
    EXPECT_EQ(checked, 4);
  }
}

TEST(Checkpoint, HalfConversions) {
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7C00)));
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC040), -3.0f);
}

TEST(Checkpoint, MissingFilesAreNamed) {
  auto none = load_checkpoint(fixture_dir() / "no_such_model");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::not_found);
  EXPECT_NE(none.error().message.find("config.json"), std::string::npos);

  for (const char* name : {"model.safetensors", "tokenizer.json", "preprocessor_config.json"}) {
    ScratchFolder f("smolvlm2_hub");
    fs::remove(f.path() / name);
    auto c = load_checkpoint(f.path());
    ASSERT_FALSE(c.ok()) << name;
    EXPECT_EQ(c.error().code, ErrorCode::not_found) << name;
    EXPECT_NE(c.error().message.find(name == std::string("preprocessor_config.json") ? "processor" : name),
              std::string::npos)
        << c.error().message;
  }
  ScratchFolder f("smolvlm2_hub");
  fs::remove(f.path() / "chat_template.json");
  auto c = load_checkpoint(f.path());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("chat template"), std::string::npos);

  ScratchFolder shards("smolvlm2_v5");
  fs::remove(shards.path() / "model-00002-of-00002.safetensors");
  auto s = load_checkpoint(shards.path());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::not_found);
  EXPECT_NE(s.error().message.find("model-00002-of-00002.safetensors"), std::string::npos);
}

TEST(Checkpoint, UnsupportedArchitecture) {
  ScratchFolder f("smolvlm2_hub");
  std::string config = read_text(f.path() / "config.json");
  config.replace(config.find("SmolVLMForConditionalGeneration"), 31, "LlavaForConditionalGeneration");
  f.write("config.json", config);
  auto c = load_checkpoint(f.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::unsupported);
  EXPECT_NE(c.error().message.find("LlavaForConditionalGeneration"), std::string::npos);
  EXPECT_NE(c.error().message.find("config.json"), std::string::npos);
}

TEST(Checkpoint, ShapeMismatch) {
  ScratchFolder f("smolvlm2_hub");
  std::string config = read_text(f.path() / "config.json");
  config.replace(config.find("\"intermediate_size\": 40"), 23, "\"intermediate_size\": 48");
  f.write("config.json", config);
  auto c = load_checkpoint(f.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::invalid_request);
  EXPECT_NE(c.error().message.find("shape mismatch"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("mlp.gate_proj.weight"), std::string::npos) << c.error().message;
}

TEST(Checkpoint, MissingTensor) {
  ScratchFolder f("smolvlm2_v5");
  std::string index = read_text(f.path() / "model.safetensors.index.json");
  const std::size_t at = index.find("    \"model.text_model.norm.weight\"");
  index.erase(at, index.find('\n', at) + 1 - at);
  f.write("model.safetensors.index.json", index);
  auto c = load_checkpoint(f.path());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("model.text_model.norm.weight"), std::string::npos) << c.error().message;
}

TEST(Checkpoint, TruncatedSafetensors) {
  ScratchFolder f("smolvlm2_hub");
  const std::string bytes = read_text(f.path() / "model.safetensors");
  f.write("model.safetensors", bytes.substr(0, bytes.size() - 100));
  auto c = load_checkpoint(f.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::invalid_request);
  EXPECT_NE(c.error().message.find("model.safetensors"), std::string::npos);
  EXPECT_NE(c.error().message.find("truncated"), std::string::npos) << c.error().message;

  f.write("model.safetensors", bytes.substr(0, 5));
  auto tiny = SafetensorsFile::open(f.path() / "model.safetensors");
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.error().message.find("corrupt"), std::string::npos);
}

TEST(Checkpoint, BadHeaders) {
  ScratchFolder f("smolvlm2_hub");
  const fs::path file = f.path() / "model.safetensors";
  struct Case {
    std::string bytes;
    const char* expect;
  };
  const Case cases[] = {
      {safetensors_bytes("{not json", 0), "not a JSON object"},
      {std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "header length"},
      {safetensors_bytes(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", 1), "unknown dtype"},
      {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4), "does not match"},
      {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", 8),
       "overlap"},
      {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4), "data_offsets"},
      {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4), "shape"},
      {safetensors_bytes(R"({"a":{"dtype":"F32"}})", 0), "lacks"},
  };
  for (const Case& c : cases) {
    f.write("model.safetensors", c.bytes);
    auto r = SafetensorsFile::open(file);
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("model.safetensors"), std::string::npos);
  }
  f.write("model.safetensors",
          safetensors_bytes(R"({"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", 4));
  auto ok = SafetensorsFile::open(file);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->metadata().at("format"), "pt");
  EXPECT_EQ(ok->find("a")->numel(), 2);
}

TEST(Checkpoint, CorruptJsonFiles) {
  ScratchFolder f("smolvlm2_hub");
  f.write("config.json", "{\"architectures\": [");
  auto c = load_checkpoint(f.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::invalid_request);
  EXPECT_NE(c.error().message.find("config.json"), std::string::npos);

  ScratchFolder g("smolvlm2_hub");
  g.write("preprocessor_config.json", R"({"image_mean": [0.5]})");
  auto p = load_checkpoint(g.path());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("preprocessor_config.json"), std::string::npos);
}

TEST(Registry, OneDispatchPoint) {
  EXPECT_EQ(find_model_family("SmolVLMForConditionalGeneration"), &smolvlm_family());
  EXPECT_EQ(find_model_family("Idefics3ForConditionalGeneration"), &smolvlm_family());
  EXPECT_EQ(find_model_family("Gemma3ForConditionalGeneration"), nullptr);
  for (const ModelFamily* f : model_families()) {
    ASSERT_NE(f, nullptr);
    EXPECT_FALSE(f->architectures().empty());
  }
}

}  // namespace
}  // namespace sl::engine
