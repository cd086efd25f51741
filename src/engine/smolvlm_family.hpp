// SmolVLM / SmolVLM2 (transformers' SmolVLMForConditionalGeneration, also Idefics3's layout):
// a SigLIP vision encoder, a pixel-shuffle connector and a Llama decoder. SmolVlmConfig holds
// its hyperparameters with transformers' defaults; smolvlm_family() describes the checkpoint.
#pragma once

#include <string>

#include "engine/model_family.hpp"

namespace sl::engine {

struct SmolVlmConfig {
  struct Vision {  // SmolVLMVisionConfig
    int hidden_size = 1152;
    int intermediate_size = 3072;
    int num_hidden_layers = 12;
    int num_attention_heads = 16;
    int num_channels = 3;
    int image_size = 224;
    int patch_size = 32;
    double layer_norm_eps = 1e-6;
    std::string hidden_act = "gelu_pytorch_tanh";
  } vision;
  struct Text {  // LlamaConfig, with SmolVLM's rms_norm_eps default
    int hidden_size = 4096;
    int intermediate_size = 11008;
    int num_hidden_layers = 32;
    int num_attention_heads = 32;
    int num_key_value_heads = 0;  // 0 in config: equal to num_attention_heads
    int head_dim = 0;             // 0 in config: hidden_size / num_attention_heads
    int vocab_size = 32000;
    int max_position_embeddings = 2048;
    double rms_norm_eps = 1e-5;
    double rope_theta = 10000.0;
    bool attention_bias = false;
    bool mlp_bias = false;
    std::string hidden_act = "silu";
  } text;
  int scale_factor = 2;
  int image_token_id = 128257;
  bool tie_word_embeddings = false;
};

const ModelFamily& smolvlm_family();

}  // namespace sl::engine
