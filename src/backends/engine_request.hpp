// The in-process engine's side of a Chat Completion: the client's OpenAI request (a ChatCall
// with resolved media) turned into an engine::GenerationRequest, and the engine's result
// turned back into the OpenAI shapes (`chat.completion`, `chat.completion.chunk`, `usage`).
//
// Request mapping: messages become the chat template's shape (string content -> one text part;
// developer -> system; ovs_media placeholders -> {"type":"image"} or {"type":"video"} with the
// pictures in order, each stream frame tagged with its (stream, frame index) so the engine's
// vision cache can reuse its encoding). max_completion_tokens (or max_tokens), temperature,
// top_p, top_k, seed and stop map to the engine's generation values; response_format
// json_object is accepted but not enforced (the output is not constrained). What a local model
// cannot honour is refused, not ignored: n > 1, tools, logprobs, json_schema, audio/file
// parts, image URLs the server did not turn into pictures. Pure functions; thread-safe.
// Errors: invalid_request / unsupported naming the JSON path (400).
#pragma once

#include <cstdint>
#include <string>

#include <boost/json/object.hpp>

#include "backends/chat_call.hpp"
#include "core/status.hpp"
#include "engine/engine.hpp"

namespace sl {

struct EngineCall {
  engine::GenerationRequest request;
  bool include_usage = false;  // stream_options.include_usage
};

// `default_max_tokens`: the limit when the client sets none.
Result<EngineCall> to_engine_call(const ChatCall& call, int default_max_tokens);

// Identifies one response: the same id and created time on every chunk.
struct CompletionMeta {
  std::string id;       // "chatcmpl-..."
  int64_t created = 0;  // Unix seconds
  std::string model;    // the client's model id
};
CompletionMeta new_completion_meta(std::string model);

std::string_view finish_reason_name(engine::FinishReason reason);

boost::json::object usage_json(const engine::GenerationResult& result);
boost::json::object completion_json(const CompletionMeta& meta, const engine::GenerationResult& result);
// A chunk with one choice: `delta`, and `finish_reason` (null when empty). With include_usage
// every chunk carries "usage": null, as OpenAI's do.
boost::json::object chunk_json(const CompletionMeta& meta, boost::json::object delta,
                               std::string_view finish_reason, bool include_usage);
// The extra last chunk of include_usage: no choices, the request's usage.
boost::json::object usage_chunk_json(const CompletionMeta& meta, const engine::GenerationResult& result);

}  // namespace sl
