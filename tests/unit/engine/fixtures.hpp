// Reads the committed parity fixtures (tests/fixtures/engine, written by
// tools/reference/make_engine_fixtures.py) for the engine tests.
#pragma once

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sl::engine::testing {

// The folder compiled in, unless SIGHTLINE_ENGINE_FIXTURES names another: a test binary built in
// one checkout and run from another (bench/engine/device_check.sh on a GPU machine).
inline std::filesystem::path fixture_dir() {
  const char* dir = std::getenv("SIGHTLINE_ENGINE_FIXTURES");
  return dir && *dir ? std::filesystem::path(dir) : std::filesystem::path(SL_ENGINE_FIXTURES);
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline const boost::json::value& reference() {
  static const boost::json::value v = boost::json::parse(read_text(fixture_dir() / "reference.json"));
  return v;
}

}  // namespace sl::engine::testing
