// Reads a JSON file of a checkpoint folder. not_found when the file is missing,
// invalid_request when it is not valid JSON; messages name the file.
#pragma once

#include <boost/json/value.hpp>
#include <filesystem>
#include <string>

#include "core/status.hpp"

namespace sl::engine {

Result<std::string> read_text_file(const std::filesystem::path& path);
Result<boost::json::value> read_json_file(const std::filesystem::path& path);

}  // namespace sl::engine
