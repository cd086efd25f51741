#include "jobs/job_spec.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace sl::jobs {
namespace {

namespace json = boost::json;

Result<std::optional<JobSpec>> parse(const char* processing, const char* inference,
                                      const JobLimits& limits = {}) {
  static json::object p, i;
  p = processing ? json::parse(processing).as_object() : json::object();
  i = inference ? json::parse(inference).as_object() : json::object();
  return parse_job_spec(processing ? &p : nullptr, inference ? &i : nullptr, limits);
}

void expect_refused(const char* processing, const char* inference, const std::string& param,
                    ErrorCode code = ErrorCode::invalid_value) {
  auto r = parse(processing, inference);
  ASSERT_FALSE(r.ok()) << (processing ? processing : "") << " " << (inference ? inference : "");
  EXPECT_EQ(r.error().param, param) << r.error().message;
  EXPECT_EQ(r.error().code, code) << r.error().message;
}

TEST(JobSpec, NoProcessingNoInferenceIsNoJob) {
  auto r = parse(nullptr, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST(JobSpec, ClipDefaultsAndValues) {
  auto d = parse(nullptr, R"({"prompt":"is the stove on?"})");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ((*d)->mode, JobMode::clip);
  EXPECT_EQ((*d)->target_fps, 3);
  EXPECT_EQ((*d)->clip_length_ms, 1000);
  EXPECT_EQ((*d)->period_ms(), 1000);
  auto v = parse(R"({"mode":"clip","target_fps":10,"clip_length_seconds":2.5,"delay_seconds":0.5})",
                 R"({"prompt":"p","model":"m","backend":"overshoot","max_output_tokens":64,
                     "output_schema_json":{"type":"object"},"extra":"ignored"})");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ((*v)->target_fps, 10);
  EXPECT_EQ((*v)->clip_length_ms, 2500);
  EXPECT_EQ((*v)->delay_ms, 500);
  EXPECT_EQ((*v)->model, "m");
  EXPECT_EQ((*v)->max_output_tokens, 64);
  EXPECT_EQ((*v)->output_schema_json, R"({"type":"object"})");
}

TEST(JobSpec, LegacyFpsAndSamplingRatio) {
  auto r = parse(R"({"fps":30,"sampling_ratio":0.2,"clip_length_seconds":1})", R"({"prompt":"p"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->target_fps, 6);
  expect_refused(R"({"fps":30,"sampling_ratio":0.01})", R"({"prompt":"p"})",
                 "processing.sampling_ratio");
  expect_refused(R"({"fps":0})", R"({"prompt":"p"})", "processing.fps");
}

TEST(JobSpec, FrameMode) {
  auto r = parse(R"({"mode":"frame","interval_seconds":0.5})", R"({"prompt":"p"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->mode, JobMode::frame);
  EXPECT_EQ((*r)->period_ms(), 500);
  expect_refused(R"({"mode":"frame","interval_seconds":0.05})", R"({"prompt":"p"})",
                 "processing.interval_seconds");
  expect_refused(R"({"mode":"frame","interval_seconds":61})", R"({"prompt":"p"})",
                 "processing.interval_seconds");
}

TEST(JobSpec, RangesAndTypesNameTheField) {
  const char* p = R"({"prompt":"p"})";
  expect_refused(R"({"mode":"video"})", p, "processing.mode");
  expect_refused(R"({"target_fps":0})", p, "processing.target_fps");
  expect_refused(R"({"target_fps":31})", p, "processing.target_fps");
  expect_refused(R"({"target_fps":2.5})", p, "processing.target_fps");
  expect_refused(R"({"clip_length_seconds":0.05})", p, "processing.clip_length_seconds");
  expect_refused(R"({"delay_seconds":-1})", p, "processing.delay_seconds");
  expect_refused(R"({"target_fps":1,"clip_length_seconds":2})", p,
                 "processing.clip_length_seconds");  // 2 frames < 3
  expect_refused(R"({"target_fps":"10"})", p, "processing.target_fps", ErrorCode::invalid_request);
  expect_refused(nullptr, R"({"prompt":""})", "inference.prompt");
  expect_refused(R"({"target_fps":5})", nullptr, "inference.prompt");
  expect_refused(nullptr, R"({"prompt":7})", "inference.prompt", ErrorCode::invalid_request);
  expect_refused(nullptr, R"({"prompt":"p","max_output_tokens":0})", "inference.max_output_tokens");
  expect_refused(nullptr, R"({"prompt":"p","output_schema_json":"x"})",
                 "inference.output_schema_json", ErrorCode::invalid_request);
  auto r = parse(R"({"target_fps":31})", p);
  EXPECT_NE(r.error().message.find("from 1 to 30"), std::string::npos) << r.error().message;
}

TEST(JobSpec, BlankPromptIsRefusedAsEmpty) {
  expect_refused(nullptr, R"({"prompt":"  \n\t"})", "inference.prompt");
}

TEST(JobSpec, OperatorLimitsAreCheckedAtCreation) {
  JobLimits limits;
  limits.max_frames = 40;
  limits.max_prompt_bytes = 8;
  // 30 fps x 1.5 s = 45 frames > 40: a run could never be served, so the job is refused now.
  auto r = parse(R"({"target_fps":30,"clip_length_seconds":1.5})", R"({"prompt":"p"})", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_value);
  EXPECT_EQ(r.error().param, "processing.clip_length_seconds");
  EXPECT_NE(r.error().message.find("at most 40 frames"), std::string::npos) << r.error().message;
  EXPECT_TRUE(parse(R"({"target_fps":30,"clip_length_seconds":1.3})", R"({"prompt":"p"})", limits).ok());
  // Frame mode selects one frame: the clip cap does not apply.
  EXPECT_TRUE(parse(R"({"mode":"frame","target_fps":30,"clip_length_seconds":60})", R"({"prompt":"p"})",
                    limits).ok());

  auto long_prompt = parse(nullptr, R"({"prompt":"123456789"})", limits);
  ASSERT_FALSE(long_prompt.ok());
  EXPECT_EQ(long_prompt.error().param, "inference.prompt");
  EXPECT_NE(long_prompt.error().message.find("jobs.max_prompt_bytes"), std::string::npos);
  EXPECT_TRUE(parse(nullptr, R"({"prompt":"12345678"})", limits).ok());
}

TEST(JobSpec, ClipFramesRoundUp) {
  JobSpec s;
  s.target_fps = 30;
  s.clip_length_ms = 1500;
  EXPECT_EQ(clip_frames(s), 45);
  s.target_fps = 3;
  s.clip_length_ms = 1100;
  EXPECT_EQ(clip_frames(s), 4);
}

}  // namespace
}  // namespace sl::jobs
