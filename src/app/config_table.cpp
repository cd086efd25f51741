#include "app/config_table.hpp"

namespace sl::app {
namespace json = boost::json;

Error config_error(const std::string& name, const std::string& message) {
  return make_error(ErrorCode::invalid_request, message, name);
}

std::string config_key(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

Result<int64_t> config_integer(const json::value& v, const std::string& name, int64_t min, int64_t max) {
  int64_t n = 0;
  if (v.is_int64()) {
    n = v.as_int64();
  } else if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(max)) {
    n = static_cast<int64_t>(v.as_uint64());
  } else if (v.is_uint64()) {
    return config_error(name, "'" + name + "' is too large");
  } else {
    return config_error(name, "'" + name + "' must be an integer");
  }
  if (n < min || n > max)
    return config_error(name, "'" + name + "' must be between " + std::to_string(min) + " and " +
                                  std::to_string(max));
  return n;
}

Result<bool> config_boolean(const json::value& v, const std::string& name) {
  if (!v.is_bool()) return config_error(name, "'" + name + "' must be true or false");
  return v.as_bool();
}

Result<std::string> config_string(const json::value& v, const std::string& name) {
  if (!v.is_string()) return config_error(name, "'" + name + "' must be a string");
  return std::string(v.as_string());
}

Result<std::vector<std::string>> config_strings(const json::value& v, const std::string& name) {
  if (!v.is_array()) return config_error(name, "'" + name + "' must be an array of strings");
  std::vector<std::string> list;
  for (const auto& e : v.as_array()) {
    if (!e.is_string()) return config_error(name, "'" + name + "' must be an array of strings");
    list.emplace_back(e.as_string());
  }
  return list;
}

}  // namespace sl::app
