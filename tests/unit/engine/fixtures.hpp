// Reads the committed parity fixtures (tests/fixtures/engine, written by
// tools/reference/make_engine_fixtures.py) for the engine tests.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sl::engine::testing {

inline std::filesystem::path fixture_dir() { return SL_ENGINE_FIXTURES; }

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
