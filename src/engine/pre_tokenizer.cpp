#include "engine/pre_tokenizer.hpp"

#include <boost/json.hpp>

#include "engine/byte_level.hpp"
#include "engine/unicode.hpp"

namespace sl::engine {
namespace json = boost::json;

namespace {

// GPT-2's pattern, which ByteLevel applies when use_regex is set.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

Error unsupported(const std::string& what) {
  return make_error(ErrorCode::unsupported, "tokenizer.json: pre_tokenizer " + what + " is not supported");
}

bool bool_field(const json::object& o, std::string_view key, bool fallback) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() ? v->get_bool() : fallback;
}

struct Span {
  std::size_t begin, end;  // code point indices
  bool match;
};

// Applies a split behavior to the pieces of `cps` between and at the given matches.
void split_by(std::u32string_view cps, const std::vector<Regex::Match>& matches, SplitBehavior behavior,
              bool invert, std::vector<std::string>& out) {
  std::vector<Span> spans;
  std::size_t pos = 0;
  for (const Regex::Match& m : matches) {
    if (m.begin > pos) spans.push_back({pos, m.begin, invert});
    spans.push_back({m.begin, m.end, !invert});
    pos = m.end;
  }
  if (pos < cps.size()) spans.push_back({pos, cps.size(), invert});

  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  bool previous_match = false;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    switch (behavior) {
      case SplitBehavior::removed:
        if (!s.match) pieces.emplace_back(s.begin, s.end);
        break;
      case SplitBehavior::isolated: pieces.emplace_back(s.begin, s.end); break;
      case SplitBehavior::contiguous:
        if (s.match && previous_match && !pieces.empty()) {
          pieces.back().second = s.end;
        } else {
          pieces.emplace_back(s.begin, s.end);
        }
        break;
      case SplitBehavior::merged_with_previous:
        if (s.match && !previous_match && !pieces.empty()) {
          pieces.back().second = s.end;
        } else {
          pieces.emplace_back(s.begin, s.end);
        }
        break;
      case SplitBehavior::merged_with_next:
        if (!s.match && previous_match && !pieces.empty()) {
          pieces.back().second = s.end;
        } else {
          pieces.emplace_back(s.begin, s.end);
        }
        break;
    }
    previous_match = s.match;
  }
  for (const auto& [b, e] : pieces)
    if (e > b) out.push_back(unicode::encode_utf8(cps.substr(b, e - b)));
}

Result<SplitBehavior> parse_behavior(std::string_view name) {
  if (name == "Removed") return SplitBehavior::removed;
  if (name == "Isolated") return SplitBehavior::isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (name == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (name == "Contiguous") return SplitBehavior::contiguous;
  return unsupported("split behavior '" + std::string(name) + "'");
}

}  // namespace

Status PreTokenizer::add(const json::value& config, std::vector<Step>& steps) {
  if (config.is_null()) return Status();
  if (!config.is_object()) return unsupported("that is not an object");
  const json::object& o = config.get_object();
  const json::value* type_value = o.if_contains("type");
  const std::string type = type_value && type_value->is_string() ? std::string(type_value->get_string()) : "";
  if (type == "Sequence") {
    const json::value* list = o.if_contains("pretokenizers");
    if (!list || !list->is_array()) return unsupported("Sequence without pretokenizers");
    for (const json::value& v : list->get_array())
      if (Status s = add(v, steps); !s.ok()) return s;
    return Status();
  }
  Step step{};
  if (type == "ByteLevel") {
    step.kind = Step::Kind::byte_level;
    step.add_prefix_space = bool_field(o, "add_prefix_space", true);
    if (bool_field(o, "use_regex", true)) {
      auto re = Regex::compile(kGpt2Pattern);
      if (!re.ok()) return re.error();
      step.regex.push_back(std::move(*re));
    }
  } else if (type == "Digits") {
    step.kind = Step::Kind::digits;
    step.behavior = bool_field(o, "individual_digits", false) ? SplitBehavior::isolated : SplitBehavior::contiguous;
  } else if (type == "WhitespaceSplit") {
    step.kind = Step::Kind::whitespace_split;
  } else if (type == "Split") {
    const json::value* pattern = o.if_contains("pattern");
    const json::value* behavior = o.if_contains("behavior");
    if (!pattern || !pattern->is_object() || !behavior || !behavior->is_string())
      return unsupported("Split without pattern or behavior");
    auto b = parse_behavior(behavior->get_string());
    if (!b.ok()) return b.error();
    step.behavior = *b;
    step.invert = bool_field(o, "invert", false);
    if (const json::value* s = pattern->get_object().if_contains("String"); s && s->is_string()) {
      step.kind = Step::Kind::split_string;
      step.literal = std::string(s->get_string());
    } else if (const json::value* r = pattern->get_object().if_contains("Regex"); r && r->is_string()) {
      step.kind = Step::Kind::split_regex;
      auto re = Regex::compile(std::string_view(r->get_string()));
      if (!re.ok()) return re.error();
      step.regex.push_back(std::move(*re));
    } else {
      return unsupported("Split with an unknown pattern");
    }
  } else {
    return unsupported("'" + type + "'");
  }
  steps.push_back(std::move(step));
  return Status();
}

Result<PreTokenizer> PreTokenizer::from_json(const json::value& config) {
  PreTokenizer p;
  if (Status s = add(config, p.steps_); !s.ok()) return s.error();
  for (const Step& s : p.steps_)
    if (s.kind == Step::Kind::byte_level) p.byte_level_ = true;
  return p;
}

void PreTokenizer::apply(const Step& step, const std::string& piece, std::vector<std::string>& out) {
  switch (step.kind) {
    case Step::Kind::split_regex: {
      const std::u32string cps = unicode::decode_utf8(piece);
      split_by(cps, step.regex[0].find_all(cps), step.behavior, step.invert, out);
      return;
    }
    case Step::Kind::split_string: {
      const std::u32string cps = unicode::decode_utf8(piece);
      const std::u32string lit = unicode::decode_utf8(step.literal);
      std::vector<Regex::Match> matches;
      if (!lit.empty())
        for (std::size_t p = cps.find(lit); p != std::u32string::npos; p = cps.find(lit, p + lit.size()))
          matches.push_back({p, p + lit.size()});
      split_by(cps, matches, step.behavior, step.invert, out);
      return;
    }
    case Step::Kind::digits:
    case Step::Kind::whitespace_split: {
      const std::u32string cps = unicode::decode_utf8(piece);
      std::vector<Regex::Match> matches;
      const bool digits = step.kind == Step::Kind::digits;
      for (std::size_t i = 0; i < cps.size(); ++i) {
        const bool hit = digits ? unicode::is_number(cps[i]) : unicode::is_whitespace(cps[i]);
        if (!hit) continue;
        if (!digits && !matches.empty() && matches.back().end == i) {
          matches.back().end = i + 1;  // one run of whitespace is one delimiter
        } else {
          matches.push_back({i, i + 1});
        }
      }
      split_by(cps, matches, digits ? step.behavior : SplitBehavior::removed, false, out);
      return;
    }
    case Step::Kind::byte_level: {
      std::string text = piece;
      if (step.add_prefix_space && !text.empty() && text[0] != ' ') text.insert(text.begin(), ' ');
      std::vector<std::string> parts;
      if (step.regex.empty()) {
        parts.push_back(std::move(text));
      } else {
        const std::u32string cps = unicode::decode_utf8(text);
        split_by(cps, step.regex[0].find_all(cps), SplitBehavior::isolated, false, parts);
      }
      for (const std::string& p : parts) out.push_back(byte_level::encode(p));
      return;
    }
  }
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string> pieces{std::string(text)};
  for (const Step& step : steps_) {
    std::vector<std::string> next;
    for (const std::string& p : pieces) apply(step, p, next);
    pieces = std::move(next);
  }
  if (pieces.size() == 1 && pieces[0].empty()) pieces.clear();
  return pieces;
}

}  // namespace sl::engine
