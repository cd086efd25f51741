#include "engine/chat_template.hpp"

#include <boost/json.hpp>

namespace sl::engine {

Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
  auto t = jinja::Template::parse(source);
  if (!t.ok()) return t.error();
  ChatTemplate c;
  c.template_ = std::move(*t);
  return c;
}

Result<std::string> ChatTemplate::render(const boost::json::array& messages, bool add_generation_prompt,
                                         const boost::json::value& tools,
                                         const std::map<std::string, std::string>& special_tokens) const {
  jinja::List list;
  for (const boost::json::value& m : messages) {
    if (!m.is_object()) return make_error(ErrorCode::invalid_request, "chat messages must be objects");
    jinja::Dict d;
    for (const auto& kv : m.get_object())
      if (!kv.value().is_null()) d.emplace_back(std::string(kv.key()), jinja::from_json(kv.value()));
    list.emplace_back(std::move(d));
  }
  jinja::Dict context;
  for (const auto& [k, v] : special_tokens) context.emplace_back(k, jinja::Value(v));
  context.emplace_back("messages", jinja::Value(std::move(list)));
  context.emplace_back("tools", jinja::from_json(tools));
  context.emplace_back("documents", jinja::Value(jinja::None{}));
  context.emplace_back("add_generation_prompt", jinja::Value(add_generation_prompt));
  return template_.render(jinja::Value(std::move(context)));
}

}  // namespace sl::engine
