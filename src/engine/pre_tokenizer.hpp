// The pre-tokenizer stage of a Hugging Face tokenizer.json ("pre_tokenizer"): ByteLevel (with
// GPT-2's regex split and the byte-to-char mapping), Split (regex or string, every split
// behavior, invert), Digits, WhitespaceSplit and Sequence of them. It turns one piece of
// normalized text into the words the model encodes. Immutable after from_json; thread-safe.
// from_json returns unsupported naming the type for anything it does not implement.
#pragma once

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "engine/regex.hpp"

namespace sl::engine {

// How a split keeps its delimiters (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

class PreTokenizer {
 public:
  static Result<PreTokenizer> from_json(const boost::json::value& config);  // null: none
  std::vector<std::string> split(std::string_view text) const;
  bool byte_level() const { return byte_level_; }

 private:
  struct Step {
    enum class Kind { split_regex, split_string, digits, byte_level, whitespace_split } kind;
    std::vector<Regex> regex;  // split_regex, or byte_level with use_regex
    std::string literal;        // split_string
    SplitBehavior behavior = SplitBehavior::isolated;
    bool invert = false;
    bool add_prefix_space = false;  // byte_level
  };
  static Status add(const boost::json::value& config, std::vector<Step>& steps);
  static void apply(const Step& step, const std::string& piece, std::vector<std::string>& out);
  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace sl::engine
