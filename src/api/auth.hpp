// API-key authentication. Each configured key maps to a stable, non-secret owner id
// ("key-" + the first 8 hex digits of its SHA-256) under which its streams are kept, so ids can
// appear in logs and metrics without revealing keys. Presented keys are compared as SHA-256
// digests in constant time against every configured key. In insecure mode (no auth) every
// request is the owner "anonymous".
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace sl::api {

inline constexpr const char* kAnonymousOwner = "anonymous";

class KeyRing {
 public:
  // Keys must be non-empty; duplicates are ignored.
  explicit KeyRing(const std::vector<std::string>& keys);
  static KeyRing insecure();

  static std::string owner_id(const std::string& key);

  bool is_insecure() const { return insecure_; }
  size_t size() const { return entries_.size(); }

  // The owner for an Authorization header value ("" when the header is absent).
  // Error unauthorized (wire code invalid_api_key) when missing or wrong.
  Result<std::string> authenticate(std::string_view authorization) const;
  // The owner for a bare key (the WebSocket first message {"api_key": ...}); same errors.
  Result<std::string> authenticate_key(std::string_view key) const;

 private:
  KeyRing() = default;
  struct Entry {
    std::string digest;  // raw SHA-256 of the key
    std::string owner;
  };
  bool insecure_ = false;
  std::vector<Entry> entries_;
};

// The token of "Bearer <token>" (scheme case-insensitive), or "" if the header is not one.
std::string_view bearer_token(std::string_view authorization);

// Constant-time check of an Authorization header against one secret (e.g. metrics_token).
bool bearer_matches(std::string_view authorization, const std::string& secret);

// Raw (binary) SHA-256.
std::string sha256(std::string_view data);

}  // namespace sl::api
