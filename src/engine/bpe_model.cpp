#include "engine/bpe_model.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "engine/unicode.hpp"

namespace sl::engine {
namespace json = boost::json;

namespace {

Error bad(const std::string& what) {
  return make_error(ErrorCode::invalid_request, "tokenizer.json: model: " + what);
}

bool flag(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

}  // namespace

Result<BpeModel> BpeModel::from_json(const json::value& model) {
  if (!model.is_object()) return bad("missing");
  const json::object& o = model.get_object();
  const json::value* type = o.if_contains("type");
  if (type && !(type->is_string() && type->get_string() == "BPE"))
    return make_error(ErrorCode::unsupported, "tokenizer.json: only BPE models are supported");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const json::value* v = o.if_contains(key);
    if (v && !v->is_null() && !(v->is_string() && v->get_string().empty()))
      return make_error(ErrorCode::unsupported, std::string("tokenizer.json: BPE ") + key + " is not supported");
  }
  if (const json::value* d = o.if_contains("dropout"); d && !d->is_null() && !(d->is_number() && d->to_number<double>() == 0.0))
    return make_error(ErrorCode::unsupported, "tokenizer.json: BPE dropout is not supported");
  BpeModel m;
  m.byte_fallback_ = flag(o, "byte_fallback");
  m.ignore_merges_ = flag(o, "ignore_merges");
  m.fuse_unk_ = flag(o, "fuse_unk");
  const json::value* vocab = o.if_contains("vocab");
  if (!vocab || !vocab->is_object()) return bad("vocab missing");
  for (const auto& kv : vocab->get_object()) {
    if (!kv.value().is_int64()) return bad("vocab id is not an integer");
    const int id = static_cast<int>(kv.value().get_int64());
    m.vocab_.emplace(std::string(kv.key()), id);
    m.vocab_r_.emplace(id, std::string(kv.key()));
  }
  const json::value* merges = o.if_contains("merges");
  if (!merges || !merges->is_array()) return bad("merges missing");
  int rank = 0;
  for (const json::value& mv : merges->get_array()) {
    std::string a, b;
    if (mv.is_string()) {
      const std::string_view s = mv.get_string();
      const std::size_t space = s.find(' ');
      if (space == std::string_view::npos) return bad("merge without a space");
      a = std::string(s.substr(0, space));
      b = std::string(s.substr(space + 1));
    } else if (mv.is_array() && mv.get_array().size() == 2 && mv.get_array()[0].is_string() &&
               mv.get_array()[1].is_string()) {
      a = std::string(mv.get_array()[0].get_string());
      b = std::string(mv.get_array()[1].get_string());
    } else {
      return bad("merge is neither \"a b\" nor [a, b]");
    }
    auto ia = m.vocab_.find(a), ib = m.vocab_.find(b), im = m.vocab_.find(a + b);
    if (ia == m.vocab_.end() || ib == m.vocab_.end() || im == m.vocab_.end())
      return bad("merge '" + a + " " + b + "' uses a token missing from the vocab");
    m.merges_.emplace(key(ia->second, ib->second), Merge{rank++, im->second});
  }
  if (const json::value* unk = o.if_contains("unk_token"); unk && unk->is_string()) {
    auto it = m.vocab_.find(std::string(unk->get_string()));
    if (it == m.vocab_.end()) return bad("unk_token is not in the vocab");
    m.unk_id_ = it->second;
  }
  return m;
}

void BpeModel::encode_word(std::string_view word, std::vector<int>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (auto it = vocab_.find(std::string(word)); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  // Initial symbols: one per character; unknown characters become byte tokens or unk.
  std::vector<int> symbols;
  const std::u32string cps = unicode::decode_utf8(word);
  bool last_was_unk = false;
  for (char32_t c : cps) {
    std::string ch;
    unicode::append_utf8(ch, c);
    if (auto it = vocab_.find(ch); it != vocab_.end()) {
      symbols.push_back(it->second);
      last_was_unk = false;
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      std::vector<int> bytes;
      for (unsigned char b : ch) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        auto bt = vocab_.find(name);
        if (bt == vocab_.end()) {
          all = false;
          break;
        }
        bytes.push_back(bt->second);
      }
      if (all) {
        symbols.insert(symbols.end(), bytes.begin(), bytes.end());
        last_was_unk = false;
        continue;
      }
    }
    if (unk_id_) {
      if (!(fuse_unk_ && last_was_unk)) symbols.push_back(*unk_id_);
      last_was_unk = true;
    }
  }
  // Merge the lowest-ranked pair, leftmost first, until none applies.
  while (symbols.size() > 1) {
    int best_rank = -1;
    std::size_t best = 0;
    int best_id = 0;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto it = merges_.find(key(symbols[i], symbols[i + 1]));
      if (it != merges_.end() && (best_rank < 0 || it->second.rank < best_rank)) {
        best_rank = it->second.rank;
        best = i;
        best_id = it->second.id;
      }
    }
    if (best_rank < 0) break;
    symbols[best] = best_id;
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
}

std::optional<int> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int id) const {
  auto it = vocab_r_.find(id);
  return it == vocab_r_.end() ? nullptr : &it->second;
}

}  // namespace sl::engine
