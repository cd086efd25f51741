#include "engine/normalizer.hpp"

#include <boost/json.hpp>

#include "engine/unicode.hpp"

namespace sl::engine {
namespace json = boost::json;

namespace {

Error unsupported(const std::string& what) {
  return make_error(ErrorCode::unsupported, "tokenizer.json: normalizer " + what + " is not supported");
}

std::string_view str_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace

Status Normalizer::add(const json::value& config, std::vector<Step>& steps) {
  if (config.is_null()) return Status();
  if (!config.is_object()) return unsupported("that is not an object");
  const json::object& o = config.get_object();
  const std::string type(str_field(o, "type"));
  if (type == "Sequence") {
    const json::value* list = o.if_contains("normalizers");
    if (!list || !list->is_array()) return unsupported("Sequence without normalizers");
    for (const json::value& v : list->get_array())
      if (Status s = add(v, steps); !s.ok()) return s;
    return Status();
  }
  Step step{};
  if (type == "NFC") {
    step.kind = Step::Kind::nfc;
  } else if (type == "Lowercase") {
    step.kind = Step::Kind::lowercase;
  } else if (type == "Prepend") {
    step.kind = Step::Kind::prepend;
    step.pattern = std::string(str_field(o, "prepend"));
  } else if (type == "Strip") {
    step.kind = Step::Kind::strip;
    step.left = o.if_contains("strip_left") && o.at("strip_left").is_bool() && o.at("strip_left").get_bool();
    step.right = o.if_contains("strip_right") && o.at("strip_right").is_bool() && o.at("strip_right").get_bool();
  } else if (type == "Replace") {
    step.content = std::string(str_field(o, "content"));
    const json::value* pattern = o.if_contains("pattern");
    if (!pattern || !pattern->is_object()) return unsupported("Replace without a pattern");
    if (const json::value* s = pattern->get_object().if_contains("String"); s && s->is_string()) {
      step.kind = Step::Kind::replace_string;
      step.pattern = std::string(s->get_string());
    } else if (const json::value* r = pattern->get_object().if_contains("Regex"); r && r->is_string()) {
      step.kind = Step::Kind::replace_regex;
      auto re = Regex::compile(std::string_view(r->get_string()));
      if (!re.ok()) return re.error();
      step.regex.push_back(std::move(*re));
    } else {
      return unsupported("Replace with an unknown pattern");
    }
  } else {
    return unsupported("'" + type + "'");
  }
  steps.push_back(std::move(step));
  return Status();
}

Result<Normalizer> Normalizer::from_json(const json::value& config) {
  Normalizer n;
  if (Status s = add(config, n.steps_); !s.ok()) return s.error();
  return n;
}

std::string Normalizer::apply(std::string_view text) const {
  std::string s(text);
  for (const Step& step : steps_) {
    switch (step.kind) {
      case Step::Kind::nfc: s = unicode::nfc(std::string_view(s)); break;
      case Step::Kind::lowercase: {
        std::u32string cps = unicode::decode_utf8(s);
        for (char32_t& c : cps) c = unicode::simple_lower(c);
        s = unicode::encode_utf8(cps);
        break;
      }
      case Step::Kind::prepend:
        if (!s.empty()) s = step.pattern + s;
        break;
      case Step::Kind::strip: {
        std::u32string cps = unicode::decode_utf8(s);
        std::size_t b = 0, e = cps.size();
        if (step.left)
          while (b < e && unicode::is_whitespace(cps[b])) ++b;
        if (step.right)
          while (e > b && unicode::is_whitespace(cps[e - 1])) --e;
        s = unicode::encode_utf8(std::u32string_view(cps).substr(b, e - b));
        break;
      }
      case Step::Kind::replace_string: {
        if (step.pattern.empty()) break;
        std::string out;
        std::size_t pos = 0;
        for (std::size_t hit; (hit = s.find(step.pattern, pos)) != std::string::npos; pos = hit + step.pattern.size()) {
          out.append(s, pos, hit - pos);
          out += step.content;
        }
        out.append(s, pos);
        s = std::move(out);
        break;
      }
      case Step::Kind::replace_regex: {
        const std::u32string cps = unicode::decode_utf8(s);
        std::string out;
        std::size_t pos = 0;
        for (const Regex::Match& m : step.regex[0].find_all(cps)) {
          out += unicode::encode_utf8(std::u32string_view(cps).substr(pos, m.begin - pos));
          out += step.content;
          pos = m.end;
        }
        out += unicode::encode_utf8(std::u32string_view(cps).substr(pos));
        s = std::move(out);
        break;
      }
    }
  }
  return s;
}

}  // namespace sl::engine
