// A Hugging Face checkpoint folder as users download it, loaded and checked: config.json (its
// architecture picks the model family through the registry), the safetensors weights
// (memory-mapped, one file or sharded; every tensor the family needs present with the shape
// the config implies and a float dtype), tokenizer.json, the chat template
// (chat_template.jinja, chat_template.json or tokenizer_config.json's "chat_template") and the
// processor config in either layout. Errors (each message names the file): not_found for a
// missing file, unsupported for an unknown architecture or tokenizer component,
// invalid_request for a corrupt file or a shape mismatch. Immutable once loaded; share freely.
#pragma once

#include <boost/json/value.hpp>
#include <filesystem>
#include <map>
#include <string>

#include "core/status.hpp"
#include "engine/model_family.hpp"
#include "engine/processor_config.hpp"
#include "engine/safetensors.hpp"
#include "engine/tokenizer.hpp"

namespace sl::engine {

struct Checkpoint {
  std::filesystem::path folder;
  boost::json::value config;
  const ModelFamily* family = nullptr;
  ModelSpec spec;
  Weights weights;
  Tokenizer tokenizer;
  std::string chat_template;
  // bos_token, eos_token, pad_token, unk_token ... from tokenizer_config.json (when present),
  // passed to the chat template as transformers does.
  std::map<std::string, std::string> special_tokens;
  ProcessorConfig processor;
};

Result<Checkpoint> load_checkpoint(const std::filesystem::path& folder);

// The checks load_checkpoint applies to the weights, exposed for tests and tools.
Status check_weights(const ModelSpec& spec, const Weights& weights, const std::filesystem::path& folder);

}  // namespace sl::engine
