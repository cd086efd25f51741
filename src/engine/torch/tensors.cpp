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

bool TensorLoader::in_place(const std::string& name) const {
  const TensorView* view = weights_.find(name);
  if (!view || !device_.is_cpu() || scalar_type(view->dtype) != dtype_) return false;
  return reinterpret_cast<std::uintptr_t>(view->bytes.data()) % dtype_size(view->dtype) == 0;
}

FusedLinear::FusedLinear(const TensorLoader& loader, const std::vector<std::string>& weight_names,
                         const std::vector<std::string>& bias_names) {
  bool all_in_place = true;
  for (const auto& n : weight_names) all_in_place = all_in_place && loader.in_place(n);
  for (const auto& n : weight_names) {
    w_.push_back(loader.get(n));
    sizes_.push_back(w_.back().size(0));
  }
  for (const auto& n : bias_names) b_.push_back(loader.get(n));
  if (!all_in_place && w_.size() > 1) {
    w_ = {at::cat(w_)};
    if (!b_.empty()) b_ = {at::cat(b_)};
  }
}

std::vector<at::Tensor> FusedLinear::operator()(const at::Tensor& x) const {
  std::vector<at::Tensor> out;
  if (w_.size() == 1 && sizes_.size() > 1) {
    const at::Tensor y = dense(x, w_[0], b_.empty() ? at::Tensor() : b_[0]);
    int64_t at = 0;
    for (int64_t n : sizes_) {
      out.push_back(y.narrow(-1, at, n));
      at += n;
    }
    return out;
  }
  for (std::size_t i = 0; i < w_.size(); ++i) out.push_back(dense(x, w_[i], b_.empty() ? at::Tensor() : b_[i]));
  return out;
}

at::Tensor TensorLoader::get(const std::string& name) const {
  at::Tensor t = maybe(name);
  if (!t.defined()) throw std::runtime_error("tensor " + name + " is missing");
  return t;
}

}  // namespace sl::engine::torch_impl
