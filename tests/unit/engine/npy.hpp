// A minimal .npy reader for the engine's parity fixtures: little-endian float32, uint8 and
// int64 arrays in C order (what tools/reference writes). Aborts the test on anything else.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/fixtures.hpp"

namespace sl::engine::testing {

template <typename T>
struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<T> data;
};

template <typename T>
inline const char* npy_descr();
template <>
inline const char* npy_descr<float>() { return "'<f4'"; }
template <>
inline const char* npy_descr<std::uint8_t>() { return "'|u1'"; }
template <>
inline const char* npy_descr<std::int64_t>() { return "'<i8'"; }

template <typename T>
NpyArray<T> read_npy(const std::filesystem::path& path) {
  const std::string bytes = read_text(path);
  NpyArray<T> out;
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    ADD_FAILURE() << path << ": not a .npy file";
    return out;
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8;
    offset = 10;
  } else {
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  }
  const std::string header = bytes.substr(offset, header_len);
  if (header.find(npy_descr<T>()) == std::string::npos || header.find("'fortran_order': False") == std::string::npos) {
    ADD_FAILURE() << path << ": unexpected header " << header;
    return out;
  }
  const std::size_t open = header.find('(', header.find("'shape'"));
  const std::size_t close = header.find(')', open);
  std::string dims = header.substr(open + 1, close - open - 1);
  std::size_t pos = 0;
  std::int64_t count = 1;
  while (pos < dims.size()) {
    std::size_t comma = dims.find(',', pos);
    if (comma == std::string::npos) comma = dims.size();
    const std::string part = dims.substr(pos, comma - pos);
    if (part.find_first_of("0123456789") != std::string::npos) {
      out.shape.push_back(std::stoll(part));
      count *= out.shape.back();
    }
    pos = comma + 1;
  }
  const std::size_t data_at = offset + header_len;
  if (bytes.size() - data_at != static_cast<std::size_t>(count) * sizeof(T)) {
    ADD_FAILURE() << path << ": size does not match the shape";
    return out;
  }
  out.data.resize(static_cast<std::size_t>(count));
  std::memcpy(out.data.data(), bytes.data() + data_at, bytes.size() - data_at);
  return out;
}

}  // namespace sl::engine::testing
