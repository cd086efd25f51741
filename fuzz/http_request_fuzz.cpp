// Fuzz target: the HTTP request reader, from raw connection bytes to the parsers behind the
// routes. What src/api/http_server.cpp's run_session does, without sockets:
//   * one Boost.Beast request_parser<string_body> per request, with header_limit/body_limit set
//     from the server's limits. run_session configures its parser inline (nothing to call), so
//     this file repeats those two lines; the limits are the operator defaults, mapped to
//     ServerLimits as app/module_settings.cpp's server_limits() does (not linked here: that
//     would pull all of sl_app into the fuzz build). Bytes are fed like Beast's read()/read_header() over a flat_buffer:
//     put(), consume, need_more -> read more, EOF -> put_eof() (end_of_stream when nothing came),
//     one request after another on the same buffer (keep-alive and pipelining) until an error or
//     Connection: close;
//   * the target split into path and query: api::split_target(), as the server does;
//   * what ApiPipeline::dispatch does before a handler: Router::match over the server's real
//     route table (add_ops_routes / add_stream_routes / add_chat_routes; handlers are never
//     called), CORS decisions for the Origin header, KeyRing::authenticate for Authorization;
//   * the parsing the matched handler does first: the frame/clip query parsers
//     (parse_image_query / parse_video_query), POST /v1/streams (parse_json_object ->
//     parse_create_stream), POST /v1/chat/completions (parse_json_object -> parse_chat_request).
// The input is fed twice, whole and split in two at 5/8 of its length, and both deliveries
// must read the same requests with the same outcomes (FUZZ_VERBOSE=1 prints them).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/auth.hpp"
#include "api/chat_handlers.hpp"
#include "api/chat_media.hpp"
#include "api/cors.hpp"
#include "api/error_response.hpp"
#include "api/http_server.hpp"
#include "api/ops_handlers.hpp"
#include "api/router.hpp"
#include "api/stream_handlers.hpp"
#include "api/stream_json.hpp"
#include "app/app_config.hpp"
#include "core/stream_id.hpp"
#include "fuzz_check.hpp"
#include "refs/ovs_ref.hpp"

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace api = sl::api;

constexpr int kMaxRequestsPerInput = 16;

// app/module_settings.cpp server_limits(), for the two fields the reader uses.
api::ServerLimits server_limits(const sl::app::AppConfig& c) {
  api::ServerLimits l;
  l.max_body_bytes = static_cast<size_t>(c.limits.max_body_bytes);
  l.max_header_bytes = static_cast<size_t>(c.limits.max_header_bytes);
  return l;
}

struct Server {
  sl::app::AppConfig config;
  api::ServerLimits limits;
  api::Router router;
  api::KeyRing keys{std::vector<std::string>{"sk-fuzz-key"}};
  api::CorsPolicy cors{std::vector<std::string>{"https://app.example"}};
  api::ChatLimits chat_limits;
  api::StreamDefaults stream_defaults;

  Server() {
    limits = server_limits(config);
    api::add_ops_routes(router, api::OpsRouteDeps{});
    api::add_stream_routes(router, api::StreamRouteDeps{});
    api::add_chat_routes(router, api::ChatRouteDeps{});
    chat_limits.max_refs = config.chat.max_refs_per_request;
    chat_limits.max_frames = config.chat.max_frames_per_request;
    chat_limits.max_data_url_bytes = static_cast<size_t>(config.chat.max_data_url_bytes);
    stream_defaults = {config.streams.default_retention_seconds, config.streams.default_ttl_seconds,
                       {config.chat.max_frames_per_request, static_cast<size_t>(config.jobs.max_prompt_bytes)}};
  }
};

const Server& server() {
  static const Server s;
  return s;
}

// One request after the transport: what the pipeline and the handler's first step decide.
// Returns a line describing the outcome (compared between the two deliveries).
std::string handle(const Server& s, http::request<http::string_body>& message) {
  api::Request req;
  req.message = std::move(message);
  const auto target = req.message.target();
  api::split_target(std::string_view(target.data(), target.size()), req.path, req.query);
  std::string out = std::string(http::to_string(req.method())) + " " + req.path + " ? " +
                    req.query + " v" + std::to_string(req.message.version()) + " body " +
                    std::to_string(req.message.body().size());

  auto header = [&req](http::field f) {
    auto v = req.message[f];
    return std::string_view(v.data(), v.size());
  };
  const std::string_view origin = header(http::field::origin);
  if (!origin.empty()) {
    auto cors = s.cors.response_headers(origin);
    FUZZ_CHECK(cors.empty() == !s.cors.allows(origin), "CORS headers exactly for allowed origins");
    if (req.method() == http::verb::options)
      (void)s.cors.preflight_headers(origin, header(http::field::access_control_request_headers));
  }

  api::RouteMatch m = s.router.match(req.method(), req.path);
  if (m.kind == api::RouteMatch::Kind::not_found) return out + " -> 404";
  FUZZ_CHECK(!m.pattern.empty() && !m.allowed.empty(), "a matched path has a pattern and methods");
  if (m.kind == api::RouteMatch::Kind::method_not_allowed) {
    (void)api::allow_header(m.allowed);
    return out + " -> 405 " + m.pattern;
  }
  FUZZ_CHECK(m.route != nullptr &&
                 (m.route->method == req.method() ||
                  (req.method() == http::verb::head && m.route->method == http::verb::get)),
             "found route fits (HEAD is served by GET)");
  req.route = m.pattern;
  req.params = std::move(m.params);
  out += " -> " + m.pattern;

  auto owner = s.keys.authenticate(header(http::field::authorization));
  out += owner.ok() ? " auth" : " noauth";
  if (owner.ok()) FUZZ_CHECK(owner->rfind("key-", 0) == 0, "owners of keys are key-...");

  const std::string& id = req.param("id");
  if (m.pattern.find("{id}") != std::string::npos) {
    FUZZ_CHECK(!id.empty() && id.find('/') == std::string::npos, "{id} is one segment");
  }
  std::string verdict;
  if (m.pattern == "/v1/streams/{id}/frame" || m.pattern == "/v1/streams/{id}/clip") {
    if (!sl::valid_stream_id(id)) return out + " bad-id";
    const bool frame = m.pattern.ends_with("/frame");
    auto ref = frame ? sl::parse_image_query(req.query, id, "query")
                     : sl::parse_video_query(req.query, id, "query");
    if (ref.ok()) {
      FUZZ_CHECK(ref->stream_id == id, "the reference is to the path's stream");
    } else {
      FUZZ_CHECK(ref.error().code == sl::ErrorCode::invalid_reference, "query errors are 422");
    }
    verdict = ref.ok() ? " ref" : " ref-error";
  } else if (req.method() == http::verb::post &&
             (m.pattern == "/v1/streams" || m.pattern == "/v1/chat/completions")) {
    auto body = api::parse_json_object(req.message.body());
    if (!body.ok()) return out + " json-error";
    if (m.pattern == "/v1/streams") {
      auto options = api::parse_create_stream(*body, s.stream_defaults);
      verdict = options.ok() ? " create" : " create-error";
      if (!options.ok())
        FUZZ_CHECK(options.error().code != sl::ErrorCode::internal && !options.error().param.empty(),
                   "create errors are client errors naming a param");
    } else {
      auto chat = api::parse_chat_request(std::move(*body), s.chat_limits, false);
      verdict = chat.ok() ? " chat " + std::to_string(chat->refs.size()) : " chat-error";
    }
  }
  return out + verdict;
}

struct Delivery {
  std::string_view input;
  size_t split;      // the first read returns input[0, split), the next one the rest
  size_t fed = 0;
  bool read_more(std::string& buffer) {
    if (fed >= input.size()) return false;
    const size_t end = fed < split ? split : input.size();
    buffer.append(input.substr(fed, end - fed));
    fed = end;
    return true;
  }
};

// The connection loop of run_session over one delivery of the bytes.
std::vector<std::string> serve(const Server& s, std::string_view input, size_t split) {
  std::vector<std::string> log;
  Delivery d{input, split};
  std::string buffer;  // the connection's flat_buffer
  for (int n = 0; n < kMaxRequestsPerInput; ++n) {
    if (buffer.empty() && !d.read_more(buffer)) break;  // idle connection closed

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s.limits.max_header_bytes));
    parser.body_limit(static_cast<std::uint64_t>(s.limits.max_body_bytes));

    beast::error_code ec;
    bool checked_expect = false;
    while (!ec && !parser.is_done()) {
      // Beast's read_some: parse what is buffered; read more only when it is empty or the
      // parser says need_more; on EOF, put_eof() if a message had begun.
      if (!buffer.empty()) {
        const size_t before = buffer.size();
        const size_t used = parser.put(boost::asio::buffer(buffer), ec);
        FUZZ_CHECK(used <= before, "the parser consumes what it was given");
        buffer.erase(0, used);
        if (!ec && parser.is_header_done() && !checked_expect) {
          checked_expect = true;
          (void)parser.get()[http::field::expect];  // the 100-continue check
        }
        if (ec != http::error::need_more) {
          // No error and not done: the server's read loop would call put() again at once, so
          // the parser must have moved (or the connection would spin).
          FUZZ_CHECK(ec || parser.is_done() || used > 0 || buffer.empty(),
                     "the parser makes progress");
          continue;
        }
        ec = {};
      }
      if (!d.read_more(buffer)) {  // EOF from the client
        if (parser.got_some()) {
          parser.put_eof(ec);
        } else {
          ec = http::error::end_of_stream;
        }
        if (!ec && !parser.is_done()) ec = http::error::partial_message;
      }
    }
    if (ec) {
      // answer_read_error: 413, 431, 400 for other parse errors, nothing for EOF; then close.
      std::string what = ec == http::error::body_limit     ? "413"
                         : ec == http::error::header_limit ? "431"
                         : ec == http::error::end_of_stream || ec == http::error::partial_message
                             ? "eof"
                             : "400";
      log.push_back("read error " + what);
      break;
    }
    auto message = parser.release();
    FUZZ_CHECK(message.body().size() <= s.limits.max_body_bytes, "body limit holds");
    const bool keep_alive = message.keep_alive();
    log.push_back(handle(s, message));
    if (!keep_alive) break;
  }
  return log;
}

bool g_verbose = false;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* v = std::getenv("FUZZ_VERBOSE");  // FUZZ_VERBOSE=1: print what each input read
  g_verbose = v && std::string_view(v) == "1";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Server& s = server();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto whole = serve(s, input, input.size());
  if (g_verbose)
    for (const auto& line : whole) std::fprintf(stderr, "  %s\n", line.c_str());
  if (size >= 2) {
    auto halves = serve(s, input, size * 5 / 8);
    if (g_verbose)
      for (const auto& line : halves) std::fprintf(stderr, "  split: %s\n", line.c_str());
    // Which error ends a malformed or cut-off message may depend on where reads split it
    // (Beast looks for the end of the header before it reports a bad field); that it is an
    // error, and every request read before it, may not.
    auto outcome = [](std::vector<std::string> log) {
      for (auto& line : log)
        if (line.starts_with("read error")) line = "read error";
      return log;
    };
    FUZZ_CHECK(outcome(whole) == outcome(halves),
               "the same bytes read the same requests, however they arrive");
  }
  return 0;
}
