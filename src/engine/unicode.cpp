#include "engine/unicode.hpp"

#include <algorithm>
#include <cstdint>

#include "engine/unicode_tables.hpp"

namespace sl::engine::unicode {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool in_ranges(const CodeRange* ranges, std::size_t n, char32_t cp) {
  const CodeRange* end = ranges + n;
  const CodeRange* it =
      std::upper_bound(ranges, end, cp, [](char32_t c, const CodeRange& r) { return c < r.first; });
  return it != ranges && cp <= (it - 1)->last;
}

// Length of the UTF-8 sequence starting at s[i] if it is valid, else 0 (Rust's rules:
// no overlongs, no surrogates, nothing above U+10FFFF). `needed` gets the full length the
// lead byte announces, so a truncated but so far valid sequence can be told apart.
std::size_t valid_sequence(std::string_view s, std::size_t i, char32_t& cp, std::size_t& needed) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  needed = 1;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    needed = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    needed = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    needed = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    needed = 1;
    return 0;
  }
  for (std::size_t k = 1; k < needed; ++k) {
    if (i + k >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) {
      needed = k;  // the sequence is broken after k bytes
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  return needed;
}

std::uint8_t combining_class(char32_t cp) {
  const CombiningRange* end = combining_ranges + combining_ranges_size;
  const CombiningRange* it = std::upper_bound(
      combining_ranges, end, cp, [](char32_t c, const CombiningRange& r) { return c < r.first; });
  if (it == combining_ranges || cp > (it - 1)->last) return 0;
  return (it - 1)->ccc;
}

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

void decompose(char32_t cp, std::u32string& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const Decomposition* end = decompositions + decompositions_size;
  const Decomposition* it = std::lower_bound(
      decompositions, end, cp, [](const Decomposition& d, char32_t c) { return d.cp < c; });
  if (it == end || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  decompose(it->first, out);
  if (it->second != 0) decompose(it->second, out);
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  const Composition* end = compositions + compositions_size;
  const Composition* it = std::lower_bound(compositions, end, std::pair{a, b},
                                           [](const Composition& c, const std::pair<char32_t, char32_t>& k) {
                                             return c.first < k.first ||
                                                    (c.first == k.first && c.second < k.second);
                                           });
  if (it != end && it->first == a && it->second == b) return it->composite;
  return 0;
}

}  // namespace

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    std::size_t needed = 0;
    const std::size_t n = valid_sequence(s, i, cp, needed);
    if (n == 0) {
      out.push_back(kReplacement);
      i += std::max<std::size_t>(1, std::min(needed, s.size() - i));
    } else {
      out.push_back(cp);
      i += n;
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) append_utf8(out, cp);
  return out;
}

std::size_t complete_utf8_prefix(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    std::size_t needed = 0;
    const std::size_t n = valid_sequence(s, i, cp, needed);
    if (n == 0) {
      // Unfinished only if every byte present so far fits and the input simply ends.
      if (needed > 1 && i + needed > s.size()) {
        char32_t ignored = 0;
        std::size_t again = 0;
        std::string padded(s.substr(i));
        valid_sequence(padded, 0, ignored, again);
        if (again == needed) return i;
      }
      i += 1;
    } else {
      i += n;
    }
  }
  return i;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    std::size_t needed = 0;
    const std::size_t n = valid_sequence(s, i, cp, needed);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool is_letter(char32_t cp) { return in_ranges(letter_ranges, letter_ranges_size, cp); }
bool is_number(char32_t cp) { return in_ranges(number_ranges, number_ranges_size, cp); }
bool is_printable(char32_t cp) { return !in_ranges(unprintable_ranges, unprintable_ranges_size, cp); }

bool is_whitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

char32_t simple_lower(char32_t cp) {
  if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
      (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) || (cp >= 0x410 && cp <= 0x42F))
    return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

std::u32string nfc(std::u32string_view s) {
  std::u32string d;
  d.reserve(s.size());
  for (char32_t cp : s) decompose(cp, d);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (std::size_t i = 0; i < d.size();) {
    if (combining_class(d[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < d.size() && combining_class(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + static_cast<std::ptrdiff_t>(i), d.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  // Canonical composition: a character joins the last starter unless something between them
  // blocks it (a starter, or a mark of the same or higher class; the run is sorted, so the
  // last mark appended has the highest class).
  std::u32string out;
  out.reserve(d.size());
  std::size_t starter = std::u32string::npos;
  int last_ccc = 0;
  for (char32_t cp : d) {
    const int ccc = combining_class(cp);
    if (starter != std::u32string::npos) {
      const bool adjacent = out.size() == starter + 1;
      if (adjacent || (last_ccc != 0 && last_ccc < ccc)) {
        if (const char32_t c = compose_pair(out[starter], cp); c != 0) {
          out[starter] = c;
          continue;
        }
      }
    }
    if (ccc == 0) {
      starter = out.size();
      last_ccc = 0;
    } else {
      last_ccc = ccc;
    }
    out.push_back(cp);
  }
  return out;
}

std::string nfc(std::string_view s) { return encode_utf8(nfc(decode_utf8(s))); }

std::string python_repr(std::string_view utf8) {
  const std::u32string cps = decode_utf8(utf8);
  const bool has_single = cps.find(U'\'') != std::u32string::npos;
  const bool has_double = cps.find(U'"') != std::u32string::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  static const char* hex = "0123456789abcdef";
  for (char32_t cp : cps) {
    if (cp == static_cast<char32_t>(quote) || cp == U'\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == U'\t') {
      out += "\\t";
    } else if (cp == U'\n') {
      out += "\\n";
    } else if (cp == U'\r') {
      out += "\\r";
    } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && !is_printable(cp))) {
      int digits = cp < 0x100 ? 2 : cp < 0x10000 ? 4 : 8;
      out += digits == 2 ? "\\x" : digits == 4 ? "\\u" : "\\U";
      for (int k = digits - 1; k >= 0; --k) out.push_back(hex[(cp >> (4 * k)) & 0xF]);
    } else {
      append_utf8(out, cp);
    }
  }
  out.push_back(quote);
  return out;
}

}  // namespace sl::engine::unicode
