// Loading a checkpoint's forward pass on libtorch (sl_engine_torch; the one header of that
// library that other code includes, free of torch types). The family's model file is picked by
// the family name the registry gave the checkpoint (the one dispatch point for graphs, as
// model_registry.cpp is for configs).
//
// Weights are converted once here to the compute precision and device: tensors already in the
// compute type on the CPU are used in place from the memory mapping (no copy), and so are the
// weight matrices of a bf16 file computed in f32 on the CPU (keep_bf16_weights: converted per
// use instead); everything else is converted (bf16/f16 -> f32, or -> bf16) once; constant
// transforms (fused projections of converted weights, vision position tables) are folded at
// load. The model keeps the checkpoint alive.
// Errors: unsupported (no graph for the family, a device this libtorch lacks), invalid_request
// (bad options), internal (tensor library failures).
#pragma once

#include <memory>
#include <string>

#include "core/status.hpp"
#include "engine/checkpoint.hpp"
#include "engine/vlm_model.hpp"

namespace sl::engine {

struct ModelOptions {
  enum class Precision { f32, bf16 };
  Precision precision = Precision::f32;  // the compute type; bf16 halves memory, ~2x on CPUs with it
  std::string device = "cpu";            // "cpu", "cuda" or "cuda:N" (a CUDA-enabled libtorch)
  // Cores for one forward pass (process-wide); 0 leaves the libraries' settings alone. With
  // OpenBLAS's pthread build they go to OpenBLAS and libtorch's OpenMP pool is set to 1 thread
  // (two busy-waiting pools on the same cores oversubscribe them).
  int threads = 0;
  // f32 compute on the CPU from a bf16 checkpoint: keep the weight matrices bf16 as mapped and
  // convert them per use (exact; half the resident weights, a decode step reads half the
  // bytes). false converts every weight at load (twice the memory; the reference for tests).
  bool keep_bf16_weights = true;
  // With keep_bf16_weights, threads > 1 and f32 on the CPU: the few-row bf16 products (decode
  // steps) are split between `threads` persistent threads the model owns (RowPool: they poll
  // briefly after each product, then sleep). false runs them on the calling thread only.
  bool decode_pool = true;
  // Tiles the vision encoder runs through at once (the tiles of one picture are split into
  // batches of this many); its attention goes one tile at a time. Bounds the encoder's working
  // memory (~30 MB per tile of a 512-pixel SigLIP in f32, plus ~50 MB for one tile's attention).
  // 1 is the CPU default: on 2 cores a 13-tile picture took 40 s in batches of 1 and 46 s in
  // batches of 4 (the products of one tile already fill the cores); raise it on a GPU.
  int vision_batch = 1;
};

Result<std::unique_ptr<VlmModel>> load_model(std::shared_ptr<const Checkpoint> checkpoint,
                                             const ModelOptions& options);

}  // namespace sl::engine
