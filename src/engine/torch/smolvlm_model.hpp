// Internal to sl_engine_torch: SmolVLM / SmolVLM2's graph (the model file of the smolvlm family:
// hparams from SmolVlmConfig, tensors by their checkpoint names, graph = SigLIP encoder ->
// pixel-shuffle connector -> Llama decoder with image rows scattered over the image tokens).
#pragma once

#include <memory>

#include "engine/checkpoint.hpp"
#include "engine/torch/load_model.hpp"
#include "engine/vlm_model.hpp"

namespace sl::engine::torch_impl {

std::unique_ptr<VlmModel> make_smolvlm_model(std::shared_ptr<const Checkpoint> checkpoint, const ModelOptions& options);

}  // namespace sl::engine::torch_impl
