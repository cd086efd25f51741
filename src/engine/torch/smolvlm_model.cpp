#include "engine/torch/smolvlm_model.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/smolvlm_family.hpp"
#include "engine/torch/llama_decoder.hpp"
#include "engine/torch/row_pool.hpp"
#include "engine/torch/siglip_encoder.hpp"

namespace sl::engine::torch_impl {
namespace {

class TorchVisionEncoding final : public VisionEncoding {
 public:
  explicit TorchVisionEncoding(at::Tensor rows) : rows_(std::move(rows)) {}
  int tokens() const override { return static_cast<int>(rows_.size(0)); }
  std::size_t byte_size() const override { return rows_.numel() * rows_.element_size(); }
  const at::Tensor& rows() const { return rows_; }

 private:
  at::Tensor rows_;  // [tokens, text hidden]
};

SiglipConfig siglip_config(const SmolVlmConfig& c) {
  return {c.vision.hidden_size, c.vision.num_attention_heads, c.vision.num_hidden_layers,
          c.vision.patch_size,  c.vision.image_size,          c.vision.layer_norm_eps,
          c.vision.hidden_act};
}

LlamaConfig llama_config(const SmolVlmConfig& c) {
  LlamaConfig l;
  l.hidden_size = c.text.hidden_size;
  l.intermediate_size = c.text.intermediate_size;
  l.num_layers = c.text.num_hidden_layers;
  l.num_heads = c.text.num_attention_heads;
  l.num_kv_heads = c.text.num_key_value_heads;
  l.head_dim = c.text.head_dim;
  l.vocab_size = c.text.vocab_size;
  l.max_positions = c.text.max_position_embeddings;
  l.rms_norm_eps = c.text.rms_norm_eps;
  l.rope_theta = c.text.rope_theta;
  l.attention_bias = c.text.attention_bias;
  l.mlp_bias = c.text.mlp_bias;
  l.tie_word_embeddings = c.tie_word_embeddings;
  l.hidden_act = c.text.hidden_act;
  return l;
}

class SmolVlmModel final : public VlmModel {
 public:
  // pool: for the decoder's few-row products (may be null).
  SmolVlmModel(std::shared_ptr<const Checkpoint> checkpoint, const SmolVlmConfig& config, const TensorLoader& loader,
               int vision_batch, std::unique_ptr<RowPool> pool)
      : checkpoint_(std::move(checkpoint)),
        config_(config),
        pool_(std::move(pool)),
        vision_(loader, "model.vision_model.", siglip_config(config)),
        text_(loader, "model.text_model.", "lm_head.weight", llama_config(config), pool_.get()),
        projection_(loader.matrix("model.connector.modality_projection.proj.weight")),
        dtype_(loader.dtype()),
        device_(loader.device()),
        vision_batch_(vision_batch) {
    info_.family = "smolvlm";
    info_.vocab_size = config.text.vocab_size;
    info_.image_token_id = config.image_token_id;
    info_.image_seq_len = checkpoint_->spec.image_seq_len;
    info_.context_length = config.text.max_position_embeddings;
  }

  const ModelInfo& info() const override { return info_; }

  Result<VisionEncodingPtr> encode(const ProcessedImage& image) const override {
    if (image.tile != config_.vision.image_size)
      return make_error(ErrorCode::invalid_request, "engine: tiles of " + std::to_string(image.tile) +
                                                        " pixels, the model takes " +
                                                        std::to_string(config_.vision.image_size));
    if (image.pixels.size() != static_cast<std::size_t>(image.tiles) * image.tile_floats())
      return make_error(ErrorCode::invalid_request, "engine: pixel count does not match the tiles");
    try {
      const at::Tensor all =
          at::from_blob(const_cast<float*>(image.pixels.data()), {image.tiles, 3, image.tile, image.tile}, at::kFloat);
      // Batches of vision_batch tiles bound the encoder's working memory (each tile is encoded
      // on its own in the encoder, so batching changes no value).
      std::vector<at::Tensor> rows;
      for (int64_t first = 0; first < image.tiles; first += vision_batch_) {
        const int64_t n = std::min<int64_t>(vision_batch_, image.tiles - first);
        const at::Tensor pixels = all.narrow(0, first, n).to(device_, dtype_);
        rows.push_back(connector(vision_.forward(pixels)).reshape({-1, config_.text.hidden_size}));
      }
      return VisionEncodingPtr(std::make_shared<TorchVisionEncoding>(rows.size() == 1 ? rows[0] : at::cat(rows)));
    } catch (const std::exception& e) {
      return make_error(ErrorCode::internal, std::string("engine: vision encoder: ") + e.what());
    }
  }

  std::unique_ptr<Sequence> new_sequence() const override { return std::make_unique<KvCache>(); }

  Result<std::vector<float>> forward(Sequence& sequence, std::span<const int> ids,
                                     std::span<const VisionEncodingPtr> images) const override {
    auto* cache = dynamic_cast<KvCache*>(&sequence);
    if (!cache) return make_error(ErrorCode::internal, "engine: a sequence from another model");
    if (ids.empty()) return make_error(ErrorCode::invalid_request, "engine: no tokens to feed");
    if (cache->length() + static_cast<int>(ids.size()) > info_.context_length)
      return make_error(ErrorCode::invalid_request, "engine: the prompt and answer exceed the context length of " +
                                                        std::to_string(info_.context_length) + " tokens");
    std::int64_t image_tokens = 0;
    for (int id : ids) {
      if (id < 0 || id >= info_.vocab_size) return make_error(ErrorCode::invalid_request, "engine: token id out of range");
      image_tokens += id == info_.image_token_id;
    }
    // A decode step (one token, no images): an image token the sampler picked is embedded as
    // text, as transformers does once pixel_values are no longer passed. Prompts stay strict.
    if (images.empty() && ids.size() == 1) image_tokens = 0;
    std::int64_t rows = 0;
    for (const auto& img : images) rows += img ? img->tokens() : 0;
    if (rows != image_tokens)
      return make_error(ErrorCode::invalid_request, "engine: " + std::to_string(image_tokens) + " image tokens but " +
                                                        std::to_string(rows) + " image rows");
    try {
      std::vector<std::int64_t> ids64(ids.begin(), ids.end());
      const at::Tensor id_tensor = at::tensor(ids64, at::kLong).to(device_);
      at::Tensor embeddings = text_.embed(id_tensor);
      if (image_tokens > 0) {
        std::vector<at::Tensor> parts;
        for (const auto& img : images) parts.push_back(static_cast<const TorchVisionEncoding&>(*img).rows());
        const at::Tensor mask = (id_tensor == info_.image_token_id).unsqueeze(-1).expand_as(embeddings);
        embeddings = embeddings.masked_scatter(mask, at::cat(parts).to(embeddings.scalar_type()));
      }
      const at::Tensor logits = text_.forward(*cache, embeddings).contiguous().cpu();
      const float* p = logits.data_ptr<float>();
      return std::vector<float>(p, p + logits.numel());
    } catch (const std::exception& e) {
      return make_error(ErrorCode::internal, std::string("engine: decoder: ") + e.what());
    }
  }

 private:
  // pixel_shuffle (transformers' SmolVLMConnector) then the projection.
  at::Tensor connector(const at::Tensor& x) const {
    const int64_t n = x.size(0), seq = x.size(1), dim = x.size(2), s = config_.scale_factor;
    const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(seq))));
    at::Tensor y = x.view({n, side, side / s, dim * s}).permute({0, 2, 1, 3});
    y = y.reshape({n, side / s, side / s, dim * s * s}).permute({0, 2, 1, 3});
    y = y.reshape({n, seq / (s * s), dim * s * s});
    return dense(y, projection_);
  }

  std::shared_ptr<const Checkpoint> checkpoint_;  // owns the mapping the weights may point into
  SmolVlmConfig config_;
  std::unique_ptr<RowPool> pool_;  // before text_, which uses it: built first, destroyed last
  SiglipEncoder vision_;
  LlamaDecoder text_;
  at::Tensor projection_;
  at::ScalarType dtype_;
  at::Device device_;
  int vision_batch_;
  ModelInfo info_;
};

}  // namespace

std::unique_ptr<VlmModel> make_smolvlm_model(std::shared_ptr<const Checkpoint> checkpoint, const ModelOptions& options) {
  const auto& config = std::any_cast<const SmolVlmConfig&>(checkpoint->spec.hparams);
  const at::ScalarType dtype = options.precision == ModelOptions::Precision::bf16 ? at::kBFloat16 : at::kFloat;
  const at::Device device(options.device);
  const TensorLoader loader(checkpoint->weights, dtype, device, options.keep_bf16_weights);
  // The pool serves the direct bf16 products, which only f32 compute on the CPU with kept bf16
  // weights makes.
  std::unique_ptr<RowPool> pool;
  if (options.decode_pool && options.threads > 1 && device.is_cpu() && dtype == at::kFloat &&
      options.keep_bf16_weights)
    pool = std::make_unique<RowPool>(options.threads);
  return std::make_unique<SmolVlmModel>(checkpoint, config, loader, options.vision_batch, std::move(pool));
}

}  // namespace sl::engine::torch_impl
