#include "engine/chat_template.hpp"

#include <gtest/gtest.h>

#include "engine/fixtures.hpp"

namespace sl::engine {
namespace {

namespace json = boost::json;
using testing::reference;

TEST(ChatTemplate, RendersLikeTransformers) {
  const json::value& ref = reference();
  int checked = 0;
  for (const json::value& c : ref.at("template_cases").as_array()) {
    const std::string name(c.at("template").as_string());
    auto tmpl = ChatTemplate::parse(std::string_view(ref.at("templates").at(name).as_string()));
    ASSERT_TRUE(tmpl.ok()) << name << ": " << tmpl.error().message;
    const json::array& messages = ref.at("conversations").at(c.at("conversation").as_string()).as_array();
    const std::map<std::string, std::string> special{{"bos_token", std::string(c.at("bos_token").as_string())},
                                                     {"eos_token", std::string(c.at("eos_token").as_string())}};
    auto out = tmpl->render(messages, c.at("add_generation_prompt").as_bool(), c.at("tools"), special);
    const std::string label = name + "/" + std::string(c.at("conversation").as_string()) +
                              (c.at("add_generation_prompt").as_bool() ? "+gen" : "") +
                              (c.at("tools").is_null() ? "" : "+tools");
    if (c.as_object().if_contains("error")) {
      ASSERT_FALSE(out.ok()) << label;
      EXPECT_EQ(out.error().message, std::string_view(c.at("error").as_string())) << label;
    } else {
      ASSERT_TRUE(out.ok()) << label << ": " << out.error().message;
      EXPECT_EQ(*out, std::string_view(c.at("rendered").as_string())) << label;
    }
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

std::string render(std::string_view source, const char* context_json = "{}") {
  auto t = jinja::Template::parse(source);
  if (!t.ok()) return "PARSE: " + t.error().message;
  auto r = t->render(jinja::from_json(json::parse(context_json)));
  return r.ok() ? *r : "RENDER: " + r.error().message;
}

TEST(Jinja, WhitespaceControlAndBlocks) {
  EXPECT_EQ(render("a\n  {% if true %}\nb\n  {% endif %}\nc"), "a\nb\nc");
  EXPECT_EQ(render("a  {{- 'x' -}}  b"), "axb");
  EXPECT_EQ(render("{% for i in [1,2,3] %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}"), "1,2,3");
  EXPECT_EQ(render("{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}"), "012");
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", R"({"d":{"a":1,"b":true}})"),
            "a=1;b=True;");
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}"), "1");
}

TEST(Jinja, ExpressionsFiltersAndErrors) {
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ -7 % 3 }}"), "3 -4 3.5 1024 2");
  EXPECT_EQ(render("{{ 'a,b'.split(',') }} {{ ' x '.strip() }} {{ 'abc'[1:] }} {{ [1,2,3][::-1] }}"),
            "['a', 'b'] x bc [3, 2, 1]");
  EXPECT_EQ(render("{{ x | default('d') }} {{ none is none }} {{ 'b' in 'abc' }} {{ 1 if false else 2 }}"),
            "d True True 2");
  EXPECT_EQ(render("{{ {'a': [1, 2.5, none, 'é\"']} | tojson }}"), R"({"a": [1, 2.5, null, "é\""]})");
  EXPECT_EQ(render("{{ m.content }}", R"({"m":{}})"), "");
  EXPECT_EQ(render("{{ m.content.x }}", R"({"m":{}})"), "RENDER: 'dict object' has no attribute 'content'");
  EXPECT_EQ(render("{{ raise_exception('no') }}"), "RENDER: no");
  EXPECT_EQ(render("{% if %}"), "PARSE: chat template line 1: unexpected ''");
  EXPECT_NE(render("{% macro m() %}{% endmacro %}").find("PARSE"), std::string::npos);
  EXPECT_NE(render("{% if true %}").find("missing endif"), std::string::npos);
}

}  // namespace
}  // namespace sl::engine
