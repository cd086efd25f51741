// The added tokens of a tokenizer.json ("added_tokens"): strings that are cut out of the input
// before normalization and pre-tokenization and map straight to one id (special tokens such
// as <image>, and plain added words). Matching is leftmost-longest, with each token's lstrip,
// rstrip and single_word options; tokens with normalized=false match the raw input, the
// others match each normalized piece, as `tokenizers` does. Immutable; thread-safe.
#pragma once

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"

namespace sl::engine {

struct AddedToken {
  int id = 0;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
};

// A piece of input: either plain text (token_id empty) or one added token.
struct TextPiece {
  std::string text;
  std::optional<int> token_id;
};

class AddedVocabulary {
 public:
  static Result<AddedVocabulary> from_json(const boost::json::value& added_tokens);  // null: none
  // Cuts the tokens whose `normalized` flag equals `normalized` out of `text`.
  std::vector<TextPiece> split(std::string_view text, bool normalized) const;
  const AddedToken* by_id(int id) const;
  const AddedToken* by_content(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  std::vector<AddedToken> tokens_;
  std::unordered_map<int, std::size_t> by_id_;
  std::unordered_map<std::string, std::size_t> by_content_;
};

}  // namespace sl::engine
