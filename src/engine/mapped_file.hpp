// A read-only memory map of a whole file (RAII: unmapped on destruction; move-only). Weights
// are read through it so a multi-gigabyte checkpoint costs page cache, not heap. The mapping
// is immutable and may be read from any thread. open() returns not_found for a missing file
// and internal for any other system error, the message naming the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

#include "core/status.hpp"

namespace sl::engine {

class MappedFile {
 public:
  static Result<MappedFile> open(const std::filesystem::path& path);
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  std::size_t size() const { return size_; }

 private:
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace sl::engine
