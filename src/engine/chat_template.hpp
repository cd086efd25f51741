// A checkpoint's chat template, rendered as transformers' apply_chat_template does: the
// variables are messages (keys whose value is null dropped), tools, documents,
// add_generation_prompt and the tokenizer's special tokens (bos_token, eos_token, ...).
// Immutable after parse; render is const and thread-safe. Errors: parse -> invalid_request
// naming the line; render -> invalid_request with the template's own message (e.g. from
// raise_exception).
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "engine/jinja_template.hpp"

namespace sl::engine {

class ChatTemplate {
 public:
  static Result<ChatTemplate> parse(std::string_view source);
  Result<std::string> render(const boost::json::array& messages, bool add_generation_prompt,
                             const boost::json::value& tools = nullptr,
                             const std::map<std::string, std::string>& special_tokens = {}) const;

 private:
  jinja::Template template_;
};

}  // namespace sl::engine
