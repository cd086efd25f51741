#include "api/openapi.hpp"

namespace sl::api {
namespace {

constexpr const char* kDocument = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "sightline",
    "version": "0.1.0",
    "description": "Live video for vision-language models: streams, frames by ovs:// reference, OpenAI-compatible errors."
  },
  "servers": [{"url": "/"}],
  "security": [{"bearerAuth": []}],
  "paths": {
    "/healthz": {
      "get": {
        "summary": "Liveness", "security": [], "operationId": "healthz",
        "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}
      }
    },
    "/readyz": {
      "get": {
        "summary": "Readiness: 200 while serving, 503 while shutting down", "security": [], "operationId": "readyz",
        "responses": {
          "200": {"description": "Ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
          "503": {"description": "Shutting down", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics (text format 0.0.4); needs the metrics token when one is configured",
        "security": [{}, {"metricsToken": []}], "operationId": "metrics",
        "responses": {
          "200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document", "security": [], "operationId": "openapi",
        "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/v1/streams": {
      "post": {
        "summary": "Create a stream", "operationId": "createStream",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateStream"}}}},
        "responses": {
          "201": {"description": "Created", "headers": {"Location": {"schema": {"type": "string"}}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stream"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/Error"}
        }
      },
      "get": {
        "summary": "List the caller's streams", "operationId": "listStreams",
        "responses": {
          "200": {"description": "Streams", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StreamList"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/streams/{id}": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "get": {
        "summary": "Get a stream", "operationId": "getStream",
        "responses": {
          "200": {"description": "Stream", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stream"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "summary": "End a stream (end_reason: deleted)", "operationId": "deleteStream",
        "responses": {
          "200": {"description": "The ended stream, with \"deleted\": true",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stream"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/streams/{id}/keepalive": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "post": {
        "summary": "Extend the stream's lease", "operationId": "keepaliveStream",
        "responses": {
          "200": {"description": "New expiry", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Keepalive"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/streams/{id}/config/prompt": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "patch": {
        "summary": "Change the prompt of the stream's continuous-inference job from its next run on",
        "operationId": "updatePrompt",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "properties": {"prompt": {"type": "string", "minLength": 1}}, "required": ["prompt"]}}}},
        "responses": {
          "200": {"description": "The job with its new prompt", "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "stream_id": {"type": "string"}, "prompt": {"type": "string"},
                           "job": {"$ref": "#/components/schemas/Job"}},
            "required": ["id", "stream_id", "prompt", "job"]}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/streams/{id}/whip": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "post": {
        "summary": "WHIP (RFC 9725): publish to a whip stream. Bearer token: the stream's publish.token (not an API key); the body is a non-trickle SDP offer",
        "operationId": "whipPublish",
        "security": [],
        "requestBody": {"required": true, "content": {"application/sdp": {"schema": {"type": "string"}}}},
        "responses": {
          "201": {"description": "The SDP answer; Location names the publisher session, Link headers carry the ICE servers",
                  "headers": {"Location": {"schema": {"type": "string"}}, "Link": {"schema": {"type": "string"}}},
                  "content": {"application/sdp": {"schema": {"type": "string"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/streams/{id}/whip/{session}": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"},
                     {"name": "session", "in": "path", "required": true, "schema": {"type": "string"}}],
      "delete": {
        "summary": "WHIP: end the publisher session (Bearer: the stream's publish.token)",
        "operationId": "whipDelete",
        "security": [],
        "responses": {
          "200": {"description": "Session ended"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/streams/{id}/frame": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "get": {
        "summary": "One frame as JPEG; the query is an image ovs:// reference query (no query: newest frame)",
        "operationId": "getFrame",
        "parameters": [
          {"name": "frame_index", "in": "query", "schema": {"type": "integer"}, "description": "Lifetime index; negative counts back from the newest (-1 = newest)"},
          {"name": "timestamp_ms", "in": "query", "schema": {"type": "integer"}, "description": "Stream clock"},
          {"name": "offset_ms", "in": "query", "schema": {"type": "integer"}, "description": "< 0: now + offset; >= 0: after the oldest retained frame"},
          {"name": "tolerance_ms", "in": "query", "schema": {"type": "integer", "exclusiveMinimum": 0, "default": 100}},
          {"name": "direction", "in": "query", "schema": {"type": "string", "enum": ["nearest", "forward", "backward"], "default": "nearest"}},
          {"name": "max_pixels", "in": "query", "schema": {"type": "integer", "exclusiveMinimum": 0}, "description": "Downscale so width*height <= max_pixels"}
        ],
        "responses": {
          "200": {
            "description": "The frame",
            "headers": {
              "X-Frame-Index": {"schema": {"type": "integer"}},
              "X-Frame-Timestamp-Ms": {"schema": {"type": "integer"}},
              "X-Frame-Wall-Ms": {"schema": {"type": "integer"}},
              "X-Frame-Clamped": {"schema": {"type": "string", "enum": ["true", "false"]}},
              "ETag": {"schema": {"type": "string"}}
            },
            "content": {"image/jpeg": {"schema": {"type": "string", "contentEncoding": "binary"}}}
          },
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/streams/{id}/clip": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "get": {
        "summary": "A sampled segment as an H.264 MP4; the query is a video ovs:// reference query",
        "operationId": "getClip",
        "parameters": [
          {"name": "start_frame_index", "in": "query", "schema": {"type": "integer"}},
          {"name": "start_timestamp_ms", "in": "query", "schema": {"type": "integer"}},
          {"name": "start_offset_ms", "in": "query", "schema": {"type": "integer"}},
          {"name": "end_frame_index", "in": "query", "schema": {"type": "integer"}, "description": "Exclusive"},
          {"name": "end_timestamp_ms", "in": "query", "schema": {"type": "integer"}, "description": "Exclusive"},
          {"name": "end_offset_ms", "in": "query", "schema": {"type": "integer"}, "description": "Exclusive"},
          {"name": "max_fps", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0, "default": 1.0}},
          {"name": "max_frames", "in": "query", "schema": {"type": "integer", "minimum": 1}},
          {"name": "max_pixels", "in": "query", "schema": {"type": "integer", "exclusiveMinimum": 0}}
        ],
        "responses": {
          "200": {
            "description": "The clip",
            "headers": {
              "X-Frame-Count": {"schema": {"type": "integer"}},
              "X-First-Frame-Index": {"schema": {"type": "integer"}},
              "X-Last-Frame-Index": {"schema": {"type": "integer"}},
              "X-Frame-Clamped": {"schema": {"type": "string", "enum": ["true", "false"]}}
            },
            "content": {"video/mp4": {"schema": {"type": "string", "contentEncoding": "binary"}}}
          },
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/chat/completions": {
      "post": {
        "summary": "OpenAI Chat Completion; image_url/video_url parts may hold ovs:// references, resolved to frames of live streams",
        "operationId": "createChatCompletion",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["model", "messages"],
          "properties": {"model": {"type": "string"}, "messages": {"type": "array", "items": {"type": "object"}}, "stream": {"type": "boolean"}}}}}},
        "responses": {
          "200": {"description": "chat.completion (JSON) or chat.completion.chunk events (text/event-stream, ending with data: [DONE]); both carry ovs_media",
                  "content": {"application/json": {"schema": {"type": "object"}}, "text/event-stream": {"schema": {"type": "string"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "502": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"},
          "504": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v1/models": {
      "get": {
        "summary": "Models routed by this server, OpenAI list shape, with status ready|degraded|saturated|unavailable",
        "operationId": "listModels",
        "responses": {
          "200": {"description": "List", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/v0.2/streams": {
      "post": {
        "summary": "Overshoot-compatible create: {source,mode,processing,inference} or the legacy {webrtc:{type:offer,sdp},processing,inference}; errors in Overshoot's shape",
        "operationId": "overshootCreateStream",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "201": {"description": "{stream_id, webrtc:{type:answer,sdp}, lease:{ttl_seconds}}", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OvershootStream"}}}},
          "400": {"$ref": "#/components/responses/OvershootError"},
          "401": {"$ref": "#/components/responses/OvershootError"},
          "422": {"$ref": "#/components/responses/OvershootError"}
        }
      }
    },
    "/v0.2/streams/{id}": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "delete": {
        "summary": "Overshoot-compatible stop; the stream's sockets close 1001 'stream ended: client_requested'",
        "operationId": "overshootDeleteStream",
        "responses": {
          "200": {"description": "Stopped", "content": {"application/json": {"schema": {"type": "object"}}}},
          "404": {"$ref": "#/components/responses/OvershootError"}
        }
      }
    },
    "/v0.2/streams/{id}/keepalive": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "post": {
        "summary": "Overshoot-compatible lease renewal (body ignored)",
        "operationId": "overshootKeepalive",
        "responses": {
          "200": {"description": "Renewed", "content": {"application/json": {"schema": {"type": "object"}}}},
          "404": {"$ref": "#/components/responses/OvershootError"}
        }
      }
    },
    "/v0.2/streams/{id}/config/prompt": {
      "parameters": [{"$ref": "#/components/parameters/StreamId"}],
      "patch": {
        "summary": "Overshoot-compatible prompt update (same handler as /v1)",
        "operationId": "overshootUpdatePrompt",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "properties": {"prompt": {"type": "string", "minLength": 1}}, "required": ["prompt"]}}}},
        "responses": {
          "200": {"description": "The job with its new prompt", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/OvershootError"},
          "401": {"$ref": "#/components/responses/OvershootError"},
          "404": {"$ref": "#/components/responses/OvershootError"},
          "409": {"$ref": "#/components/responses/OvershootError"},
          "422": {"$ref": "#/components/responses/OvershootError"}
        }
      }
    },
    "/v0.2/models": {
      "get": {
        "summary": "Models as [{model, ready, status}]",
        "operationId": "overshootListModels",
        "responses": {
          "200": {"description": "List", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object", "properties": {"model": {"type": "string"}, "ready": {"type": "boolean"}, "status": {"enum": ["ready", "degraded", "saturated", "unavailable"]}}, "required": ["model", "ready", "status"]}}}}},
          "401": {"$ref": "#/components/responses/OvershootError"}
        }
      }
    },
    "/v0.2/healthz": {
      "get": {
        "summary": "Liveness (Overshoot path)", "security": [], "operationId": "overshootHealthz",
        "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API key"},
      "metricsToken": {"type": "http", "scheme": "bearer", "description": "metrics_token"}
    },
    "parameters": {
      "StreamId": {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}
    },
    "responses": {
      "Error": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "OvershootError": {"description": "Error (under /v0.2)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OvershootError"}}}}
    },
    "schemas": {
      "Status": {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]},
      "Error": {
        "type": "object",
        "properties": {
          "error": {
            "type": "object",
            "properties": {
              "message": {"type": "string"},
              "type": {"type": "string"},
              "param": {"type": ["string", "null"]},
              "code": {"type": ["string", "null"]}
            },
            "required": ["message", "type", "param", "code"]
          }
        },
        "required": ["error"]
      },
      "OvershootError": {
        "type": "object",
        "properties": {
          "error": {"type": "string"},
          "message": {"type": "string"},
          "request_id": {"type": "string"},
          "details": {"type": ["object", "null"]}
        },
        "required": ["error", "message", "request_id", "details"]
      },
      "OvershootStream": {
        "type": "object",
        "properties": {
          "stream_id": {"type": "string"},
          "id": {"type": "string"},
          "state": {"type": "string"},
          "webrtc": {"type": "object", "properties": {"type": {"const": "answer"}, "sdp": {"type": "string"}}},
          "lease": {"type": ["object", "null"], "properties": {"ttl_seconds": {"type": "integer"}, "expires_at_ms": {"type": "integer"}}},
          "ice_servers": {"type": "array"},
          "turn_servers": {"type": "array"}
        },
        "required": ["stream_id", "lease"]
      },
      "Source": {
        "oneOf": [
          {"type": "object", "properties": {"type": {"enum": ["url", "rtsp", "hls"]}, "url": {"type": "string"}}, "required": ["type", "url"], "additionalProperties": false},
          {"type": "object", "properties": {"type": {"const": "test_pattern"}, "width": {"type": "integer", "default": 640}, "height": {"type": "integer", "default": 360}, "fps": {"type": "number", "default": 30}}, "required": ["type"], "additionalProperties": false}
        ]
      },
      "CreateStream": {
        "type": "object",
        "properties": {
          "source": {"$ref": "#/components/schemas/Source"},
          "retention_seconds": {"type": "integer", "exclusiveMinimum": 0, "default": 600},
          "name": {"type": "string", "maxLength": 256},
          "lease": {"oneOf": [{"type": "boolean"}, {"type": "object", "properties": {"ttl_seconds": {"type": "integer", "exclusiveMinimum": 0}}, "additionalProperties": false}], "default": true},
          "processing": {"type": "object"},
          "inference": {"type": "object"}
        },
        "required": ["source"],
        "additionalProperties": false
      },
      "Stream": {
        "type": "object",
        "properties": {
          "object": {"const": "stream"},
          "id": {"type": "string"},
          "stream_id": {"type": "string"},
          "name": {"type": ["string", "null"]},
          "state": {"enum": ["connecting", "active", "reconnecting", "ended", "failed"]},
          "end_reason": {"type": ["string", "null"]},
          "last_error": {"type": ["string", "null"]},
          "source": {"type": "object"},
          "created_at_ms": {"type": "integer"},
          "first_frame_at_ms": {"type": ["integer", "null"]},
          "last_frame_at_ms": {"type": ["integer", "null"]},
          "stream_time_ms": {"type": "integer"},
          "last_frame_index": {"type": ["integer", "null"]},
          "first_available_frame_index": {"type": ["integer", "null"]},
          "recent_fps": {"type": "number"},
          "width": {"type": "integer"},
          "height": {"type": "integer"},
          "retained_frame_count": {"type": "integer"},
          "evicted_frame_count": {"type": "integer"},
          "retention_seconds": {"type": "integer"},
          "lease": {"type": "boolean"},
          "ttl_seconds": {"type": ["integer", "null"]},
          "expires_at_ms": {"type": ["integer", "null"]},
          "job": {"oneOf": [{"$ref": "#/components/schemas/Job"}, {"type": "null"}]},
          "deleted": {"type": "boolean"}
        },
        "required": ["object", "id", "stream_id", "state", "source", "created_at_ms"]
      },
      "Job": {
        "type": "object",
        "description": "A stream's continuous-inference job (SPEC section 5); counters since the job started",
        "properties": {
          "mode": {"enum": ["clip", "frame"]}, "model": {"type": ["string", "null"]}, "prompt": {"type": "string"},
          "period_ms": {"type": "integer"}, "runs": {"type": "integer"}, "failures": {"type": "integer"},
          "skips": {"type": "integer"}, "last_result_at_ms": {"type": ["integer", "null"]}
        },
        "required": ["mode", "prompt", "period_ms", "runs", "failures", "skips"]
      },
      "StreamList": {
        "type": "object",
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/Stream"}}},
        "required": ["object", "data"]
      },
      "Keepalive": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "expires_at_ms": {"type": "integer"}, "ttl_seconds": {"type": "integer"}, "stream_time_ms": {"type": "integer"}},
        "required": ["id", "expires_at_ms", "ttl_seconds", "stream_time_ms"]
      }
    }
  }
})json";

}  // namespace

const std::string& openapi_document() {
  static const std::string doc(kDocument);
  return doc;
}

}  // namespace sl::api
