// Jinja value operations with Python's semantics, shared by the renderer's statements,
// expressions, filters and methods (jinja_ops.hpp).
#include "engine/jinja_ops.hpp"

#include <algorithm>
#include <cmath>

#include "engine/unicode.hpp"

namespace sl::engine::jinja {

void fail(std::string message) { throw Failure{std::move(message)}; }

namespace {
std::string object_type(const Value& v) { return v.is_none() ? "None" : type_name(v) + " object"; }
}  // namespace

Value undefined_attr(const Value& obj, const std::string& name) {
  return Undefined{"'" + object_type(obj) + "' has no attribute '" + name + "'"};
}

void touch(const Value& v) {  // using an undefined value for anything but output is an error
  if (v.is_undefined()) fail(std::get<Undefined>(v.v).hint);
}

std::u32string cps(const std::string& s) { return unicode::decode_utf8(s); }
std::string utf8(std::u32string_view s) { return unicode::encode_utf8(s); }

namespace {
bool is_space32(char32_t c) { return unicode::is_whitespace(c) || (c >= 0x1C && c <= 0x1F); }
}  // namespace

std::string strip(const std::string& s, bool left, bool right, const Value* chars) {
  const std::u32string t = cps(s);
  const std::u32string set = chars && chars->is_string() ? cps(chars->str()) : std::u32string();
  auto strippable = [&](char32_t c) { return chars && chars->is_string() ? set.find(c) != std::u32string::npos : is_space32(c); };
  std::size_t b = 0, e = t.size();
  if (left)
    while (b < e && strippable(t[b])) ++b;
  if (right)
    while (e > b && strippable(t[e - 1])) --e;
  return utf8(std::u32string_view(t).substr(b, e - b));
}

namespace {
char32_t upper32(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 0x20;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) || (c >= 0x430 && c <= 0x44F)) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  return c;
}
}  // namespace

std::string map_case(const std::string& s, int mode) {  // 0 lower, 1 upper, 2 capitalize, 3 title
  std::u32string t = cps(s);
  bool word_start = true;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char32_t c = t[i];
    switch (mode) {
      case 0: t[i] = unicode::simple_lower(c); break;
      case 1: t[i] = upper32(c); break;
      case 2: t[i] = i == 0 ? upper32(c) : unicode::simple_lower(c); break;
      default:
        t[i] = word_start ? upper32(c) : unicode::simple_lower(c);
        word_start = !(unicode::is_letter(c) || unicode::is_number(c) || c == '\'');
    }
  }
  return utf8(t);
}

std::int64_t length(const Value& v) {
  if (v.is_string()) return static_cast<std::int64_t>(cps(v.str()).size());
  if (v.is_list()) return static_cast<std::int64_t>(v.list().size());
  if (v.is_dict()) return static_cast<std::int64_t>(v.dict().size());
  if (v.is_undefined()) return 0;
  fail("object of type '" + type_name(v) + "' has no len()");
}

List iterate(const Value& v) {
  if (v.is_list()) return v.list();
  if (v.is_dict()) {
    List keys;
    for (const auto& kv : v.dict()) keys.emplace_back(kv.first);
    return keys;
  }
  if (v.is_string()) {
    List chars;
    for (char32_t c : cps(v.str())) chars.emplace_back(utf8(std::u32string(1, c)));
    return chars;
  }
  if (v.is_undefined() || v.is_none()) {
    if (v.is_none()) fail("'NoneType' object is not iterable");
    return {};
  }
  fail("'" + type_name(v) + "' object is not iterable");
}

Value get_item(const Value& obj, const Value& key) {
  touch(obj);
  if (obj.is_dict()) {
    if (key.is_string()) {
      if (const Value* v = obj.find(key.str())) return *v;
      return undefined_attr(obj, key.str());
    }
    return Undefined{object_type(obj) + " has no element " + to_repr(key)};
  }
  if (obj.is_namespace() && key.is_string()) {
    auto it = obj.ns().attrs.find(key.str());
    return it == obj.ns().attrs.end() ? undefined_attr(obj, key.str()) : it->second;
  }
  if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    std::int64_t i = key.is_bool() ? (std::get<bool>(key.v) ? 1 : 0) : key.integer();
    const std::int64_t n = length(obj);
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Undefined{object_type(obj) + " has no element " + to_repr(key)};
    if (obj.is_list()) return obj.list()[static_cast<std::size_t>(i)];
    return utf8(std::u32string(1, cps(obj.str())[static_cast<std::size_t>(i)]));
  }
  if (key.is_string()) return undefined_attr(obj, key.str());
  return Undefined{object_type(obj) + " has no element " + to_repr(key)};
}

Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step_value) {
  touch(obj);
  const std::int64_t n = length(obj);
  const std::int64_t step = step_value.is_int() ? step_value.integer() : 1;
  if (step == 0) fail("slice step cannot be zero");
  auto clamp = [&](const Value& v, std::int64_t fallback) {
    if (!v.is_int()) return fallback;
    std::int64_t i = v.integer();
    if (i < 0) i += n;
    return step > 0 ? std::clamp<std::int64_t>(i, 0, n) : std::clamp<std::int64_t>(i, -1, n - 1);
  };
  const std::int64_t b = clamp(start, step > 0 ? 0 : n - 1);
  const std::int64_t e = clamp(stop, step > 0 ? n : -1);
  std::vector<std::int64_t> idx;
  for (std::int64_t i = b; step > 0 ? i < e : i > e; i += step) idx.push_back(i);
  if (obj.is_list()) {
    List out;
    for (std::int64_t i : idx) out.push_back(obj.list()[static_cast<std::size_t>(i)]);
    return out;
  }
  if (obj.is_string()) {
    const std::u32string t = cps(obj.str());
    std::u32string out;
    for (std::int64_t i : idx) out.push_back(t[static_cast<std::size_t>(i)]);
    return utf8(out);
  }
  fail("'" + type_name(obj) + "' object is not subscriptable");
}

bool less(const Value& a, const Value& b) {
  if ((a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool())) return a.number() < b.number();
  if (a.is_string() && b.is_string()) return cps(a.str()) < cps(b.str());
  fail("'<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

bool contains(const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string()) fail("'in <string>' requires string as left operand");
    return container.str().find(item.str()) != std::string::npos;
  }
  if (container.is_dict()) return item.is_string() && container.find(item.str()) != nullptr;
  for (const Value& v : iterate(container))
    if (equal(v, item)) return true;
  return false;
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  touch(a);
  touch(b);
  if (op == "+") {
    if (a.is_string() && b.is_string()) return a.str() + b.str();
    if (a.is_list() && b.is_list()) {
      List l = a.list();
      l.insert(l.end(), b.list().begin(), b.list().end());
      return l;
    }
  }
  if (op == "*" && ((a.is_string() && b.is_int()) || (a.is_int() && b.is_string()))) {
    const std::string& s = a.is_string() ? a.str() : b.str();
    std::string out;
    for (std::int64_t i = 0; i < (a.is_int() ? a.integer() : b.integer()); ++i) out += s;
    return out;
  }
  const bool nums = (a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool());
  if (!nums) fail("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
  const bool ints = !a.is_float() && !b.is_float();
  const double x = a.number(), y = b.number();
  if (op == "/") {
    if (y == 0) fail("division by zero");
    return x / y;
  }
  if (ints) {
    const auto i = static_cast<std::int64_t>(x), j = static_cast<std::int64_t>(y);
    if (op == "+") return i + j;
    if (op == "-") return i - j;
    if (op == "*") return i * j;
    if (op == "**") return j >= 0 ? static_cast<std::int64_t>(std::llround(std::pow(x, y))) : Value(std::pow(x, y));
    if (j == 0) fail("integer division or modulo by zero");
    const std::int64_t q = i / j - ((i % j != 0) && ((i < 0) != (j < 0)) ? 1 : 0);
    if (op == "//") return q;
    if (op == "%") return i - q * j;
  }
  if (op == "+") return x + y;
  if (op == "-") return x - y;
  if (op == "*") return x * y;
  if (op == "**") return std::pow(x, y);
  if (y == 0) fail("float division by zero");
  if (op == "//") return std::floor(x / y);
  if (op == "%") return x - std::floor(x / y) * y;
  fail("unknown operator " + op);
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) {
    std::string out = to;
    for (char32_t c : cps(s)) out += utf8(std::u32string(1, c)) + to;
    return out;
  }
  std::string out;
  std::size_t pos = 0;
  for (std::size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  out.append(s, pos);
  return out;
}

namespace {
Value split(const std::string& s, const Value* sep) {
  List out;
  if (!sep || sep->is_none()) {
    const std::u32string t = cps(s);
    std::size_t i = 0;
    while (i < t.size()) {
      while (i < t.size() && is_space32(t[i])) ++i;
      std::size_t j = i;
      while (j < t.size() && !is_space32(t[j])) ++j;
      if (j > i) out.emplace_back(utf8(std::u32string_view(t).substr(i, j - i)));
      i = j;
    }
    return out;
  }
  if (!sep->is_string() || sep->str().empty()) fail("empty separator");
  std::size_t pos = 0;
  for (std::size_t hit; (hit = s.find(sep->str(), pos)) != std::string::npos; pos = hit + sep->str().size())
    out.emplace_back(s.substr(pos, hit - pos));
  out.emplace_back(s.substr(pos));
  return out;
}
}  // namespace

Value call_method(const Value& obj, const std::string& name, const std::vector<Value>& a) {
  auto arg = [&](std::size_t i) -> const Value* { return i < a.size() ? &a[i] : nullptr; };
  if (obj.is_string()) {
    const std::string& s = obj.str();
    if (name == "strip") return strip(s, true, true, arg(0));
    if (name == "lstrip") return strip(s, true, false, arg(0));
    if (name == "rstrip") return strip(s, false, true, arg(0));
    if (name == "upper") return map_case(s, 1);
    if (name == "lower") return map_case(s, 0);
    if (name == "capitalize") return map_case(s, 2);
    if (name == "title") return map_case(s, 3);
    if (name == "startswith" || name == "endswith") {
      if (a.empty()) fail(name + "() takes at least 1 argument");
      List options = a[0].is_list() ? a[0].list() : List{a[0]};
      for (const Value& o : options) {
        if (!o.is_string()) fail(name + " first arg must be str or a tuple of str");
        const std::string& p = o.str();
        if (p.size() <= s.size() && s.compare(name == "startswith" ? 0 : s.size() - p.size(), p.size(), p) == 0) return true;
      }
      return false;
    }
    if (name == "replace") {
      if (a.size() < 2 || !a[0].is_string() || !a[1].is_string()) fail("replace() takes two strings");
      return replace_all(s, a[0].str(), a[1].str());
    }
    if (name == "split") return split(s, arg(0));
    if (name == "join") {
      std::string out;
      bool first = true;
      for (const Value& v : iterate(a.empty() ? Value(List{}) : a[0])) {
        out += (first ? "" : s) + to_str(v);
        first = false;
      }
      return out;
    }
  }
  if (obj.is_dict()) {
    if (name == "items") {
      List l;
      for (const auto& [k, v] : obj.dict()) l.emplace_back(List{Value(k), v});
      return l;
    }
    if (name == "keys" || name == "values") {
      List l;
      for (const auto& [k, v] : obj.dict()) l.push_back(name == "keys" ? Value(k) : v);
      return l;
    }
    if (name == "get") {
      if (a.empty() || !a[0].is_string()) return a.size() > 1 ? a[1] : Value(None{});
      const Value* v = obj.find(a[0].str());
      return v ? *v : (a.size() > 1 ? a[1] : Value(None{}));
    }
  }
  fail("'" + type_name(obj) + "' object has no callable attribute '" + name + "'");
}

}  // namespace sl::engine::jinja
