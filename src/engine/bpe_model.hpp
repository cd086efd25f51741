// The BPE model of a Hugging Face tokenizer.json ("model" with type "BPE"): vocabulary, ranked
// merges (either "a b" strings or ["a","b"] pairs), ignore_merges, byte_fallback and
// unk_token. Encodes one pre-tokenized word into ids exactly as `tokenizers` does (the pair
// with the lowest rank merges first, the leftmost among equals). Immutable; thread-safe.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"

namespace sl::engine {

class BpeModel {
 public:
  static Result<BpeModel> from_json(const boost::json::value& model);
  void encode_word(std::string_view word, std::vector<int>& out) const;
  std::optional<int> token_to_id(std::string_view token) const;
  const std::string* id_to_token(int id) const;
  std::size_t vocab_size() const { return vocab_.size(); }

 private:
  struct Merge {
    int rank;
    int id;  // the merged token
  };
  static std::uint64_t key(int a, int b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
  }
  std::unordered_map<std::string, int> vocab_;
  std::unordered_map<int, std::string> vocab_r_;
  std::unordered_map<std::uint64_t, Merge> merges_;
  std::optional<int> unk_id_;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  bool fuse_unk_ = false;
};

}  // namespace sl::engine
