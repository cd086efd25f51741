// The client side of TLS, set up once per configuration: a context that trusts the system CAs
// (plus an optional PEM file), refuses SSLv2/3 and TLS 1.0/1.1, and verifies the peer. Loading
// CAs costs milliseconds, so a context is built once and shared by every connection that uses
// the same settings (TlsContexts caches them); the per-connection part (SNI, host-name
// verification) is done by the connection (net/connection.hpp). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.hpp"

namespace boost::asio::ssl {
class context;
}

namespace sl::net {

// What makes two TLS contexts differ; part of a connection pool's key.
struct TlsSettings {
  std::string ca_file;  // extra PEM trust anchors besides the system CAs; "" = none
  auto operator<=>(const TlsSettings&) const = default;
};

// internal when the context cannot be set up (an unreadable or invalid ca_file names the file).
Result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(const TlsSettings& settings);

// Contexts by settings, each built on first use and kept.
class TlsContexts {
 public:
  Result<std::shared_ptr<boost::asio::ssl::context>> get(const TlsSettings& settings);

 private:
  std::mutex mu_;
  std::map<TlsSettings, std::shared_ptr<boost::asio::ssl::context>> built_;
};

}  // namespace sl::net
