// safetensors files, memory-mapped: one file (SafetensorsFile) or a checkpoint's set of them
// (Weights: model.safetensors, or the shards listed by model.safetensors.index.json).
// The header is validated when a file opens: its size fits the file, every dtype is known,
// offsets lie inside the data, shape x dtype size equals the byte length, and no two tensors
// overlap; anything else is invalid_request naming the file and the tensor. A missing file is
// not_found. Views point into the mapping, so they live as long as the object that gave them.
// Immutable after open; reads are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "engine/dtype.hpp"
#include "engine/mapped_file.hpp"

namespace sl::engine {

struct TensorView {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  std::span<const std::byte> bytes;  // little-endian, row-major

  std::int64_t numel() const;
  std::vector<float> to_f32() const { return engine::to_f32(dtype, bytes); }
};

class SafetensorsFile {
 public:
  static Result<SafetensorsFile> open(const std::filesystem::path& path);
  const TensorView* find(const std::string& name) const;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  MappedFile file_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

class Weights {
 public:
  // Opens `folder`/model.safetensors.index.json and its shards if the index exists, else
  // `folder`/model.safetensors.
  static Result<Weights> open(const std::filesystem::path& folder);
  const TensorView* find(const std::string& name) const;
  std::vector<std::string> names() const;
  std::size_t file_count() const { return files_.size(); }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;  // stable addresses for the views
  std::map<std::string, const TensorView*> index_;
};

}  // namespace sl::engine
