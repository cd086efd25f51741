#include "jobs/result_check.hpp"

#include <gtest/gtest.h>

namespace sl::jobs {
namespace {

constexpr const char* kSchema = R"({"type":"object",
  "properties":{"on":{"type":"boolean"},"count":{"type":"integer"},"label":{"type":["string","null"]},
                "color":{"enum":["red","green"]}},
  "required":["on","count"]})";

TEST(ResultCheck, AcceptsAnAnswerThatFits) {
  EXPECT_EQ(check_result(R"({"on":true,"count":3})", kSchema), std::nullopt);
  EXPECT_EQ(check_result(R"({"on":false,"count":3.0,"label":null,"color":"red","x":1})", kSchema),
            std::nullopt);
}

TEST(ResultCheck, NamesTheFirstProblem) {
  EXPECT_NE(check_result("the stove is on", kSchema)->find("not valid JSON"), std::string::npos);
  EXPECT_NE(check_result("[1,2]", kSchema)->find("not a JSON object"), std::string::npos);
  EXPECT_NE(check_result(R"({"on":true})", kSchema)->find("'count'"), std::string::npos);
  EXPECT_NE(check_result(R"({"on":"yes","count":1})", kSchema)->find("'on' is not of type boolean"),
            std::string::npos);
  EXPECT_NE(check_result(R"({"on":true,"count":1.5})", kSchema)->find("integer"), std::string::npos);
  EXPECT_NE(check_result(R"({"on":true,"count":1,"label":3})", kSchema)->find("string or null"),
            std::string::npos);
  EXPECT_NE(check_result(R"({"on":true,"count":1,"color":"blue"})", kSchema)->find("enum"),
            std::string::npos);
}

TEST(ResultCheck, ASchemaWithoutObjectShapeOnlyNeedsJson) {
  EXPECT_EQ(check_result("42", R"({"type":"number"})"), std::nullopt);
  EXPECT_NE(check_result("\"x\"", R"({"type":"number"})"), std::nullopt);
  EXPECT_EQ(check_result("\"x\"", "{}"), std::nullopt);
}

}  // namespace
}  // namespace sl::jobs
