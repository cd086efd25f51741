// redact_url: a URL as it may be shown to anyone (logs, API answers, metrics): the userinfo
// (`user:password@`) is removed and the values of query parameters that usually carry a
// credential (token, key, password, signature, ...) are replaced by "REDACTED". Camera URLs
// carry credentials routinely, and logs travel further than the API. Pure, thread-safe; a
// string without "://" comes back unchanged.
#pragma once

#include <string>
#include <string_view>

namespace sl {

std::string redact_url(std::string_view url);

// True for a query parameter name that usually carries a credential (case-insensitive).
bool is_secret_param(std::string_view name);

}  // namespace sl
