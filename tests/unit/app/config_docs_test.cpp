// Every key the config file takes is documented: docs/configuration.md names each key of a
// section inside that section's "### `name`" part, so a new setting cannot ship undocumented.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "app/app_config.hpp"

namespace sl::app {
namespace {

std::string read_docs() {
  std::ifstream in(SL_CONFIG_DOCS);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text of the part under the heading that starts with "### `section`", up to the next one.
std::string part(const std::string& docs, const std::string& section) {
  const size_t start = docs.find("### `" + section + "`");
  if (start == std::string::npos) return {};
  const size_t end = docs.find("\n### ", start + 1);
  return docs.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(ConfigDocs, EveryConfigFileKeyIsDocumentedInItsSection) {
  const std::string docs = read_docs();
  ASSERT_FALSE(docs.empty()) << SL_CONFIG_DOCS;
  const std::vector<std::string> keys = config_file_keys();
  EXPECT_GT(keys.size(), 60u);
  for (const std::string& key : keys) {
    const size_t dot = key.rfind('.');
    if (dot == std::string::npos) {  // top level: anywhere, as the key itself
      EXPECT_NE(docs.find("`" + key + "`"), std::string::npos) << key;
      continue;
    }
    std::string section = key.substr(0, dot);
    const std::string name = key.substr(dot + 1);
    if (section == "models[]") section = "backends";  // "### `backends` and `models`"
    const std::string text = part(docs, section);
    EXPECT_FALSE(text.empty()) << "no section for " << key;
    EXPECT_NE(text.find("`" + name + "`"), std::string::npos) << key << " is not in its section";
  }
}

}  // namespace
}  // namespace sl::app
