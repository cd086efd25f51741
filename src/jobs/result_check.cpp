#include "jobs/result_check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace sl::jobs {
namespace json = boost::json;
namespace {

bool has_type(const json::value& v, std::string_view type) {
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_int64() || v.is_uint64()) return true;
    return v.is_double() && v.get_double() == static_cast<double>(static_cast<int64_t>(v.get_double()));
  }
  if (type == "boolean") return v.is_bool();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return true;  // a type we do not know: not checked
}

// The schema's `type` allows `v` (absent: anything).
bool type_allows(const json::object& schema, const json::value& v, std::string* expected) {
  const json::value* t = schema.if_contains("type");
  if (!t) return true;
  if (t->is_string()) {
    *expected = std::string(t->get_string());
    return has_type(v, t->get_string());
  }
  if (!t->is_array()) return true;
  std::string names;
  for (const json::value& one : t->get_array()) {
    if (!one.is_string()) continue;
    if (has_type(v, one.get_string())) return true;
    names += (names.empty() ? "" : " or ") + std::string(one.get_string());
  }
  *expected = names;
  return names.empty();
}

}  // namespace

std::optional<std::string> check_result(std::string_view answer, std::string_view schema_json) {
  boost::system::error_code ec;
  json::value schema_v = json::parse(schema_json, ec);
  if (ec || !schema_v.is_object()) return std::nullopt;  // checked at creation; nothing to hold to
  const json::object& schema = schema_v.get_object();

  json::value v = json::parse(answer, ec);
  if (ec) return "the answer is not valid JSON (output_schema_json asks for JSON)";
  std::string expected;
  const bool wants_object = schema.contains("properties") || schema.contains("required");
  if (wants_object && !v.is_object()) return "the answer is not a JSON object";
  if (!type_allows(schema, v, &expected)) return "the answer is not of type " + expected;
  if (!v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();

  if (const json::value* req = schema.if_contains("required"); req && req->is_array()) {
    for (const json::value& k : req->get_array()) {
      if (k.is_string() && !o.contains(k.get_string()))
        return "the answer lacks the required key '" + std::string(k.get_string()) + "'";
    }
  }
  const json::value* props = schema.if_contains("properties");
  if (!props || !props->is_object()) return std::nullopt;
  for (const auto& p : props->get_object()) {
    const json::value* value = o.if_contains(p.key());
    if (!value || !p.value().is_object()) continue;
    const json::object& ps = p.value().get_object();
    if (!type_allows(ps, *value, &expected))
      return "the answer's '" + std::string(p.key()) + "' is not of type " + expected;
    if (const json::value* en = ps.if_contains("enum"); en && en->is_array()) {
      bool found = false;
      for (const json::value& e : en->get_array()) found = found || e == *value;
      if (!found)
        return "the answer's '" + std::string(p.key()) + "' is not one of the schema's enum values";
    }
  }
  return std::nullopt;
}

}  // namespace sl::jobs
