// Element types of safetensors tensors, their sizes, and conversion of the floating types the
// engine loads (f32, f16, bf16) to f32. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sl::engine {

enum class DType { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean };

std::optional<DType> parse_dtype(std::string_view safetensors_name);  // "F32", "BF16", ...
std::string_view dtype_name(DType t);
std::size_t dtype_size(DType t);
bool is_loadable_float(DType t);  // f32, f16, bf16

float f16_to_f32(std::uint16_t bits);
float bf16_to_f32(std::uint16_t bits);
// Little-endian raw bytes of `count` elements of a loadable float type -> f32 values.
std::vector<float> to_f32(DType t, std::span<const std::byte> bytes);

}  // namespace sl::engine
