#include "api/http_types.hpp"

#include <utility>

namespace sl::api {

const std::string& Request::param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

void ResponseWriter::add_header(std::string name, std::string value) {
  extra_.emplace_back(std::move(name), std::move(value));
}

bool ResponseWriter::upgrade(UpgradeFn take) {
  if (state_ != State::idle || client_gone() || !transport_can_upgrade() || !take) return false;
  upgrade_ = std::move(take);
  state_ = State::upgraded;
  status_ = 101;
  return true;
}

UpgradeFn ResponseWriter::take_upgrade() { return std::exchange(upgrade_, nullptr); }

asio::awaitable<bool> ResponseWriter::send(Response response) {
  if (state_ != State::idle || client_gone()) co_return false;
  for (const auto& [name, value] : extra_) response.set(name, value);
  status_ = response.result_int();
  state_ = State::failed;
  bool ok = co_await transport_send(response);
  if (ok) state_ = State::done;
  else gone_ = true;
  co_return ok;
}

asio::awaitable<bool> ResponseWriter::begin_stream(http::status status, HeaderList headers) {
  if (state_ != State::idle || client_gone()) co_return false;
  http::response<http::empty_body> header{status, 11};
  for (const auto& [name, value] : extra_) header.set(name, value);
  for (const auto& [name, value] : headers) header.set(name, value);
  header.chunked(true);
  status_ = header.result_int();
  state_ = State::failed;
  bool ok = co_await transport_begin(header);
  if (ok) state_ = State::streaming;
  else gone_ = true;
  co_return ok;
}

asio::awaitable<bool> ResponseWriter::write(std::string_view chunk) {
  if (state_ != State::streaming || client_gone()) co_return false;
  if (chunk.empty()) co_return true;  // an empty chunk would end the body
  bool ok = co_await transport_chunk(chunk);
  if (!ok) {
    gone_ = true;
    state_ = State::failed;
  }
  co_return ok;
}

asio::awaitable<bool> ResponseWriter::end() {
  if (state_ != State::streaming || client_gone()) co_return false;
  bool ok = co_await transport_end();
  state_ = ok ? State::done : State::failed;
  if (!ok) gone_ = true;
  co_return ok;
}

}  // namespace sl::api
