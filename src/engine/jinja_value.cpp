#include "engine/jinja_value.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "engine/unicode.hpp"

namespace sl::engine::jinja {

const Value* Value::find(std::string_view key) const {
  if (!is_dict()) return nullptr;
  for (const auto& [k, val] : dict())
    if (k == key) return &val;
  return nullptr;
}

bool truthy(const Value& v) {
  return std::visit(
      [](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Undefined> || std::is_same_v<T, None>) return false;
        else if constexpr (std::is_same_v<T, bool>) return x;
        else if constexpr (std::is_same_v<T, std::int64_t>) return x != 0;
        else if constexpr (std::is_same_v<T, double>) return x != 0.0;
        else if constexpr (std::is_same_v<T, std::string>) return !x.empty();
        else if constexpr (std::is_same_v<T, std::shared_ptr<List>> || std::is_same_v<T, std::shared_ptr<Dict>>) return !x->empty();
        else return true;
      },
      v.v);
}

bool equal(const Value& a, const Value& b) {
  if ((a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool())) return a.number() == b.number();
  if (a.v.index() != b.v.index()) return false;
  if (a.is_undefined() || a.is_none()) return true;
  if (a.is_string()) return a.str() == b.str();
  if (a.is_list()) {
    if (a.list().size() != b.list().size()) return false;
    for (std::size_t i = 0; i < a.list().size(); ++i)
      if (!equal(a.list()[i], b.list()[i])) return false;
    return true;
  }
  if (a.is_dict()) {
    if (a.dict().size() != b.dict().size()) return false;
    for (const auto& [k, val] : a.dict()) {
      const Value* other = b.find(k);
      if (!other || !equal(val, *other)) return false;
    }
    return true;
  }
  return &a.ns() == &b.ns();
}

std::string type_name(const Value& v) {
  switch (v.v.index()) {
    case 0: return "Undefined";
    case 1: return "NoneType";
    case 2: return "bool";
    case 3: return "int";
    case 4: return "float";
    case 5: return "str";
    case 6: return "list";
    case 7: return "dict";
    default: return "Namespace";
  }
}

namespace {

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, end);
  // Python prints exponents as e+XX / e-XX and whole floats with ".0".
  if (auto e = s.find('e'); e != std::string::npos) {
    std::string mant = s.substr(0, e), exp = s.substr(e + 1);
    std::string sign = "+";
    if (exp[0] == '-' || exp[0] == '+') {
      sign = exp[0] == '-' ? "-" : "+";
      exp.erase(0, 1);
    }
    if (exp.size() < 2) exp = "0" + exp;
    return mant + "e" + sign + exp;
  }
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

void json_string(std::string& out, const std::string& s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void json_dump(std::string& out, const Value& v, int indent, int depth) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out.push_back('\n');
    out.append(static_cast<std::size_t>(indent * d), ' ');
  };
  const char* item_sep = indent < 0 ? ", " : ",";
  if (v.is_undefined() || v.is_none()) {
    out += "null";
  } else if (v.is_bool()) {
    out += std::get<bool>(v.v) ? "true" : "false";
  } else if (v.is_int()) {
    out += std::to_string(v.integer());
  } else if (v.is_float()) {
    const double d = std::get<double>(v.v);
    out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity") : float_repr(d);
  } else if (v.is_string()) {
    json_string(out, v.str());
  } else if (v.is_list()) {
    if (v.list().empty()) {
      out += "[]";
      return;
    }
    out.push_back('[');
    for (std::size_t i = 0; i < v.list().size(); ++i) {
      if (i) out += item_sep;
      newline(depth + 1);
      json_dump(out, v.list()[i], indent, depth + 1);
    }
    newline(depth);
    out.push_back(']');
  } else if (v.is_dict()) {
    if (v.dict().empty()) {
      out += "{}";
      return;
    }
    out.push_back('{');
    bool first = true;
    for (const auto& [k, val] : v.dict()) {
      if (!first) out += item_sep;
      first = false;
      newline(depth + 1);
      json_string(out, k);
      out += ": ";
      json_dump(out, val, indent, depth + 1);
    }
    newline(depth);
    out.push_back('}');
  } else {
    out += "null";
  }
}

}  // namespace

std::string to_repr(const Value& v) {
  if (v.is_string()) return unicode::python_repr(v.str());
  if (v.is_list()) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.list().size(); ++i) s += (i ? ", " : "") + to_repr(v.list()[i]);
    return s + "]";
  }
  if (v.is_dict()) {
    std::string s = "{";
    bool first = true;
    for (const auto& [k, val] : v.dict()) {
      s += (first ? "" : ", ") + unicode::python_repr(k) + ": " + to_repr(val);
      first = false;
    }
    return s + "}";
  }
  return to_str(v);
}

std::string to_str(const Value& v) {
  if (v.is_undefined()) return "";
  if (v.is_none()) return "None";
  if (v.is_bool()) return std::get<bool>(v.v) ? "True" : "False";
  if (v.is_int()) return std::to_string(v.integer());
  if (v.is_float()) return float_repr(std::get<double>(v.v));
  if (v.is_string()) return v.str();
  if (v.is_namespace()) return "<Namespace>";
  return to_repr(v);
}

std::string to_json(const Value& v, int indent) {
  std::string out;
  json_dump(out, v, indent, 0);
  return out;
}

Value from_json(const boost::json::value& j) {
  switch (j.kind()) {
    case boost::json::kind::null: return None{};
    case boost::json::kind::bool_: return j.get_bool();
    case boost::json::kind::int64: return j.get_int64();
    case boost::json::kind::uint64: return static_cast<std::int64_t>(j.get_uint64());
    case boost::json::kind::double_: return j.get_double();
    case boost::json::kind::string: return std::string(j.get_string());
    case boost::json::kind::array: {
      List l;
      for (const auto& x : j.get_array()) l.push_back(from_json(x));
      return l;
    }
    case boost::json::kind::object: {
      Dict d;
      for (const auto& kv : j.get_object()) d.emplace_back(std::string(kv.key()), from_json(kv.value()));
      return d;
    }
  }
  return None{};
}

}  // namespace sl::engine::jinja
