// The forward pass of a loaded vision-language model, behind an interface with no libtorch
// types, so that generation, caching and serving code (and their tests, with a fake model) build
// without torch. The implementation for the families the engine knows lives in
// src/engine/torch/ (sl_engine_torch, load_model() in engine/torch/load_model.hpp).
//
// A model is immutable after load and shared: encode() and forward() may run on many threads at
// once, each on its own Sequence. A Sequence (the KV cache of one request) is used by one thread
// at a time. Errors: invalid_request (bad input: wrong number of image tokens, a sequence past
// the context length), internal (a failure inside the tensor library).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "engine/idefics3_processor.hpp"

namespace sl::engine {

// One picture's vision encoding: its tiles through the vision encoder and the connector, as
// many rows as the picture has image tokens, kept on the model's device. Immutable; shared by
// every request (and the vision cache) that uses the picture.
class VisionEncoding {
 public:
  virtual ~VisionEncoding() = default;
  virtual int tokens() const = 0;             // rows: tiles x image_seq_len
  virtual std::size_t byte_size() const = 0;  // memory it holds
};
using VisionEncodingPtr = std::shared_ptr<const VisionEncoding>;

// The KV cache of one request.
class Sequence {
 public:
  virtual ~Sequence() = default;
  virtual int length() const = 0;  // tokens fed so far
};

struct ModelInfo {
  std::string family;
  int vocab_size = 0;
  int image_token_id = -1;
  int image_seq_len = 0;  // image tokens per tile
  int context_length = 0;
};

class VlmModel {
 public:
  virtual ~VlmModel() = default;
  virtual const ModelInfo& info() const = 0;
  virtual Result<VisionEncodingPtr> encode(const ProcessedImage& image) const = 0;
  virtual std::unique_ptr<Sequence> new_sequence() const = 0;
  // Appends `ids` to the sequence and returns the logits (vocab_size floats) after its last
  // token. Every image_token_id in `ids` takes the next row of `images`, in order; all rows
  // must be used. A decode step (one id, no `images`) that is the image token embeds it as
  // text, as transformers does for a generated image token.
  virtual Result<std::vector<float>> forward(Sequence& sequence, std::span<const int> ids,
                                             std::span<const VisionEncodingPtr> images) const = 0;
};

}  // namespace sl::engine
