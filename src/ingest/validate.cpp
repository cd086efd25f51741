#include <array>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/uri_scheme.hpp"
#include "ingest/source.hpp"
#include "ingest/url_rules.hpp"

namespace sl {

namespace {

constexpr size_t kMaxUrlLength = 2048;
constexpr std::array<std::string_view, 8> kSchemes = {"rtsp", "rtsps", "rtmp", "rtmps",
                                                      "srt",  "http",  "https", "file"};

Error bad(std::string message, std::string param) {
  return make_error(ErrorCode::invalid_request, std::move(message), std::move(param));
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return {};
  return buf;
}

// "/a/./b/../c//d" -> "/a/c/d", without touching the file system ("/.." stays "/").
std::string lexically_normal(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string seg = path.substr(pos, slash - pos);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(std::move(seg));
    }
    pos = slash + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

bool is_inside(const std::string& path, const std::string& root) {
  if (root == "/") return path.size() > 1;
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         (root.back() == '/' || path[root.size()] == '/');
}

Status validate_url(const std::string& url, const IngestOptions& options) {
  const std::string param = "source.url";
  if (url.empty()) return bad("source.url is required", param);
  if (url.size() > kMaxUrlLength) return bad("source.url is longer than 2048 characters", param);
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) {
      return bad("source.url contains spaces or control characters", param);
    }
  }
  const std::string scheme = url_scheme(url);
  bool allowed = false;
  for (auto s : kSchemes) allowed = allowed || scheme == s;
  if (!allowed) {
    return bad("source.url must be an rtsp, rtsps, rtmp, rtmps, srt, http, https or file URL",
               param);
  }
  const std::string rest = url.substr(scheme.size() + 3);
  if (scheme == "file") return resolve_file_url(url, options.file_root).status();
  if (rest.empty() || rest[0] == '/' || rest[0] == '?' || rest[0] == '#') {
    return bad("source.url has no host", param);
  }
  return Status();
}

Status validate_size(double value, int max, const char* param) {
  const std::string name = param;
  if (!std::isfinite(value) || value != std::floor(value) || value < 16 || value > max) {
    return bad(name + " must be an integer from 16 to " + std::to_string(max), name);
  }
  if (static_cast<int64_t>(value) % 2 != 0) return bad(name + " must be even", name);
  return Status();
}

}  // namespace

std::string url_scheme(const std::string& url) {
  std::string scheme = uri_scheme(url);
  if (scheme.empty() || url.compare(scheme.size(), 3, "://") != 0) return {};
  return scheme;
}

Result<std::string> resolve_file_url(const std::string& url, const std::string& file_root) {
  const std::string param = "source.url";
  if (file_root.empty()) return bad("file sources are disabled", param);
  if (url_scheme(url) != "file") return bad("not a file:// URL", param);
  const std::string path = url.substr(7);
  // Only file:///absolute/path: FFmpeg's file protocol does not understand hosts or %-escapes.
  if (path.empty() || path[0] != '/') return bad("file URLs must be file:///absolute/path", param);
  const std::string root = real_path(file_root);
  if (root.empty()) return bad("file sources are disabled (file root does not exist)", param);
  // Decided on the path's text first, so a path outside the root gets the same answer whether
  // or not it exists (no existence oracle); realpath then catches symlinks that lead out.
  const std::string outside = "file is outside the allowed file root";
  const std::string lexical = lexically_normal(path);
  if (!is_inside(lexical, root) && !is_inside(lexical, lexically_normal(file_root)))
    return bad(outside, param);
  const std::string resolved = real_path(path);
  if (resolved.empty()) return bad("file not found: " + path, param);
  if (!is_inside(resolved, root)) return bad(outside, param);
  return resolved;
}

Status validate_source(const SourceSpec& spec, const IngestOptions& options) {
  if (const auto* url = std::get_if<UrlSourceSpec>(&spec)) return validate_url(url->url, options);
  if (const auto* tp = std::get_if<TestPatternSpec>(&spec)) {
    if (Status s = validate_size(tp->width, options.max_width, "source.width"); !s.ok()) return s;
    if (Status s = validate_size(tp->height, options.max_height, "source.height"); !s.ok()) {
      return s;
    }
    if (!std::isfinite(tp->fps) || tp->fps < 1 || tp->fps > 120) {
      return bad("source.fps must be from 1 to 120", "source.fps");
    }
    return Status();
  }
  // Negotiating kinds: whether this build can serve them is the factory's answer; the offer
  // itself is checked by the source that parses it.
  return Status();
}

}  // namespace sl
