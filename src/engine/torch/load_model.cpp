#include "engine/torch/load_model.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/Device.h>

#include "engine/torch/smolvlm_model.hpp"

namespace sl::engine {

Result<std::unique_ptr<VlmModel>> load_model(std::shared_ptr<const Checkpoint> checkpoint, const ModelOptions& options) {
  if (!checkpoint || !checkpoint->family) return make_error(ErrorCode::invalid_request, "engine: no checkpoint");
  if (options.threads < 0) return make_error(ErrorCode::invalid_request, "engine: threads must be >= 0");
  try {
    const c10::Device device(options.device);
    if (device.is_cuda() && !at::hasCUDA())
      return make_error(ErrorCode::unsupported, "engine: this libtorch has no CUDA (device " + options.device + ")");
    if (!device.is_cpu() && !device.is_cuda())
      return make_error(ErrorCode::unsupported, "engine: device " + options.device + " is not supported");
    if (options.threads > 0) at::set_num_threads(options.threads);
    // The one dispatch from a family to its graph.
    const std::string& family = checkpoint->spec.family;
    if (family == "smolvlm") return torch_impl::make_smolvlm_model(std::move(checkpoint), options);
    return make_error(ErrorCode::unsupported, "engine: no forward pass for the " + family + " family");
  } catch (const std::exception& e) {
    return make_error(ErrorCode::internal, std::string("engine: loading the model: ") + e.what());
  }
}

}  // namespace sl::engine
