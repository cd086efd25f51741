// A Hugging Face `tokenizers` tokenizer loaded from tokenizer.json, reproducing its encode and
// decode for byte-level BPE models (SmolVLM2/SmolLM2, GPT-2, Llama 3, Qwen style): added
// tokens cut out first, then normalizer, pre-tokenizer, BPE, and the post-processor
// (ByteLevel or TemplateProcessing) when add_special_tokens is set. Decoding maps ids back
// through the decoder (ByteLevel; none joins tokens with spaces), invalid UTF-8 becoming
// U+FFFD, optionally skipping tokens marked special.
// Immutable after load: encode/decode are const and safe from many threads.
// Errors: not_found (file missing), invalid_request (malformed JSON or fields), unsupported
// (a component this engine does not implement); each message names the file.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "engine/added_vocabulary.hpp"
#include "engine/bpe_model.hpp"
#include "engine/normalizer.hpp"
#include "engine/pre_tokenizer.hpp"

namespace sl::engine {

class Tokenizer {
 public:
  static Result<Tokenizer> load(const std::filesystem::path& file);
  static Result<Tokenizer> from_json(std::string_view text, std::string_view source_name = "tokenizer.json");

  std::vector<int> encode(std::string_view text, bool add_special_tokens = true) const;
  std::string decode(std::span<const int> ids, bool skip_special_tokens = false) const;

  std::optional<int> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int id) const;
  bool is_special(int id) const;
  std::size_t vocab_size() const;  // the model's vocabulary plus added tokens not in it

 private:
  enum class DecoderKind { none, byte_level };
  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  BpeModel model_;
  AddedVocabulary added_;
  DecoderKind decoder_ = DecoderKind::none;
  std::vector<int> prefix_ids_;  // TemplateProcessing "single": ids before and after $A
  std::vector<int> suffix_ids_;
};

// Incremental decoding for streaming, identical to `tokenizers`' DecodeStream: step() returns
// the new text once the ids so far decode to text that does not end in an unfinished
// character (U+FFFD), and nothing while a character is still incomplete. One per stream.
class DecodeStream {
 public:
  explicit DecodeStream(bool skip_special_tokens = false) : skip_special_(skip_special_tokens) {}
  std::optional<std::string> step(const Tokenizer& tokenizer, int id);

 private:
  bool skip_special_;
  std::vector<int> ids_;
  std::string prefix_;
  std::size_t prefix_index_ = 0;
};

}  // namespace sl::engine
