// One model family (an architecture string in config.json, e.g. SmolVLMForConditionalGeneration)
// as the loader sees it: how to read its hyperparameters from config.json and which tensors,
// with which shapes, a checkpoint must hold. Each family lives in its own file; the registry
// (model_registry.cpp) is the one dispatch point, so a second family is a new file plus one
// line there. Families are stateless singletons, safe to share.
#pragma once

#include <any>
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace sl::engine {

struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  bool optional = false;  // e.g. lm_head.weight when the embeddings are tied
};

struct ModelSpec {
  std::string architecture;  // as config.json names it
  std::string family;        // the family's short name, e.g. "smolvlm"
  std::any hparams;          // the family's own config struct (e.g. SmolVlmConfig)
  std::vector<TensorSpec> tensors;
  int image_seq_len = 0;     // tokens per image tile after the connector (0: not a vision model)
  int vocab_size = 0;
};

class ModelFamily {
 public:
  virtual ~ModelFamily() = default;
  virtual std::string_view name() const = 0;
  virtual std::span<const std::string_view> architectures() const = 0;
  // Reads config.json (applying transformers' defaults for absent keys) into a ModelSpec;
  // invalid_request for missing or inconsistent values.
  virtual Result<ModelSpec> describe(const boost::json::object& config) const = 0;
};

// The registry: every family the engine can load, and the one lookup by architecture.
std::span<const ModelFamily* const> model_families();
const ModelFamily* find_model_family(std::string_view architecture);

}  // namespace sl::engine
