#include "engine/torch/load_model.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/Device.h>
#include <dlfcn.h>

#include "engine/torch/smolvlm_model.hpp"

namespace sl::engine {

namespace {

// Debian's libtorch does its matrix products in OpenBLAS; with libopenblas0-pthread, OpenBLAS
// runs its own pool of threads beside libtorch's OpenMP pool. Both pools busy-wait between
// jobs, so N threads in each on N cores fight over them: measured on 2 cores, a 256M prefill
// ran 2x and a decode step 3x slower than with libtorch's pool at 1 thread and OpenBLAS at 2.
// So the cores go to OpenBLAS (found at run time, as it is not a link dependency of ours) and
// libtorch's own element-wise work stays on the calling thread. With the OpenMP build of
// OpenBLAS (one shared pool), or another BLAS, libtorch gets the threads as before.
void set_compute_threads(int threads) {
  using SetThreads = void (*)(int);
  using GetParallel = int (*)();
  auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  auto parallel = reinterpret_cast<GetParallel>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
  const bool own_pool = set_blas && parallel && parallel() == 1;  // 1: pthreads, 2: OpenMP
  if (own_pool) {
    set_blas(threads);
    at::set_num_threads(1);
  } else {
    at::set_num_threads(threads);
  }
}

}  // namespace

Result<std::unique_ptr<VlmModel>> load_model(std::shared_ptr<const Checkpoint> checkpoint, const ModelOptions& options) {
  if (!checkpoint || !checkpoint->family) return make_error(ErrorCode::invalid_request, "engine: no checkpoint");
  if (options.threads < 0) return make_error(ErrorCode::invalid_request, "engine: threads must be >= 0");
  if (options.vision_batch < 1) return make_error(ErrorCode::invalid_request, "engine: vision_batch must be >= 1");
  try {
    const c10::Device device(options.device);
    if (device.is_cuda() && !at::hasCUDA())
      return make_error(ErrorCode::unsupported, "engine: this libtorch has no CUDA (device " + options.device + ")");
    if (!device.is_cpu() && !device.is_cuda())
      return make_error(ErrorCode::unsupported, "engine: device " + options.device + " is not supported");
    if (options.threads > 0) set_compute_threads(options.threads);
    // The one dispatch from a family to its graph.
    const std::string& family = checkpoint->spec.family;
    if (family == "smolvlm") return torch_impl::make_smolvlm_model(std::move(checkpoint), options);
    return make_error(ErrorCode::unsupported, "engine: no forward pass for the " + family + " family");
  } catch (const std::exception& e) {
    return make_error(ErrorCode::internal, std::string("engine: loading the model: ") + e.what());
  }
}

}  // namespace sl::engine
