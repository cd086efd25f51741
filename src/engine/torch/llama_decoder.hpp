// Internal to sl_engine_torch: a Llama-style decoder (RMSNorm, rotary positions, grouped-query
// attention, SwiGLU MLP) with a KV cache per sequence, as SmolVLM's text model and other
// families use it. q/k/v and gate/up are fused at load (FusedLinear's rule), the rotary
// frequencies computed once.
// The arithmetic follows transformers' LlamaModel (RMSNorm in float32, softmax in float32, the
// rotary tables cast to the compute type). forward() is const; one thread per cache (the pool
// serves one step at a time and lets the others run on their own thread).
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "engine/torch/tensors.hpp"
#include "engine/vlm_model.hpp"

namespace sl::engine::torch_impl {

struct LlamaConfig {
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int vocab_size = 0;
  int max_positions = 0;
  double rms_norm_eps = 1e-5;
  double rope_theta = 10000.0;
  bool attention_bias = false;
  bool mlp_bias = false;
  bool tie_word_embeddings = false;
  std::string hidden_act = "silu";
};

class KvCache final : public Sequence {
 public:
  int length() const override { return length_; }

 private:
  friend class LlamaDecoder;
  std::vector<at::Tensor> k_, v_;  // per layer [kv_heads, capacity, head_dim]
  int length_ = 0;
  int capacity_ = 0;
};

class LlamaDecoder {
 public:
  // `prefix` e.g. "model.text_model."; `lm_head` the output projection's name. pool (may be
  // null; must outlive the decoder) takes the few-row bf16 products of decode steps.
  LlamaDecoder(const TensorLoader& loader, const std::string& prefix, const std::string& lm_head,
               const LlamaConfig& config, RowPool* pool = nullptr);
  at::Tensor embed(const at::Tensor& ids) const;  // [T] int64 -> [T, hidden]
  // Appends embeddings [T, hidden] to the cache; returns the logits of the last one (float32).
  at::Tensor forward(KvCache& cache, const at::Tensor& embeddings) const;
  const LlamaConfig& config() const { return config_; }

 private:
  struct Layer {
    FusedLinear qkv, gate_up;
    at::Tensor in_norm, o_w, o_b, post_norm, down_w, down_b;
  };
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w) const;
  void reserve(KvCache& cache, int needed, const at::Tensor& like) const;

  LlamaConfig config_;
  RowPool* pool_;
  at::Tensor embed_tokens_, norm_, lm_head_, inv_freq_;
  std::vector<Layer> layers_;
};

}  // namespace sl::engine::torch_impl
