#include "api/auth.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/sha.h>

#include "core/random_id.hpp"

namespace sl::api {

std::string sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

std::string KeyRing::owner_id(const std::string& key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string d = sha256(key);
  std::string out = "key-";
  for (int i = 0; i < 4; ++i) {
    auto b = static_cast<unsigned char>(d[static_cast<size_t>(i)]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

KeyRing::KeyRing(const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    if (k.empty()) continue;
    std::string d = sha256(k);
    bool dup = std::any_of(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.digest == d; });
    if (!dup) entries_.push_back(Entry{d, owner_id(k)});
  }
}

KeyRing KeyRing::insecure() {
  KeyRing r;
  r.insecure_ = true;
  return r;
}

std::string_view bearer_token(std::string_view h) {
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer";
  if (h.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(h[i])) != kScheme[i]) return {};
  if (h[kScheme.size()] != ' ' && h[kScheme.size()] != '\t') return {};
  h.remove_prefix(kScheme.size());
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
  return h;
}

Result<std::string> KeyRing::authenticate(std::string_view authorization) const {
  if (insecure_) return std::string(kAnonymousOwner);
  std::string_view token = bearer_token(authorization);
  if (token.empty())
    return make_error(ErrorCode::unauthorized,
                      "You didn't provide an API key. Send it in the Authorization header as "
                      "'Authorization: Bearer <key>'.");
  return authenticate_key(token);
}

Result<std::string> KeyRing::authenticate_key(std::string_view key) const {
  if (insecure_) return std::string(kAnonymousOwner);
  if (key.empty()) return make_error(ErrorCode::unauthorized, "You didn't provide an API key.");
  std::string d = sha256(key);
  // Compare with every key (no early exit) so timing says nothing about which one matched.
  const Entry* found = nullptr;
  for (const auto& e : entries_)
    if (constant_time_equal(d, e.digest)) found = &e;
  if (!found)
    return make_error(ErrorCode::unauthorized, "Incorrect API key provided.");
  return found->owner;
}

bool bearer_matches(std::string_view authorization, const std::string& secret) {
  std::string_view token = bearer_token(authorization);
  if (token.empty() || secret.empty()) return false;
  return constant_time_equal(sha256(token), sha256(secret));
}

}  // namespace sl::api
