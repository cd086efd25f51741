// JSON of the streams API: the POST /v1/streams body (strictly validated, errors name the
// offending field in `param`) and the stream object built from StreamStatus. Source URLs are
// shown without their userinfo so camera credentials never leave the server.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/status.hpp"
#include "jobs/job_spec.hpp"
#include "streams/stream_manager.hpp"

namespace sl::api {

// Operator defaults applied when a request leaves a field out.
struct StreamDefaults {
  int64_t retention_seconds = 600;
  int64_t ttl_seconds = 300;
  jobs::JobLimits job_limits;  // a job in the create body is checked against them
};

Result<StreamOptions> parse_create_stream(const boost::json::object& body,
                                          const StreamDefaults& defaults);

boost::json::object stream_to_json(const StreamStatus& status);
boost::json::object source_to_json(const SourceSpec& source);
boost::json::object keepalive_to_json(const KeepaliveResult& result);

}  // namespace sl::api
