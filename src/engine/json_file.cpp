#include "engine/json_file.hpp"

#include <fstream>
#include <sstream>

#include "core/json_read.hpp"

namespace sl::engine {

Result<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, path.string() + ": file not found");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<boost::json::value> read_json_file(const std::filesystem::path& path) {
  auto text = read_text_file(path);
  if (!text.ok()) return text.error();
  auto v = read_json(*text);
  if (!v.ok())
    return make_error(ErrorCode::invalid_request,
                      path.string() + ": not valid JSON (" + v.error().message + ")");
  return std::move(*v);
}

}  // namespace sl::engine
