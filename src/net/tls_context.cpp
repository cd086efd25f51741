#include "net/tls_context.hpp"

#include <boost/asio/ssl/context.hpp>

namespace sl::net {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> make_client_tls_context(const TlsSettings& settings) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (!ec) ctx->set_default_verify_paths(ec);
  if (ec) return make_error(ErrorCode::internal, "cannot set up TLS: " + ec.message());
  if (!settings.ca_file.empty()) {
    ctx->load_verify_file(settings.ca_file, ec);
    if (ec) {
      return make_error(ErrorCode::internal,
                        "cannot set up TLS: ca_file '" + settings.ca_file + "': " + ec.message());
    }
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return make_error(ErrorCode::internal, "cannot set up TLS: " + ec.message());
  return ctx;
}

Result<std::shared_ptr<ssl::context>> TlsContexts::get(const TlsSettings& settings) {
  std::lock_guard lock(mu_);
  if (auto it = built_.find(settings); it != built_.end()) return it->second;
  auto ctx = make_client_tls_context(settings);
  if (!ctx.ok()) return ctx.error();
  built_.emplace(settings, *ctx);
  return std::move(*ctx);
}

}  // namespace sl::net
