#include "backends/engine_loader.hpp"

#include "engine/checkpoint.hpp"
#include "engine/engine.hpp"
#if SIGHTLINE_ENGINE_TORCH
#include "engine/torch/load_model.hpp"
#endif

namespace sl {
namespace {

Error about(const LocalModelConfig& c, Error e) {
  e.message = "model '" + c.model + "' (" + c.checkpoint_dir + "): " + e.message;
  if (e.param.empty()) e.param = "models";
  return e;
}

}  // namespace

bool engine_built_with_torch() {
#if SIGHTLINE_ENGINE_TORCH
  return true;
#else
  return false;
#endif
}

Result<std::shared_ptr<EngineBackend>> load_engine_backend(const LocalModelConfig& c) {
#if SIGHTLINE_ENGINE_TORCH
  engine::ModelOptions model_options;
  if (c.precision == "f32") {
    model_options.precision = engine::ModelOptions::Precision::f32;
  } else if (c.precision == "bf16") {
    model_options.precision = engine::ModelOptions::Precision::bf16;
  } else {
    return about(c, make_error(ErrorCode::invalid_request,
                               "precision must be f32 or bf16, not '" + c.precision + "'"));
  }
  model_options.device = c.device;
  model_options.threads = c.threads;
  auto checkpoint = engine::load_checkpoint(c.checkpoint_dir);
  if (!checkpoint.ok()) return about(c, checkpoint.error());
  auto shared = std::make_shared<const engine::Checkpoint>(std::move(*checkpoint));
  auto model = engine::load_model(shared, model_options);
  if (!model.ok()) return about(c, model.error());
  engine::EngineOptions engine_options;
  engine_options.vision_cache_bytes = c.vision_cache_bytes;
  auto engine = engine::Engine::create(shared, std::move(*model), engine_options);
  if (!engine.ok()) return about(c, engine.error());
  auto backend = EngineBackend::create(c.model, std::move(*engine), c.serving);
  if (!backend.ok()) return about(c, backend.error());
  return std::move(*backend);
#else
  return about(c, make_error(ErrorCode::unsupported,
                             "this sightline was built without libtorch (SIGHTLINE_ENGINE_TORCH=OFF), so it "
                             "cannot run local models; rebuild with libtorch (apt install libtorch-dev) or "
                             "route the model to a server with --backend"));
#endif
}

}  // namespace sl
