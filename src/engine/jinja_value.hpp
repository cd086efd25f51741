// Values of the Jinja interpreter (jinja_template.hpp), with Python's semantics where chat
// templates can see them: truthiness, equality, str() and repr() of lists and dicts, and
// json.dumps for the tojson filter. Lists and dicts share their storage (copying a Value is
// cheap); dicts keep insertion order. Not thread-safe by itself: one render owns its values.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sl::engine::jinja {

struct Value;
using List = std::vector<Value>;
using Dict = std::vector<std::pair<std::string, Value>>;
struct Namespace {
  std::map<std::string, Value> attrs;
};
struct Undefined {
  std::string hint;  // jinja2's message when something touches it, e.g. "'x' is undefined"
};
struct None {};

struct Value {
  std::variant<Undefined, None, bool, std::int64_t, double, std::string, std::shared_ptr<List>,
               std::shared_ptr<Dict>, std::shared_ptr<Namespace>>
      v;

  Value() = default;
  Value(Undefined u) : v(std::move(u)) {}  // NOLINT
  Value(None) : v(None{}) {}               // NOLINT
  Value(bool b) : v(b) {}                  // NOLINT
  Value(std::int64_t i) : v(i) {}          // NOLINT
  Value(int i) : v(static_cast<std::int64_t>(i)) {}  // NOLINT
  Value(double d) : v(d) {}                // NOLINT
  Value(std::string s) : v(std::move(s)) {}           // NOLINT
  Value(const char* s) : v(std::string(s)) {}         // NOLINT
  Value(List l) : v(std::make_shared<List>(std::move(l))) {}  // NOLINT
  Value(Dict d) : v(std::make_shared<Dict>(std::move(d))) {}  // NOLINT

  bool is_undefined() const { return std::holds_alternative<Undefined>(v); }
  bool is_none() const { return std::holds_alternative<None>(v); }
  bool is_bool() const { return std::holds_alternative<bool>(v); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(v); }
  bool is_float() const { return std::holds_alternative<double>(v); }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_list() const { return std::holds_alternative<std::shared_ptr<List>>(v); }
  bool is_dict() const { return std::holds_alternative<std::shared_ptr<Dict>>(v); }
  bool is_namespace() const { return std::holds_alternative<std::shared_ptr<Namespace>>(v); }

  const std::string& str() const { return std::get<std::string>(v); }
  const List& list() const { return *std::get<std::shared_ptr<List>>(v); }
  const Dict& dict() const { return *std::get<std::shared_ptr<Dict>>(v); }
  Namespace& ns() const { return *std::get<std::shared_ptr<Namespace>>(v); }
  double number() const { return is_int() ? static_cast<double>(std::get<std::int64_t>(v)) : is_float() ? std::get<double>(v) : is_bool() && std::get<bool>(v) ? 1.0 : 0.0; }
  std::int64_t integer() const { return std::get<std::int64_t>(v); }

  const Value* find(std::string_view key) const;  // dict lookup
};

bool truthy(const Value& v);
bool equal(const Value& a, const Value& b);
std::string type_name(const Value& v);  // Python's: 'dict', 'list', 'str', ...
std::string to_str(const Value& v);     // Python's str()
std::string to_repr(const Value& v);    // Python's repr()
// json.dumps(v, ensure_ascii=False, indent=indent (<0: none), sort_keys=false)
std::string to_json(const Value& v, int indent = -1);
Value from_json(const boost::json::value& j);

}  // namespace sl::engine::jinja
