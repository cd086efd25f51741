#include "core/json_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace sl {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid there
// (overlongs, surrogates and code points above U+10FFFF are invalid, as in RFC 3629).
size_t valid_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

// Appends the code point (or U+FFFD for an invalid byte) at s[i]; returns the bytes consumed.
size_t append_code_point(std::string& out, std::string_view s, size_t i) {
  const size_t n = valid_sequence(s, i);
  if (n == 0) {
    out.append(kReplacement);
    return 1;
  }
  out.append(s.substr(i, n));
  return n;
}

void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      i += append_code_point(out, s, i);
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        if (c < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out.append("null");
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) {
    out.append("null");
    return;
  }
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out.append(text);
  // Keep a double recognisably a float ("2.0"), as Python and JavaScript clients expect.
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
}

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, static_cast<size_t>(end - buf));
}

}  // namespace

void append_json_text(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: out.append("null"); return;
    case boost::json::kind::bool_: out.append(v.get_bool() ? "true" : "false"); return;
    case boost::json::kind::int64: append_int(out, v.get_int64()); return;
    case boost::json::kind::uint64: append_int(out, v.get_uint64()); return;
    case boost::json::kind::double_: append_double(out, v.get_double()); return;
    case boost::json::kind::string: append_string(out, v.get_string()); return;
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const boost::json::value& e : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_text(out, e);
      }
      out.push_back(']');
      return;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, kv.key());
        out.push_back(':');
        append_json_text(out, kv.value());
      }
      out.push_back('}');
      return;
    }
  }
}

std::string json_text(const boost::json::value& v) {
  std::string out;
  append_json_text(out, v);
  return out;
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) i += append_code_point(out, s, i);
  return out;
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = valid_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

size_t utf8_length(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++count) {
    const size_t n = valid_sequence(s, i);
    i += n == 0 ? 1 : n;
  }
  return count;
}

std::string truncate_utf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t cut = 0;
  while (cut < s.size()) {
    const size_t n = valid_sequence(s, cut);
    const size_t step = n == 0 ? 1 : n;
    if (cut + step > max_bytes) break;
    cut += step;
  }
  return std::string(s.substr(0, cut)) + "...";
}

}  // namespace sl
