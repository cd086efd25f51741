#include "engine/dtype.hpp"

#include <cstdint>
#include <cstring>

namespace sl::engine {

std::optional<DType> parse_dtype(std::string_view n) {
  if (n == "F64") return DType::f64;
  if (n == "F32") return DType::f32;
  if (n == "F16") return DType::f16;
  if (n == "BF16") return DType::bf16;
  if (n == "I64") return DType::i64;
  if (n == "I32") return DType::i32;
  if (n == "I16") return DType::i16;
  if (n == "I8") return DType::i8;
  if (n == "U8") return DType::u8;
  if (n == "BOOL") return DType::boolean;
  return std::nullopt;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f64: return "F64";
    case DType::f32: return "F32";
    case DType::f16: return "F16";
    case DType::bf16: return "BF16";
    case DType::i64: return "I64";
    case DType::i32: return "I32";
    case DType::i16: return "I16";
    case DType::i8: return "I8";
    case DType::u8: return "U8";
    case DType::boolean: return "BOOL";
  }
  return "?";
}

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::f64: case DType::i64: return 8;
    case DType::f32: case DType::i32: return 4;
    case DType::f16: case DType::bf16: case DType::i16: return 2;
    case DType::i8: case DType::u8: case DType::boolean: return 1;
  }
  return 1;
}

bool is_loadable_float(DType t) { return t == DType::f32 || t == DType::f16 || t == DType::bf16; }

float bf16_to_f32(std::uint16_t bits) {
  const std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  std::uint32_t exp = (h >> 10) & 0x1F;
  std::uint32_t mant = h & 0x3FF;
  std::uint32_t u;
  if (exp == 0) {
    if (mant == 0) {
      u = sign;
    } else {  // subnormal: normalize
      exp = 127 - 15 + 1;
      while ((mant & 0x400) == 0) {
        mant <<= 1;
        --exp;
      }
      u = sign | (exp << 23) | ((mant & 0x3FF) << 13);
    }
  } else if (exp == 0x1F) {
    u = sign | 0x7F800000u | (mant << 13);
  } else {
    u = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

std::vector<float> to_f32(DType t, std::span<const std::byte> bytes) {
  std::vector<float> out;
  if (!is_loadable_float(t)) return out;
  const std::size_t n = bytes.size() / dtype_size(t);
  out.resize(n);
  if (t == DType::f32) {
    std::memcpy(out.data(), bytes.data(), n * 4);
    return out;
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::uint16_t bits;
    std::memcpy(&bits, bytes.data() + 2 * i, 2);
    out[i] = t == DType::bf16 ? bf16_to_f32(bits) : f16_to_f32(bits);
  }
  return out;
}

}  // namespace sl::engine
