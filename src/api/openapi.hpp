// The OpenAPI 3.1 description of the routes this server has (GET /openapi.json). Hand-written:
// when a route is added, add it here too (a unit test checks every routed pattern is listed).
#pragma once

#include <string>

namespace sl::api {

const std::string& openapi_document();

}  // namespace sl::api
