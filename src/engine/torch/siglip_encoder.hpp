// Internal to sl_engine_torch: the SigLIP vision transformer (patch embedding, pre-norm encoder
// layers with GELU-tanh MLPs, post layer norm) as SmolVLM and other families use it, for
// full square tiles. Weights are read once under a name prefix; q/k/v are fused (FusedLinear's
// rule) and the position rows are gathered at load (bias and additions stay in transformers' order, so bf16
// rounds alike). forward() is const and thread-safe.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "engine/torch/tensors.hpp"

namespace sl::engine::torch_impl {

struct SiglipConfig {
  int hidden_size = 0;
  int num_heads = 0;
  int num_layers = 0;
  int patch_size = 0;
  int image_size = 0;
  double layer_norm_eps = 1e-6;
  std::string hidden_act = "gelu_pytorch_tanh";
};

class SiglipEncoder {
 public:
  // `prefix` e.g. "model.vision_model."
  SiglipEncoder(const TensorLoader& loader, const std::string& prefix, const SiglipConfig& config);
  // pixels [n, 3, image_size, image_size] in the compute dtype -> [n, patches, hidden]
  at::Tensor forward(const at::Tensor& pixels) const;

 private:
  struct Layer {
    FusedLinear qkv;
    at::Tensor ln1_w, ln1_b, out_w, out_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
  };
  at::Tensor& activation(at::Tensor& x) const;  // in place

  SiglipConfig config_;
  at::Tensor patch_w_, patch_b_;
  at::Tensor positions_;  // [patches, hidden]: the position embedding rows of a full tile
  at::Tensor post_ln_w_, post_ln_b_;
  std::vector<Layer> layers_;
};

}  // namespace sl::engine::torch_impl
