#include "backends/backend_config.hpp"
#include "core/json_text.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "backends/http_client.hpp"

namespace sl {
namespace json = boost::json;
namespace {

Error config_error(const std::string& param, std::string message) {
  return make_error(ErrorCode::invalid_request, std::move(message), param);
}

Status parse_timeout(std::string_view key, std::string_view text, int64_t& out,
                     const std::string& param) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) {
    return config_error(param, std::string(key) + " must be a positive integer, got '" +
                                   std::string(text) + "'");
  }
  out = v;
  return Status();
}

// A limit where 0 means "none" (max_concurrent, probe_interval_ms).
Status parse_non_negative(std::string_view key, std::string_view text, int64_t& out,
                          const std::string& param) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) {
    return config_error(param, std::string(key) + " must be a non-negative integer, got '" +
                                   std::string(text) + "'");
  }
  out = v;
  return Status();
}

// Applies one key=value option; shared by the CLI and JSON forms.
Status apply_option(HttpBackendConfig& c, std::string_view key, std::string_view value,
                    const std::string& param) {
  if (key == "api_key_env") {
    c.api_key_env = value;
  } else if (key == "upstream_model") {
    c.upstream_model = value;
  } else if (key == "ca_file") {
    c.ca_file = value;
  } else if (key == "video") {
    auto mode = parse_video_mode(value);
    if (!mode) {
      return config_error(param, "video must be 'frames' or 'native', got '" + std::string(value) + "'");
    }
    c.video = *mode;
  } else if (key == "timeout_ms" || key == "total_timeout_ms") {
    return parse_timeout(key, value, c.total_timeout_ms, param);
  } else if (key == "connect_timeout_ms") {
    return parse_timeout(key, value, c.connect_timeout_ms, param);
  } else if (key == "first_byte_timeout_ms") {
    return parse_timeout(key, value, c.first_byte_timeout_ms, param);
  } else if (key == "idle_timeout_ms") {
    return parse_timeout(key, value, c.idle_timeout_ms, param);
  } else if (key == "max_concurrent") {
    return parse_non_negative(key, value, c.max_concurrent, param);
  } else if (key == "probe_interval_ms") {
    return parse_non_negative(key, value, c.probe_interval_ms, param);
  } else {
    // `param` is the field's path in a config file ("backends[0].url") or "--backend".
    return config_error(param, "unknown backend option '" + std::string(key) + "' (" + param + ")");
  }
  return Status();
}

bool valid_model_id(std::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  for (char ch : id) {
    if (static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f) return false;
  }
  return true;
}

Status validate(const HttpBackendConfig& c, const std::string& param) {
  if (!valid_model_id(c.model)) {
    return config_error(param, "backend model id must be 1-256 characters without spaces");
  }
  auto endpoint = parse_http_endpoint(c.base_url);
  if (!endpoint) return config_error(param, endpoint.error().message);
  return Status();
}

}  // namespace

Result<HttpBackendConfig> parse_backend_spec(std::string_view spec) {
  const std::string param = "--backend";
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos) {
    return config_error(param, "backend must look like MODEL=BASE_URL[;key=value...], got '" +
                                   std::string(spec) + "'");
  }
  HttpBackendConfig c;
  c.model = spec.substr(0, eq);
  std::string_view rest = spec.substr(eq + 1);
  const size_t semi = rest.find(';');
  c.base_url = rest.substr(0, semi);
  rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
  while (!rest.empty()) {
    const size_t next = rest.find(';');
    const std::string_view option = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    if (option.empty()) continue;
    const size_t oeq = option.find('=');
    if (oeq == std::string_view::npos) {
      return config_error(param, "backend option '" + std::string(option) + "' needs key=value");
    }
    if (Status s = apply_option(c, option.substr(0, oeq), option.substr(oeq + 1), param); !s) {
      return s.error();
    }
  }
  if (Status s = validate(c, param); !s) return s.error();
  return c;
}

Result<HttpBackendConfig> parse_backend_json(const json::value& value, const std::string& param,
                                             std::string_view model) {
  if (const json::string* spec = value.if_string()) {
    // The command-line spelling is accepted in the file too.
    auto c = parse_backend_spec(std::string_view(spec->data(), spec->size()));
    if (!c) return config_error(param, param + ": " + c.error().message);
    return c;
  }
  const json::object* o = value.if_object();
  if (o == nullptr) return config_error(param, param + " must be an object or a MODEL=BASE_URL string");
  HttpBackendConfig c;
  c.model = model;
  for (const auto& [key, v] : *o) {
    const std::string field = param + "." + std::string(key);
    if (key == "model" || key == "base_url") {
      if (!v.is_string()) return config_error(field, field + " must be a string");
      (key == "model" ? c.model : c.base_url) = v.get_string();
      continue;
    }
    std::string text;
    if (v.is_string()) {
      text = v.get_string();
    } else if (v.is_int64() || v.is_uint64()) {
      text = json_text(v);
    } else {
      return config_error(field, field + " must be a string or an integer");
    }
    if (Status s = apply_option(c, key, text, field); !s) return s.error();
  }
  if (c.base_url.empty()) return config_error(param, param + ".base_url is required");
  if (Status s = validate(c, param); !s) return s.error();
  return c;
}

Result<std::vector<HttpBackendConfig>> parse_backends_json(const json::value& value) {
  std::vector<HttpBackendConfig> out;
  if (const json::array* a = value.if_array()) {
    for (size_t i = 0; i < a->size(); ++i) {
      auto c = parse_backend_json((*a)[i], "backends[" + std::to_string(i) + "]");
      if (!c) return c.error();
      out.push_back(std::move(*c));
    }
    return out;
  }
  if (const json::object* o = value.if_object()) {
    for (const auto& [model, v] : *o) {
      auto c = parse_backend_json(v, "backends." + std::string(model), model);
      if (!c) return c.error();
      out.push_back(std::move(*c));
    }
    return out;
  }
  return config_error("backends", "backends must be an array or an object keyed by model id");
}

}  // namespace sl
