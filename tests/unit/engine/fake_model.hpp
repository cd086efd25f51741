// A VlmModel without tensors for the engine's generation and cache tests: it answers a scripted
// token sequence (the script's next token gets the highest logit) and counts encodes.
#pragma once

#include <atomic>
#include <vector>

#include "engine/vlm_model.hpp"

namespace sl::engine::testing {

class FakeEncoding final : public VisionEncoding {
 public:
  explicit FakeEncoding(int tokens) : tokens_(tokens) {}
  int tokens() const override { return tokens_; }
  std::size_t byte_size() const override { return static_cast<std::size_t>(tokens_) * 64; }

 private:
  int tokens_;
};

class FakeSequence final : public Sequence {
 public:
  int length() const override { return length_; }
  int length_ = 0;
  int prompt_ = -1;
};

class FakeModel final : public VlmModel {
 public:
  FakeModel(ModelInfo info, std::vector<int> script) : info_(std::move(info)), script_(std::move(script)) {}
  const ModelInfo& info() const override { return info_; }
  Result<VisionEncodingPtr> encode(const ProcessedImage& image) const override {
    ++encodes;
    return VisionEncodingPtr(std::make_shared<FakeEncoding>(image.tiles * info_.image_seq_len));
  }
  std::unique_ptr<Sequence> new_sequence() const override { return std::make_unique<FakeSequence>(); }
  Result<std::vector<float>> forward(Sequence& sequence, std::span<const int> ids,
                                     std::span<const VisionEncodingPtr> images) const override {
    auto& s = static_cast<FakeSequence&>(sequence);
    int rows = 0, image_tokens = 0;
    for (const auto& i : images) rows += i->tokens();
    for (int id : ids) image_tokens += id == info_.image_token_id;
    if (rows != image_tokens) return make_error(ErrorCode::invalid_request, "image rows do not match");
    if (s.prompt_ < 0) s.prompt_ = static_cast<int>(ids.size());
    s.length_ += static_cast<int>(ids.size());
    ++forwards;
    last_prompt_image_tokens = s.prompt_ == static_cast<int>(ids.size()) ? image_tokens : last_prompt_image_tokens.load();
    std::vector<float> logits(static_cast<std::size_t>(info_.vocab_size), 0.0f);
    const std::size_t step = static_cast<std::size_t>(s.length_ - s.prompt_);
    logits[static_cast<std::size_t>(script_[std::min(step, script_.size() - 1)])] = 10.0f;
    return logits;
  }

  mutable std::atomic<int> encodes{0};
  mutable std::atomic<int> forwards{0};
  mutable std::atomic<int> last_prompt_image_tokens{0};

 private:
  ModelInfo info_;
  std::vector<int> script_;
};

}  // namespace sl::engine::testing
