// Turns the ovs:// references inside a Chat Completion request into media. It walks every
// message's content parts, parses each ovs:// image_url/video_url (all syntax errors are found
// before any stream is touched), resolves it against the caller's stream, renders the selected
// frames as cached JPEGs, and replaces the part with an {"type":"ovs_media","index":k}
// placeholder for the backend to present in its own way. It also validates the request's
// general shape (model, messages, roles, part types) so malformed input is a 400 naming the
// JSON path, and enforces the documented per-request limits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "backends/chat_call.hpp"
#include "core/status.hpp"
#include "core/media_types.hpp"
#include "refs/frame_renderer.hpp"
#include "refs/media_resolver.hpp"
#include "refs/ovs_ref.hpp"

namespace sl::api {

struct ChatLimits {
  int max_refs = 32;                         // ovs:// references (and fetched videos) per request
  int64_t max_frames = 512;                  // frames over all references of one request
  size_t max_data_url_bytes = 20ull << 20;   // a data: URL inside a message
  int jpeg_quality = 85;
  int max_remote_video_frames = 32;          // frames sampled from a fetched video (1 fps)
};

// One entry of the response's `ovs_media` summary.
struct OvsMediaEntry {
  std::string url;
  std::string stream_id;
  int64_t first_index = 0, last_index = 0, count = 0;
  int64_t first_timestamp_ms = 0, last_timestamp_ms = 0;
  bool clamped = false;
};

struct PreparedChat {
  ChatCall call;
  std::vector<OvsMediaEntry> summary;  // request order
  std::string model;
  bool stream = false;
};

// A reference found in the request, parsed but not yet resolved: an ovs:// reference, or (for
// backends that take no video) an http(s)/data: video URL the server must fetch and sample.
struct PendingRef {
  OvsRef ref;          // ovs:// only
  std::string url;
  std::string param;   // JSON path of the url, e.g. messages[1].content[2].video_url.url
  bool remote_video = false;
  bool remote_image = false;  // an http(s)/data: image for a backend that wants pictures
  Bytes fetched;       // remote_video/remote_image: the file, loaded by the handler first
};

// The request after shape checks and ovs:// parsing (cheap, no stream access): the body with
// placeholders, and one pending reference per placeholder, in order.
struct ParsedChat {
  boost::json::object body;
  std::vector<PendingRef> refs;
  std::string model;
  bool stream = false;
  bool pictures = false;  // render frames as decoded pictures (Backend::wants_pictures)
};
// `fetch_video_urls`: the backend takes no video_url, so http(s)/data: videos become
// remote_video references. `pictures`: the backend wants decoded pictures (the in-process
// engine): ovs:// frames are rendered as pictures and http(s)/data: images become
// remote_image references, decoded by the server (JPEG).
Result<ParsedChat> parse_chat_request(boost::json::object body, const ChatLimits& limits,
                                      bool fetch_video_urls, bool pictures = false);

// Resolves and renders every pending reference (touches stores and decodes: run it off the
// network threads). `now_wall_ms` is when the request arrived.
Result<PreparedChat> resolve_chat_media(ParsedChat parsed, const std::string& owner,
                                        int64_t now_wall_ms, const MediaResolver& media,
                                        const ChatLimits& limits);

boost::json::array summary_to_json(const std::vector<OvsMediaEntry>& summary);

}  // namespace sl::api
