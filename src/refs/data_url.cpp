#include "refs/data_url.hpp"

#include <algorithm>
#include <cctype>

#include "core/base64.hpp"

namespace sl {

namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

bool is_base64_flag(std::string_view meta) {
  const size_t semi = meta.rfind(';');
  if (semi == std::string_view::npos) return false;
  const std::string_view last = meta.substr(semi + 1);
  return last.size() == 6 && iequals_prefix(last, "base64");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error data_too_large(size_t max_bytes) {
  return make_error(ErrorCode::payload_too_large,
                    "data: URL is larger than " + std::to_string(max_bytes) + " bytes");
}

Result<Bytes> decode_base64_payload(std::string_view payload, size_t max_bytes) {
  // The decoded size, from the characters that carry data, before anything is allocated.
  size_t chars = 0;
  for (char c : payload) {
    if (c != '=' && std::isspace(static_cast<unsigned char>(c)) == 0) ++chars;
  }
  if (chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1) > max_bytes) {
    return data_too_large(max_bytes);
  }
  auto bytes = base64_decode(payload);
  if (!bytes.ok()) {
    return make_error(ErrorCode::invalid_request,
                      "data: URL has invalid base64: " + bytes.error().message);
  }
  if (bytes->size() > max_bytes) return data_too_large(max_bytes);
  return bytes;
}

Result<Bytes> decode_percent_payload(std::string_view payload, size_t max_bytes) {
  const size_t escapes = static_cast<size_t>(std::count(payload.begin(), payload.end(), '%'));
  if (payload.size() - std::min(payload.size(), 2 * escapes) > max_bytes) {
    return data_too_large(max_bytes);
  }
  Bytes out;
  out.reserve(payload.size() - std::min(payload.size(), 2 * escapes));
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] != '%') {
      out.push_back(static_cast<uint8_t>(payload[i]));
      continue;
    }
    const int hi = i + 2 < payload.size() ? hex_value(payload[i + 1]) : -1;
    const int lo = i + 2 < payload.size() ? hex_value(payload[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return make_error(ErrorCode::invalid_request,
                        "data: URL has an invalid percent escape at offset " + std::to_string(i));
    }
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

Result<Bytes> decode_data_url(std::string_view url, size_t max_bytes) {
  if (!iequals_prefix(url, "data:")) {
    return make_error(ErrorCode::invalid_request, "not a data: URL");
  }
  const std::string_view rest = url.substr(5);
  const size_t comma = rest.find(',');
  if (comma == std::string_view::npos) {
    return make_error(ErrorCode::invalid_request, "data: URL has no ',' before its data");
  }
  const std::string_view meta = rest.substr(0, comma);
  const std::string_view payload = rest.substr(comma + 1);
  if (!is_base64_flag(meta)) return decode_percent_payload(payload, max_bytes);
  if (payload.find('%') == std::string_view::npos) return decode_base64_payload(payload, max_bytes);
  // Some writers percent-escape the base64 text ("%2B", "%3D"); it is unescaped first, as
  // browsers do.
  auto unescaped = decode_percent_payload(payload, payload.size());
  if (!unescaped.ok()) return unescaped.error();
  const Bytes& text = *unescaped;
  return decode_base64_payload(
      std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), max_bytes);
}

}  // namespace sl
