// The normalizer stage of a Hugging Face tokenizer.json ("normalizer"): NFC, Replace (string
// or regex), Prepend, Lowercase, Strip and Sequence of them. Applied to each piece of text
// between added tokens, as `tokenizers` does. Immutable after from_json; thread-safe.
// from_json returns unsupported naming the type for a normalizer it does not implement.
#pragma once

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "engine/regex.hpp"

namespace sl::engine {

class Normalizer {
 public:
  // `config` is the "normalizer" value (null means none).
  static Result<Normalizer> from_json(const boost::json::value& config);
  std::string apply(std::string_view text) const;
  bool empty() const { return steps_.empty(); }

 private:
  struct Step {
    enum class Kind { nfc, replace_string, replace_regex, prepend, lowercase, strip } kind;
    std::string pattern;  // replace_string: the literal; prepend: the prefix
    std::string content;  // replace: the replacement
    std::vector<Regex> regex;  // replace_regex: exactly one
    bool left = false, right = false;  // strip
  };
  static Status add(const boost::json::value& config, std::vector<Step>& steps);
  std::vector<Step> steps_;
};

}  // namespace sl::engine
