// How an upstream's HTTP error becomes a sightline Error. Every HTTP error status from a model
// server is upstream_error (502 to our client); the message keeps the upstream's own words
// (OpenAI, vLLM, Ollama, llama.cpp and FastAPI shapes are understood) behind a fixed prefix,
// "upstream HTTP <status>: ", so the api layer can still see the upstream status (for example
// to pass a 400 about the request through as a 400) without another field in Error.
#pragma once

#include <optional>
#include <string_view>

#include "core/status.hpp"

namespace sl {

// upstream_error with message "upstream HTTP <status>: <upstream message or body excerpt>".
Error upstream_http_error(unsigned status, std::string_view body);

// The upstream message inside a JSON error body, if the body is one of the known shapes:
// {"error":{"message":..}}, {"error":".."}, {"message":".."}, {"detail":..}.
std::optional<std::string> upstream_error_message(std::string_view body);

// The upstream HTTP status carried by an error made by upstream_http_error, if any.
std::optional<unsigned> upstream_http_status(const Error& error);

}  // namespace sl
