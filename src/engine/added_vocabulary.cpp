#include "engine/added_vocabulary.hpp"

#include <boost/json.hpp>

#include "engine/unicode.hpp"

namespace sl::engine {
namespace json = boost::json;

namespace {

bool flag(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

// Byte length of the whitespace run that ends at `end` (lstrip) or starts at `begin` (rstrip).
std::size_t whitespace_before(std::string_view s, std::size_t end) {
  const std::u32string cps = unicode::decode_utf8(s.substr(0, end));
  std::size_t bytes = 0;
  for (std::size_t i = cps.size(); i-- > 0 && unicode::is_whitespace(cps[i]);) {
    std::string tmp;
    unicode::append_utf8(tmp, cps[i]);
    bytes += tmp.size();
  }
  return bytes;
}

std::size_t whitespace_after(std::string_view s, std::size_t begin) {
  const std::u32string cps = unicode::decode_utf8(s.substr(begin));
  std::size_t bytes = 0;
  for (char32_t c : cps) {
    if (!unicode::is_whitespace(c)) break;
    std::string tmp;
    unicode::append_utf8(tmp, c);
    bytes += tmp.size();
  }
  return bytes;
}

bool is_word_char(char32_t c) { return c == '_' || unicode::is_letter(c) || unicode::is_number(c); }

}  // namespace

Result<AddedVocabulary> AddedVocabulary::from_json(const json::value& added_tokens) {
  AddedVocabulary v;
  if (added_tokens.is_null()) return v;
  if (!added_tokens.is_array())
    return make_error(ErrorCode::invalid_request, "tokenizer.json: added_tokens is not a list");
  for (const json::value& t : added_tokens.get_array()) {
    if (!t.is_object() || !t.get_object().if_contains("id") || !t.at("id").is_int64() ||
        !t.get_object().if_contains("content") || !t.at("content").is_string())
      return make_error(ErrorCode::invalid_request, "tokenizer.json: an added token lacks id or content");
    const json::object& o = t.get_object();
    AddedToken a;
    a.id = static_cast<int>(o.at("id").get_int64());
    a.content = std::string(o.at("content").get_string());
    a.single_word = flag(o, "single_word");
    a.lstrip = flag(o, "lstrip");
    a.rstrip = flag(o, "rstrip");
    a.normalized = flag(o, "normalized");
    a.special = flag(o, "special");
    if (a.content.empty()) continue;
    v.by_id_[a.id] = v.tokens_.size();
    v.by_content_[a.content] = v.tokens_.size();
    v.tokens_.push_back(std::move(a));
  }
  return v;
}

const AddedToken* AddedVocabulary::by_id(int id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::by_content(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

std::vector<TextPiece> AddedVocabulary::split(std::string_view text, bool normalized) const {
  std::vector<TextPiece> out;
  std::size_t emitted = 0;  // end of the last piece pushed
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Leftmost-longest: the first position where a token starts, the longest token there.
    const AddedToken* best = nullptr;
    std::size_t at = pos;
    for (; at < text.size() && !best; ++at) {
      for (const AddedToken& t : tokens_) {
        if (t.normalized != normalized) continue;
        if (text.compare(at, t.content.size(), t.content) == 0 &&
            (!best || t.content.size() > best->content.size()))
          best = &t;
      }
      if (best) break;
    }
    if (!best) break;
    std::size_t start = at, stop = at + best->content.size();
    if (best->single_word) {
      const std::u32string before = unicode::decode_utf8(text.substr(0, start));
      const std::u32string after = unicode::decode_utf8(text.substr(stop));
      if ((!before.empty() && is_word_char(before.back())) || (!after.empty() && is_word_char(after.front()))) {
        pos = at + 1;
        continue;
      }
    }
    if (best->lstrip) start = std::max(start - whitespace_before(text, start), emitted);
    if (best->rstrip) stop += whitespace_after(text, stop);
    if (start > emitted) out.push_back({std::string(text.substr(emitted, start - emitted)), std::nullopt});
    out.push_back({std::string(text.substr(start, stop - start)), best->id});
    emitted = stop;
    pos = stop;
  }
  if (emitted < text.size()) out.push_back({std::string(text.substr(emitted)), std::nullopt});
  return out;
}

}  // namespace sl::engine
