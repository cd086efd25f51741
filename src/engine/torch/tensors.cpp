#include "engine/torch/tensors.hpp"

#include <stdexcept>

namespace sl::engine::torch_impl {

namespace {

at::ScalarType scalar_type(DType t) {
  switch (t) {
    case DType::f32: return at::kFloat;
    case DType::f16: return at::kHalf;
    case DType::bf16: return at::kBFloat16;
    default: throw std::runtime_error("tensor is not f32, f16 or bf16");
  }
}

}  // namespace

at::Tensor TensorLoader::maybe(const std::string& name) const {
  const TensorView* view = weights_.find(name);
  if (!view) return {};
  const at::ScalarType stored = scalar_type(view->dtype);
  std::vector<int64_t> shape(view->shape.begin(), view->shape.end());
  const auto address = reinterpret_cast<std::uintptr_t>(view->bytes.data());
  const bool aligned = address % dtype_size(view->dtype) == 0;
  // The mapping is read-only and outlives the model (it holds the checkpoint); nothing writes
  // to weights, so a view is safe.
  at::Tensor mapped;
  if (aligned) {
    mapped = at::from_blob(const_cast<std::byte*>(view->bytes.data()), shape, at::TensorOptions().dtype(stored));
  } else {
    mapped = at::empty(shape, at::TensorOptions().dtype(stored));
    std::memcpy(mapped.data_ptr(), view->bytes.data(), view->bytes.size());
  }
  if (stored == dtype_ && device_.is_cpu()) return mapped;  // in place: no copy
  return mapped.to(device_, dtype_).contiguous();
}

at::Tensor TensorLoader::get(const std::string& name) const {
  at::Tensor t = maybe(name);
  if (!t.defined()) throw std::runtime_error("tensor " + name + " is missing");
  return t;
}

}  // namespace sl::engine::torch_impl
