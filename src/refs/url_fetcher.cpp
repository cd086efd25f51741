#include "refs/url_fetcher.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>

#include <boost/system/system_error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/guarded.hpp"
#include "net/connection.hpp"

namespace sl {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace urls = boost::urls;

namespace {

// A redirect's own body is read (so its connection can serve the next hop) when it is this
// small; a larger one is dropped with its connection.
constexpr size_t kRedirectBodyBytes = 64 * 1024;

// One hop's destination.
struct Target {
  net::HttpUrl parsed;
  std::string url;  // without fragment
};

Error refused_url(std::string_view url, std::string_view why) {
  return make_error(ErrorCode::invalid_request,
                    "refused to fetch '" + std::string(url) + "': " + std::string(why));
}

Result<Target> parse_target(std::string_view text) {
  auto parsed = net::parse_http_url(text);
  if (!parsed.ok()) return refused_url(text, parsed.error().message);
  if (parsed->has_userinfo) return refused_url(text, "credentials in URLs are not allowed");
  Target t;
  t.url = parsed->without_fragment;
  t.parsed = std::move(*parsed);
  return t;
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Result<std::string> redirect_url(const Target& from, std::string_view location) {
  auto ref = urls::parse_uri_reference(location);
  if (!ref) {
    return make_error(ErrorCode::invalid_request,
                      "redirect from '" + from.url + "' has an invalid Location '" +
                          std::string(location) + "'");
  }
  urls::url next(from.url);
  if (auto r = next.resolve(*ref); !r) {
    return make_error(ErrorCode::invalid_request,
                      "cannot resolve redirect Location '" + std::string(location) + "'");
  }
  next.remove_fragment();
  return std::string(next.buffer());
}

// What a failed hop means to the user who gave the URL.
Error fetch_error(const net::NetError& e, const Target& target, const FetchPolicy& policy) {
  const net::Origin& o = target.parsed.origin;
  switch (e.reason) {
    case net::Reason::blocked:
      return make_error(ErrorCode::invalid_request, e.detail);
    case net::Reason::timeout:
      return make_error(ErrorCode::upstream_timeout, "fetching '" + target.url + "' took longer than " +
                                                         std::to_string(policy.timeout_ms) + " ms");
    case net::Reason::cancelled:
      return make_error(ErrorCode::cancelled, "fetch of '" + target.url + "' cancelled");
    case net::Reason::too_large:
      return make_error(ErrorCode::payload_too_large, "'" + target.url + "' is larger than " +
                                                          std::to_string(policy.max_bytes) + " bytes");
    case net::Reason::internal:
      return make_error(ErrorCode::internal, "fetch failed: " + e.detail);
    default:
      break;
  }
  const char* what = "connecting to";
  switch (e.phase) {
    case net::Phase::resolve:
      if (e.detail == net::kNoAddress) {
        return make_error(ErrorCode::upstream_unavailable, "host '" + o.host + "' has no address");
      }
      return make_error(ErrorCode::upstream_unavailable,
                        "cannot resolve host '" + o.host + "': " + e.detail);
    case net::Phase::wait_pool:
    case net::Phase::connect: what = "connecting to"; break;
    case net::Phase::handshake: what = "TLS handshake with"; break;
    case net::Phase::send: what = "sending the request to"; break;
    case net::Phase::read_header: what = "reading the response from"; break;
    case net::Phase::read_body: what = "reading the body from"; break;
  }
  return make_error(ErrorCode::upstream_unavailable, std::string(what) + " " + o.host + ":" +
                                                         std::to_string(o.port) + " failed: " + e.detail);
}

}  // namespace

UrlFetcher::UrlFetcher(FetchPolicy policy, std::shared_ptr<net::HttpClient> client)
    : policy_(std::move(policy)), client_(std::move(client)) {}

Result<std::shared_ptr<const UrlFetcher>> UrlFetcher::create(FetchPolicy policy,
                                                             net::PoolSettings pool) {
  auto addresses = net::AddressPolicy::create(policy);
  if (!addresses.ok()) return addresses.error();
  net::ClientOptions options;
  options.pool = pool;
  options.policy = std::move(*addresses);
  auto client = net::HttpClient::create(std::move(options));
  return std::shared_ptr<const UrlFetcher>(new UrlFetcher(std::move(policy), std::move(client)));
}

asio::awaitable<Result<FetchedMedia>> UrlFetcher::fetch(std::string url) const {
  co_return co_await guarded(fetch_all_hops(std::move(url)), "fetch", "fetch");
}

asio::awaitable<Result<FetchedMedia>> UrlFetcher::fetch_all_hops(std::string url) const {
  using std::chrono::milliseconds;
  const int64_t total_ms = std::max<int64_t>(policy_.timeout_ms, 1);
  const auto end = net::SteadyClock::now() + milliseconds(total_ms);
  for (int hop = 0;; ++hop) {
    auto target = parse_target(url);
    if (!target.ok()) co_return target.error();
    const auto after_redirect = [&](Error e) {
      if (hop > 0) e.message += " (after a redirect to '" + target->url + "')";
      return e;
    };

    net::Request request;
    request.origin = target->parsed.origin;
    request.target = target->parsed.target();
    request.headers.emplace_back(http::field::accept, "*/*");
    // Every hop shares the one deadline of the whole fetch.
    const int64_t left = std::max<int64_t>(
        1, std::chrono::duration_cast<milliseconds>(end - net::SteadyClock::now()).count());
    request.timeouts = net::Timeouts{left, left, left, left};

    auto exchange = co_await client_->start(std::move(request));
    if (!exchange.ok()) co_return after_redirect(fetch_error(exchange.error(), *target, policy_));
    const net::ResponseHead& head = exchange->head();

    if (is_redirect(head.status)) {
      if (head.location.empty()) {
        co_return after_redirect(make_error(ErrorCode::invalid_request,
                                            "'" + target->url + "' answered " +
                                                std::to_string(head.status) + " without a Location"));
      }
      auto next = redirect_url(*target, head.location);
      if (!next.ok()) co_return after_redirect(next.error());
      if (hop >= policy_.max_redirects) {
        co_return make_error(ErrorCode::invalid_request,
                             "too many redirects fetching '" + url + "' (more than " +
                                 std::to_string(std::max(policy_.max_redirects, 0)) + ")");
      }
      if (head.content_length && *head.content_length <= kRedirectBodyBytes) {
        auto ignored = co_await exchange->read_all(kRedirectBodyBytes);  // frees the connection
        (void)ignored;
      }
      url = std::move(*next);
      continue;
    }
    if (head.status / 100 != 2) {
      co_return after_redirect(make_error(
          ErrorCode::invalid_request,
          "fetching '" + target->url + "' failed: HTTP " + std::to_string(head.status) +
              (head.reason.empty() ? "" : " " + head.reason)));
    }
    auto body = co_await exchange->read_all(policy_.max_bytes);
    if (!body.ok()) co_return after_redirect(fetch_error(body.error(), *target, policy_));
    FetchedMedia media;
    media.content_type = head.content_type;
    media.final_url = target->url;
    media.bytes.assign(body->begin(), body->end());
    co_return media;
  }
}

asio::awaitable<Result<FetchedMedia>> fetch_url(std::string url, FetchPolicy policy) {
  auto fetcher = UrlFetcher::create(std::move(policy));
  if (!fetcher.ok()) co_return fetcher.error();
  co_return co_await (*fetcher)->fetch(std::move(url));
}

}  // namespace sl
