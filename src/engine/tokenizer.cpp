#include "engine/tokenizer.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "engine/byte_level.hpp"
#include "engine/unicode.hpp"

namespace sl::engine {
namespace json = boost::json;

namespace {

Error in_file(Error e, std::string_view source) {
  if (e.message.rfind("tokenizer.json", 0) == 0) e.message.erase(0, 14);
  e.message = std::string(source) + (e.message.empty() || e.message[0] == ':' ? "" : ": ") + e.message;
  return e;
}

// TemplateProcessing's "single" template: special token ids around the sequence $A.
Status parse_template(const json::object& o, std::vector<int>& prefix, std::vector<int>& suffix) {
  const json::value* single = o.if_contains("single");
  const json::value* specials = o.if_contains("special_tokens");
  if (!single || !single->is_array() || !specials || !specials->is_object())
    return make_error(ErrorCode::invalid_request, "post_processor: TemplateProcessing without single/special_tokens");
  bool after = false;
  for (const json::value& piece : single->get_array()) {
    if (!piece.is_object()) continue;
    if (piece.get_object().if_contains("Sequence")) {
      after = true;
      continue;
    }
    const json::value* sp = piece.get_object().if_contains("SpecialToken");
    if (!sp || !sp->is_object() || !sp->get_object().if_contains("id")) continue;
    const json::value& name = sp->at("id");
    const json::value* entry = name.is_string() ? specials->get_object().if_contains(name.get_string()) : nullptr;
    if (!entry || !entry->is_object() || !entry->get_object().if_contains("ids") || !entry->at("ids").is_array())
      return make_error(ErrorCode::invalid_request, "post_processor: unknown special token in template");
    for (const json::value& id : entry->at("ids").get_array()) {
      if (!id.is_int64()) continue;
      (after ? suffix : prefix).push_back(static_cast<int>(id.get_int64()));
    }
  }
  return Status();
}

Status parse_post_processor(const json::value& v, std::vector<int>& prefix, std::vector<int>& suffix) {
  if (v.is_null()) return Status();
  if (!v.is_object() || !v.get_object().if_contains("type") || !v.at("type").is_string())
    return make_error(ErrorCode::invalid_request, "post_processor without a type");
  const std::string_view type = v.at("type").get_string();
  if (type == "ByteLevel") return Status();  // offsets only; ids are unchanged
  if (type == "TemplateProcessing") return parse_template(v.get_object(), prefix, suffix);
  if (type == "Sequence") {
    const json::value* list = v.get_object().if_contains("processors");
    if (!list || !list->is_array()) return make_error(ErrorCode::invalid_request, "post_processor: bad Sequence");
    for (const json::value& p : list->get_array())
      if (Status s = parse_post_processor(p, prefix, suffix); !s.ok()) return s;
    return Status();
  }
  return make_error(ErrorCode::unsupported, "post_processor '" + std::string(type) + "' is not supported");
}

}  // namespace

Result<Tokenizer> Tokenizer::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, file.string() + ": cannot open the tokenizer file");
  std::ostringstream text;
  text << in.rdbuf();
  return from_json(text.str(), file.string());
}

Result<Tokenizer> Tokenizer::from_json(std::string_view text, std::string_view source) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object())
    return make_error(ErrorCode::invalid_request, std::string(source) + ": not valid JSON (" + ec.message() + ")");
  const json::object& o = root.get_object();
  const json::value null_value;
  auto field = [&](std::string_view key) -> const json::value& {
    const json::value* v = o.if_contains(key);
    return v ? *v : null_value;
  };
  Tokenizer t;
  auto normalizer = Normalizer::from_json(field("normalizer"));
  if (!normalizer.ok()) return in_file(normalizer.error(), source);
  t.normalizer_ = std::move(*normalizer);
  auto pre = PreTokenizer::from_json(field("pre_tokenizer"));
  if (!pre.ok()) return in_file(pre.error(), source);
  t.pre_tokenizer_ = std::move(*pre);
  auto model = BpeModel::from_json(field("model"));
  if (!model.ok()) return in_file(model.error(), source);
  t.model_ = std::move(*model);
  auto added = AddedVocabulary::from_json(field("added_tokens"));
  if (!added.ok()) return in_file(added.error(), source);
  t.added_ = std::move(*added);
  if (Status s = parse_post_processor(field("post_processor"), t.prefix_ids_, t.suffix_ids_); !s.ok())
    return in_file(s.error(), source);
  const json::value& decoder = field("decoder");
  if (!decoder.is_null()) {
    const json::value* type = decoder.is_object() ? decoder.get_object().if_contains("type") : nullptr;
    if (!type || !type->is_string() || type->get_string() != "ByteLevel")
      return make_error(ErrorCode::unsupported, std::string(source) + ": only the ByteLevel decoder is supported");
    t.decoder_ = DecoderKind::byte_level;
  }
  return t;
}

std::vector<int> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int> ids;
  if (add_special_tokens) ids = prefix_ids_;
  for (const TextPiece& raw : added_.split(text, /*normalized=*/false)) {
    if (raw.token_id) {
      ids.push_back(*raw.token_id);
      continue;
    }
    const std::string normalized = normalizer_.apply(raw.text);
    for (const TextPiece& piece : added_.split(normalized, /*normalized=*/true)) {
      if (piece.token_id) {
        ids.push_back(*piece.token_id);
        continue;
      }
      for (const std::string& word : pre_tokenizer_.split(piece.text)) model_.encode_word(word, ids);
    }
  }
  if (add_special_tokens) ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

std::string Tokenizer::decode(std::span<const int> ids, bool skip_special_tokens) const {
  std::vector<std::string_view> tokens;
  tokens.reserve(ids.size());
  for (int id : ids) {
    if (const AddedToken* a = added_.by_id(id)) {
      if (skip_special_tokens && a->special) continue;
      tokens.push_back(a->content);
    } else if (const std::string* t = model_.id_to_token(id)) {
      tokens.push_back(*t);
    }
  }
  std::string joined;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (decoder_ == DecoderKind::none && i > 0) joined.push_back(' ');
    joined += tokens[i];
  }
  if (decoder_ == DecoderKind::none) return joined;
  return unicode::encode_utf8(unicode::decode_utf8(byte_level::decode(joined)));
}

std::optional<int> Tokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* a = added_.by_content(token)) return a->id;
  return model_.token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(int id) const {
  if (const AddedToken* a = added_.by_id(id)) return a->content;
  if (const std::string* t = model_.id_to_token(id)) return *t;
  return std::nullopt;
}

bool Tokenizer::is_special(int id) const {
  const AddedToken* a = added_.by_id(id);
  return a && a->special;
}

std::size_t Tokenizer::vocab_size() const {
  std::size_t n = model_.vocab_size();
  for (const AddedToken& a : added_.tokens())
    if (!model_.id_to_token(a.id)) ++n;
  return n;
}

std::optional<std::string> DecodeStream::step(const Tokenizer& tokenizer, int id) {
  ids_.push_back(id);
  std::string text = tokenizer.decode(ids_, skip_special_);
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  const bool unfinished = text.size() >= kReplacement.size() &&
                          text.compare(text.size() - kReplacement.size(), kReplacement.size(), kReplacement) == 0;
  if (text.size() <= prefix_.size() || unfinished || text.compare(0, prefix_.size(), prefix_) != 0)
    return std::nullopt;
  std::string fresh = text.substr(prefix_.size());
  const std::size_t new_prefix_index = ids_.size() - prefix_index_;
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_index_));
  prefix_ = tokenizer.decode(ids_, skip_special_);
  prefix_index_ = new_prefix_index;
  return fresh;
}

}  // namespace sl::engine
