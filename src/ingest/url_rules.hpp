// What a source URL may look like, shared by validation (at creation) and the URL source (at
// every connect, so a file swapped for a symlink after validation is still confined).
#pragma once

#include <string>

#include "core/status.hpp"

namespace sl {

// Lowercase scheme of "scheme://rest", or empty when there is none.
std::string url_scheme(const std::string& url);

// The canonical local path of a file:// URL when it lies under `file_root` (both resolved with
// realpath, so "..", symlinks and missing files are caught). Errors name "source.url".
Result<std::string> resolve_file_url(const std::string& url, const std::string& file_root);

}  // namespace sl
