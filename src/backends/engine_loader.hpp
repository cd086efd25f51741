// Loading a local model for serving (`--model ID=PATH`, the config file's `models`): the
// checkpoint folder (engine/checkpoint.hpp), its forward pass on libtorch
// (engine/torch/load_model.hpp), the Engine and the EngineBackend that serves it. In a build
// without libtorch (SIGHTLINE_ENGINE_TORCH=OFF) every load fails with `unsupported` saying so.
// Blocking (reads and maps files, converts weights): call it at start-up, before serving.
// Errors: those of load_checkpoint and load_model (not_found, unsupported, invalid_request),
// each message prefixed with the model id and folder.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "backends/engine_backend.hpp"
#include "core/status.hpp"

namespace sl {

struct LocalModelConfig {
  std::string model;           // the client-facing id
  std::string checkpoint_dir;  // a Hugging Face checkpoint folder
  std::string precision = "f32";  // compute type: f32 | bf16
  std::string device = "cpu";     // cpu | cuda | cuda:N
  int threads = 0;                // libtorch intra-op threads (0: leave libtorch's setting)
  std::size_t vision_cache_bytes = std::size_t{256} << 20;
  EngineServingOptions serving;
};

// Whether this build has the engine's forward pass.
bool engine_built_with_torch();

Result<std::shared_ptr<EngineBackend>> load_engine_backend(const LocalModelConfig& config);

}  // namespace sl
