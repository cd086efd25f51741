// Video given by URL inside a chat request (not an ovs:// stream) for a backend that cannot take
// video itself: load the bytes (an SSRF-safe fetch for http(s), a bounded decode for data:) and
// sample frames from them as JPEGs, at most max_fps and max_frames, the same way a segment of a
// live stream is presented. Loading is a coroutine (network); sampling is CPU-bound and blocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/media_types.hpp"
#include "core/status.hpp"
#include "refs/frame_renderer.hpp"
#include "refs/url_fetcher.hpp"

namespace sl {

// http(s):// through `fetcher` (its policy's limits apply; null: internal error, fetching is not
// set up), data: through decode_data_url with `max_data_url_bytes`. Anything else is
// invalid_request.
boost::asio::awaitable<Result<Bytes>> load_media_url(std::string url, const UrlFetcher* fetcher,
                                                     size_t max_data_url_bytes);

// Frames of a video file as JPEGs; RenderedFrame::index is the frame's position in the sample
// (0, 1, ...) and timestamp_ms its time from the start of the video.
Result<std::vector<RenderedFrame>> sample_video_jpegs(const Bytes& video, double max_fps,
                                                      int max_frames,
                                                      std::optional<int64_t> max_pixels,
                                                      int jpeg_quality);

}  // namespace sl
