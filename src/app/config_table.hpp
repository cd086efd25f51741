// The config file's keys as tables: one row per key of a section (its name, the field it sets,
// its range), read by one generic reader, so a key is named once and the list of known keys,
// the type check, the range check and the error wording cannot drift apart. A row whose value
// is more than a scalar (a nested section, the backends list, ICE servers) names a function.
// Errors: invalid_request naming the full key ("limits.max_body_bytes"): an unknown key, a value
// of the wrong JSON type, an integer out of the row's range.
// Threading: tables are immutable; reading is a pure function of the JSON and the target.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/status.hpp"

namespace sl::app {

constexpr int64_t kConfigMaxI64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kConfigMaxInt = std::numeric_limits<int>::max();

template <class S>
struct Setting {
  // Reads a value that is more than a scalar into `out`; `name` is the full key for errors.
  using Custom = Status (*)(const boost::json::value& value, const std::string& name, S& out);
  std::string_view key;
  std::variant<int S::*, int64_t S::*, std::size_t S::*, bool S::*, std::string S::*,
               std::vector<std::string> S::*, Custom>
      field;
  int64_t min = 0;  // integers only
  int64_t max = kConfigMaxI64;
};

// The scalar readers behind the table (also for hand-written readers of nested values).
Error config_error(const std::string& name, const std::string& message);
Result<int64_t> config_integer(const boost::json::value& v, const std::string& name, int64_t min,
                               int64_t max);
Result<bool> config_boolean(const boost::json::value& v, const std::string& name);
Result<std::string> config_string(const boost::json::value& v, const std::string& name);
Result<std::vector<std::string>> config_strings(const boost::json::value& v, const std::string& name);

std::string config_key(std::string_view prefix, std::string_view key);

// Applies `obj` (the section at `prefix`, "" for the top level) to `out`, row by row; keys
// absent from `obj` keep their value.
template <class S, std::size_t N>
Status read_settings(const boost::json::object& obj, std::string_view prefix,
                     std::span<const Setting<S>, N> table, S& out) {
  for (const auto& kv : obj) {
    bool known = false;
    for (const Setting<S>& row : table) known = known || row.key == kv.key();
    if (!known) {
      const std::string name = config_key(prefix, kv.key());
      return config_error(name, "unknown config key '" + name + "'");
    }
  }
  for (const Setting<S>& row : table) {
    auto it = obj.find(row.key);
    if (it == obj.end()) continue;
    const boost::json::value& v = it->value();
    const std::string name = config_key(prefix, row.key);
    Status st = std::visit(
        [&](auto field) -> Status {
          using F = decltype(field);
          if constexpr (std::is_same_v<F, typename Setting<S>::Custom>) {
            return field(v, name, out);
          } else {
            using T = std::remove_reference_t<decltype(out.*field)>;
            if constexpr (std::is_same_v<T, bool>) {
              auto b = config_boolean(v, name);
              if (!b.ok()) return b.error();
              out.*field = *b;
            } else if constexpr (std::is_same_v<T, std::string>) {
              auto s = config_string(v, name);
              if (!s.ok()) return s.error();
              out.*field = std::move(*s);
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
              auto l = config_strings(v, name);
              if (!l.ok()) return l.error();
              out.*field = std::move(*l);
            } else {
              auto n = config_integer(v, name, row.min, row.max);
              if (!n.ok()) return n.error();
              out.*field = static_cast<T>(*n);
            }
            return {};
          }
        },
        row.field);
    if (!st.ok()) return st;
  }
  return {};
}

// The full names ("prefix.key") of a table's rows, for the check that docs list every key.
template <class S, std::size_t N>
void collect_keys(std::string_view prefix, std::span<const Setting<S>, N> table,
                  std::vector<std::string>& out) {
  for (const Setting<S>& row : table) out.push_back(config_key(prefix, row.key));
}

}  // namespace sl::app
