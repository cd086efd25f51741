#include "engine/torch/siglip_encoder.hpp"

#include <cmath>
#include <stdexcept>

namespace sl::engine::torch_impl {

SiglipEncoder::SiglipEncoder(const TensorLoader& loader, const std::string& prefix, const SiglipConfig& config)
    : config_(config) {
  if (config.hidden_act != "gelu_pytorch_tanh" && config.hidden_act != "gelu")
    throw std::runtime_error("vision hidden_act " + config.hidden_act + " is not supported");
  patch_w_ = loader.get(prefix + "embeddings.patch_embedding.weight");
  patch_b_ = loader.get(prefix + "embeddings.patch_embedding.bias");
  const at::Tensor table = loader.get(prefix + "embeddings.position_embedding.weight");
  // SmolVLM's NaViT-style position ids, computed as transformers does (bucketised fractional
  // coordinates); for a full tile they index the table in order, but the arithmetic is kept so
  // the result is the same whatever the side length.
  const int side = config.image_size / config.patch_size;
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  const at::Tensor boundaries = at::arange(1.0 / side, 1.0, 1.0 / side, f32);
  const at::Tensor step = at::full({1}, 1.0, f32) / side;
  const at::Tensor coords = at::clamp_max(at::arange(side, f32) * step, 1.0 - 1e-6);
  const at::Tensor buckets = at::bucketize(coords, boundaries, /*out_int32=*/false, /*right=*/true);
  const at::Tensor ids = (buckets.unsqueeze(1) * side + buckets.unsqueeze(0)).reshape({-1}).to(loader.device());
  positions_ = at::index_select(table, 0, ids).contiguous();
  post_ln_w_ = loader.get(prefix + "post_layernorm.weight");
  post_ln_b_ = loader.get(prefix + "post_layernorm.bias");
  for (int i = 0; i < config.num_layers; ++i) {
    const std::string l = prefix + "encoder.layers." + std::to_string(i) + ".";
    Layer layer;
    const std::string a = l + "self_attn.";
    layer.qkv = FusedLinear(loader, {a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"},
                            {a + "q_proj.bias", a + "k_proj.bias", a + "v_proj.bias"});
    layer.out_w = loader.matrix(a + "out_proj.weight");
    layer.out_b = loader.get(a + "out_proj.bias");
    layer.ln1_w = loader.get(l + "layer_norm1.weight");
    layer.ln1_b = loader.get(l + "layer_norm1.bias");
    layer.ln2_w = loader.get(l + "layer_norm2.weight");
    layer.ln2_b = loader.get(l + "layer_norm2.bias");
    layer.fc1_w = loader.matrix(l + "mlp.fc1.weight");
    layer.fc1_b = loader.get(l + "mlp.fc1.bias");
    layer.fc2_w = loader.matrix(l + "mlp.fc2.weight");
    layer.fc2_b = loader.get(l + "mlp.fc2.bias");
    layers_.push_back(std::move(layer));
  }
}

at::Tensor& SiglipEncoder::activation(at::Tensor& x) const {
  return at::gelu_(x, config_.hidden_act == "gelu" ? "none" : "tanh");
}

at::Tensor SiglipEncoder::forward(const at::Tensor& pixels) const {
  const int64_t n = pixels.size(0);
  const int64_t hidden = config_.hidden_size, heads = config_.num_heads, head_dim = hidden / heads;
  at::Tensor x = at::conv2d(pixels, patch_w_, patch_b_, {config_.patch_size, config_.patch_size});
  x = x.flatten(2).transpose(1, 2) + positions_;  // [n, patches, hidden]
  const int64_t patches = x.size(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  for (const Layer& l : layers_) {
    at::Tensor h = at::layer_norm(x, {hidden}, l.ln1_w, l.ln1_b, config_.layer_norm_eps);
    std::vector<at::Tensor> qkv = l.qkv(h);
    auto heads_of = [&](const at::Tensor& t) { return t.reshape({n, patches, heads, head_dim}).transpose(1, 2); };
    const at::Tensor q = heads_of(qkv[0]), k = heads_of(qkv[1]), v = heads_of(qkv[2]);
    // One tile at a time: the scores of a tile are heads x patches^2 floats (50 MB for a
    // 512-pixel tile), scaled and softmaxed in place (the same arithmetic as out of place).
    h = at::empty({n, patches, hidden}, x.options());
    for (int64_t i = 0; i < n; ++i) {
      at::Tensor scores = at::matmul(q[i], k[i].transpose(-1, -2)).mul_(scale);
      if (scores.scalar_type() == at::kFloat) at::_softmax_out(scores, scores, -1, false);
      else scores = at::softmax(scores, -1, at::kFloat).to(x.scalar_type());
      h[i].view({patches, heads, head_dim}).transpose(0, 1).copy_(at::matmul(scores, v[i]));
    }
    qkv.clear();
    x.add_(dense(h, l.out_w, l.out_b));
    h = dense(at::layer_norm(x, {hidden}, l.ln2_w, l.ln2_b, config_.layer_norm_eps), l.fc1_w, l.fc1_b);
    x.add_(dense(activation(h), l.fc2_w, l.fc2_b));
  }
  return at::layer_norm(x, {hidden}, post_ln_w_, post_ln_b_, config_.layer_norm_eps);
}

}  // namespace sl::engine::torch_impl
