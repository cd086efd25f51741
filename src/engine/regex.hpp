// A small backtracking regex engine over Unicode code points, for the split patterns of
// Hugging Face tokenizers (GPT-2, Llama 3, Qwen style): alternation, groups ((?:), (?i:)),
// lookahead ((?=), (?!)), greedy and lazy quantifiers (? * + {n,m}), classes with ranges and
// negation, \p{L} \p{N} \P{..}, \s \S \d \D \w \W, escapes and '.'. std::regex has no
// Unicode classes, hence this. Semantics follow Oniguruma (leftmost, first alternative that
// matches). Case-insensitive matching folds with unicode::simple_lower.
// A compiled Regex is immutable and safe to share between threads. compile() returns
// invalid_request naming the pattern for syntax it does not support.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"

namespace sl::engine {

class Regex {
 public:
  struct Match {
    std::size_t begin = 0;  // code point indices into the searched text
    std::size_t end = 0;
  };
  static Result<Regex> compile(std::string_view pattern);

  // Leftmost match starting at or after `from`; empty matches are skipped.
  std::optional<Match> find(std::u32string_view text, std::size_t from) const;
  // All non-overlapping matches, left to right.
  std::vector<Match> find_all(std::u32string_view text) const;

  struct Node;

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
  int root_ = 0;
};

}  // namespace sl::engine
