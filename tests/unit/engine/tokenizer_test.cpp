#include "engine/tokenizer.hpp"

#include <gtest/gtest.h>

#include "engine/fixtures.hpp"

namespace sl::engine {
namespace {

namespace json = boost::json;
using testing::fixture_dir;
using testing::reference;

std::vector<int> ids_of(const json::value& v) {
  std::vector<int> out;
  for (const json::value& x : v.as_array()) out.push_back(static_cast<int>(x.as_int64()));
  return out;
}

void check_tokenizer(const Tokenizer& tok, const json::array& cases) {
  for (const json::value& c : cases) {
    const std::vector<int> with_special = ids_of(c.at("ids_with_special"));
    const std::string label = c.at("text").is_string() ? std::string(c.at("text").as_string()) : "(ids)";
    if (c.at("text").is_string()) {
      const std::string_view text = c.at("text").as_string();
      EXPECT_EQ(tok.encode(text, false), ids_of(c.at("ids"))) << label;
      EXPECT_EQ(tok.encode(text, true), with_special) << label;
    }
    EXPECT_EQ(tok.decode(with_special, false), std::string_view(c.at("decode").as_string())) << label;
    EXPECT_EQ(tok.decode(with_special, true), std::string_view(c.at("decode_skip_special").as_string())) << label;
    for (bool skip : {false, true}) {
      DecodeStream stream(skip);
      const json::array& steps = c.at(skip ? "stream_skip_special" : "stream").as_array();
      ASSERT_EQ(steps.size(), with_special.size());
      for (std::size_t i = 0; i < steps.size(); ++i) {
        const std::optional<std::string> got = stream.step(tok, with_special[i]);
        if (steps[i].is_null()) {
          EXPECT_FALSE(got.has_value()) << label << " step " << i;
        } else {
          ASSERT_TRUE(got.has_value()) << label << " step " << i;
          EXPECT_EQ(*got, std::string_view(steps[i].as_string())) << label << " step " << i;
        }
      }
    }
  }
}

TEST(Tokenizer, SmolVlm2PipelineMatchesHuggingFace) {
  auto tok = Tokenizer::load(fixture_dir() / "smolvlm2_hub" / "tokenizer.json");
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  check_tokenizer(*tok, reference().at("tokenizers").at("smolvlm2").as_array());
}

TEST(Tokenizer, VariantPipelineMatchesHuggingFace) {
  auto tok = Tokenizer::load(fixture_dir() / "tokenizer_variant.json");
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  check_tokenizer(*tok, reference().at("tokenizers").at("variant").as_array());
}

TEST(Tokenizer, SpecialTokensAndLookups) {
  auto tok = Tokenizer::load(fixture_dir() / "smolvlm2_hub" / "tokenizer.json");
  ASSERT_TRUE(tok.ok());
  const auto image = tok->token_to_id("<image>");
  ASSERT_TRUE(image.has_value());
  EXPECT_TRUE(tok->is_special(*image));
  EXPECT_EQ(tok->id_to_token(*image), "<image>");
  EXPECT_EQ(tok->encode("<image>", false), std::vector<int>{*image});
  EXPECT_FALSE(tok->token_to_id("<no such token>").has_value());
}

TEST(Tokenizer, ErrorsNameTheFile) {
  auto missing = Tokenizer::load(fixture_dir() / "nope" / "tokenizer.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_NE(missing.error().message.find("nope/tokenizer.json"), std::string::npos);

  auto bad = Tokenizer::from_json("{ not json", "x/tokenizer.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x/tokenizer.json"), std::string::npos);

  auto unigram = Tokenizer::from_json(R"({"model":{"type":"Unigram","vocab":[]}})", "u/tokenizer.json");
  ASSERT_FALSE(unigram.ok());
  EXPECT_EQ(unigram.error().code, ErrorCode::unsupported);
  EXPECT_NE(unigram.error().message.find("u/tokenizer.json"), std::string::npos);

  auto pre = Tokenizer::from_json(R"({"pre_tokenizer":{"type":"Metaspace"},"model":{"type":"BPE","vocab":{},"merges":[]}})");
  ASSERT_FALSE(pre.ok());
  EXPECT_NE(pre.error().message.find("Metaspace"), std::string::npos);
}

}  // namespace
}  // namespace sl::engine
