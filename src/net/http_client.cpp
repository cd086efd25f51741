#include "net/http_client.hpp"

#include <exception>

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/system_error.hpp>

namespace sl::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;  // cloud APIs send many headers
constexpr size_t kReadChunk = 16 * 1024;

NetError failure(Reason reason, Phase phase, std::string detail) {
  NetError e;
  e.reason = reason;
  e.phase = phase;
  e.detail = std::move(detail);
  return e;
}

NetError timed(NetError e, const Deadline& deadline) {
  if (e.reason == Reason::timeout) e.total_deadline = deadline.total_binds();
  return e;
}

// An exception from below (allocation, or a wait that the caller's cancellation interrupted)
// as a value.
NetError from_exception(Phase phase, const std::exception& e) {
  if (const auto* se = dynamic_cast<const boost::system::system_error*>(&e)) {
    if (se->code() == asio::error::operation_aborted) return classify(phase, se->code());
  }
  return failure(Reason::internal, phase, e.what());
}

http::request<http::string_body> make_message(const Request& r, bool keep_alive) {
  http::request<http::string_body> msg{r.method, r.target, 11};
  msg.set(http::field::host, r.origin.host_header);
  msg.set(http::field::user_agent, "sightline");
  for (const auto& [field, value] : r.headers) msg.set(field, value);
  if (!r.body.empty() || r.method == http::verb::post || r.method == http::verb::put) {
    msg.body() = r.body;
  }
  msg.keep_alive(keep_alive);
  msg.prepare_payload();
  return msg;
}

}  // namespace

struct Exchange::State {
  State(Lease l, const Deadline& d, const Timeouts& t) : lease(std::move(l)), deadline(d), timeouts(t) {}

  Connection& connection() { return *lease.connection(); }

  // Gives the connection back once the response has been read to its end and nothing says
  // the connection is finished (Connection: close, a body delimited by the close, stray bytes).
  void settle() {
    if (!parser.is_done() || !lease.connection()) return;
    const auto& msg = parser.get();
    lease.finish(msg.keep_alive() && !msg.need_eof() && buffer.size() == 0);
  }

  Lease lease;
  Deadline deadline;
  Timeouts timeouts;
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  ResponseHead head;
  std::array<char, kReadChunk> chunk{};
};

// ---- Exchange -------------------------------------------------------------------------------

Exchange::Exchange(std::unique_ptr<State> state) : state_(std::move(state)) {}
Exchange::Exchange(Exchange&&) noexcept = default;
Exchange& Exchange::operator=(Exchange&&) noexcept = default;
Exchange::~Exchange() = default;  // the Lease closes an unfinished connection

const ResponseHead& Exchange::head() const { return state_->head; }
bool Exchange::reused_connection() const { return state_->lease.reused(); }
bool Exchange::done() const { return state_->parser.is_done(); }

void Exchange::abandon() { state_->lease.finish(false); }

asio::awaitable<Outcome<std::string_view>> Exchange::read_some() {
  State& s = *state_;
  if (s.parser.is_done()) co_return std::string_view();
  if (!s.lease.connection()) {
    co_return failure(Reason::connection_lost, Phase::read_body, "the exchange was abandoned");
  }
  try {
    const auto until = s.deadline.phase_until(s.timeouts.idle_ms);
    s.parser.get().body().data = s.chunk.data();
    s.parser.get().body().size = s.chunk.size();
    // read_some, not read: read would wait to fill the whole chunk, holding back small events.
    auto [ec, n] = co_await within(s.connection().visit([&](auto& stream) {
      return http::async_read_some(stream, s.buffer, s.parser, use_tuple);
    }), until);
    (void)n;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      s.lease.finish(false);
      co_return timed(classify(Phase::read_body, ec), s.deadline);
    }
    const size_t got = s.chunk.size() - s.parser.get().body().size;
    s.settle();
    co_return std::string_view(s.chunk.data(), got);
  } catch (const std::exception& e) {
    s.lease.finish(false);
    co_return from_exception(Phase::read_body, e);
  }
}

asio::awaitable<Outcome<std::string>> Exchange::read_all(size_t max_bytes) {
  State& s = *state_;
  const auto too_large = [&] {
    s.lease.finish(false);
    return failure(Reason::too_large, Phase::read_body,
                   "body larger than " + std::to_string(max_bytes) + " bytes");
  };
  if (s.head.content_length && *s.head.content_length > max_bytes) co_return too_large();
  std::string body;
  while (!s.parser.is_done()) {
    auto piece = co_await read_some();
    if (!piece.ok()) co_return piece.error();
    if (body.size() + piece->size() > max_bytes) co_return too_large();
    body.append(piece->data(), piece->size());
  }
  co_return body;
}

// ---- HttpClient -----------------------------------------------------------------------------

HttpClient::HttpClient(ClientOptions options)
    : policy_(std::move(options.policy)), pool_(ConnectionPool::create(options.pool)),
      keep_alive_(options.pool.max_idle_per_host > 0) {}
HttpClient::~HttpClient() = default;

std::shared_ptr<HttpClient> HttpClient::create(ClientOptions options) {
  return std::shared_ptr<HttpClient>(new HttpClient(std::move(options)));
}

Status HttpClient::prepare_tls(const TlsSettings& settings) const {
  auto ctx = tls_.get(settings);
  if (!ctx.ok()) return ctx.error();
  return Status();
}

int64_t HttpClient::retries() const { return retries_.load(); }

asio::awaitable<Outcome<Exchange>> HttpClient::start(Request request) const {
  try {
    co_return co_await run(request);
  } catch (const std::exception& e) {
    co_return from_exception(Phase::connect, e);
  }
}

asio::awaitable<Outcome<Exchange>> HttpClient::run(const Request& request) const {
  const Origin& origin = request.origin;
  std::shared_ptr<asio::ssl::context> tls;
  if (origin.tls) {
    auto ctx = tls_.get(request.tls);
    if (!ctx.ok()) co_return failure(Reason::internal, Phase::handshake, ctx.error().message);
    tls = std::move(*ctx);
  }
  const auto message = make_message(request, keep_alive_);
  auto executor = co_await asio::this_coro::executor;
  PoolKey key{&asio::query(executor, asio::execution::context), origin.tls, origin.host,
              origin.port, origin.tls ? request.tls : TlsSettings{}};
  Deadline deadline(request.timeouts.total_ms);

  for (int attempt = 0;; ++attempt) {
    const auto connect_until = deadline.phase_until(request.timeouts.connect_ms);
    // A retry never takes an idle connection: it is the fresh connection of the rule.
    auto lease = co_await pool_->acquire(key, attempt == 0, connect_until);
    if (!lease.ok()) co_return timed(lease.error(), deadline);
    if (!lease->connection()) {
      auto opened = co_await open_connection(origin, policy_, tls, connect_until);
      if (!opened.ok()) co_return timed(opened.error(), deadline);
      lease->attach(std::move(*opened));
    }

    auto state = std::make_unique<Exchange::State>(std::move(*lease), deadline, request.timeouts);
    state->parser.header_limit(kMaxHeaderBytes);
    state->parser.body_limit(boost::none);  // callers cap what they keep
    const auto header_until = state->deadline.phase_until(request.timeouts.first_byte_ms);
    auto [write_ec, written] = co_await within(state->connection().visit([&](auto& stream) {
      return http::async_write(stream, message, use_tuple);
    }), header_until);
    (void)written;
    error_code ec = write_ec;
    Phase phase = Phase::send;
    if (!ec) {
      auto [read_ec, read] = co_await within(state->connection().visit([&](auto& stream) {
        return http::async_read_header(stream, state->buffer, state->parser, use_tuple);
      }), header_until);
      (void)read;
      ec = read_ec;
      phase = Phase::read_header;
    }
    if (!ec) {
      const auto& msg = state->parser.get();
      ResponseHead& head = state->head;
      head.status = msg.result_int();
      head.reason = std::string(msg.reason());
      head.content_type = std::string(msg[http::field::content_type]);
      head.location = std::string(msg[http::field::location]);
      if (auto length = state->parser.content_length()) head.content_length = *length;
      state->settle();
      co_return Exchange(std::move(state));
    }
    NetError error = timed(classify(phase, ec), state->deadline);
    // The one retry: a reused connection that the peer had already closed (nothing of a
    // response arrived). A timeout or a malformed answer is not that.
    const bool stale = attempt == 0 && state->lease.reused() && !state->parser.got_some() &&
                       error.reason == Reason::connection_lost;
    state.reset();  // closes the connection
    if (!stale) co_return error;
    ++retries_;
  }
}

}  // namespace sl::net
