#include "refs/remote_video.hpp"

#include <memory>

#include "core/uri_scheme.hpp"
#include "media/jpeg.hpp"
#include "media/video_sampler.hpp"
#include "refs/url_fetcher.hpp"

namespace sl {

boost::asio::awaitable<Result<Bytes>> load_media_url(std::string url, const UrlFetcher* fetcher,
                                                     size_t max_data_url_bytes) {
  // Schemes are case-insensitive (RFC 3986): "HTTP://" and "Data:" are what they say.
  const std::string scheme = uri_scheme(url);
  if (scheme == "data") co_return decode_data_url(url, max_data_url_bytes);
  if (scheme != "http" && scheme != "https")
    co_return make_error(ErrorCode::invalid_request,
                         "Only http(s):// and data: video URLs can be fetched.");
  if (fetcher == nullptr) co_return make_error(ErrorCode::internal, "fetching URLs is not set up");
  auto fetched = co_await fetcher->fetch(std::move(url));
  if (!fetched.ok()) co_return fetched.error();
  co_return std::move(fetched->bytes);
}

Result<std::vector<RenderedFrame>> sample_video_jpegs(const Bytes& video, double max_fps,
                                                      int max_frames,
                                                      std::optional<int64_t> max_pixels,
                                                      int jpeg_quality) {
  auto sampled = sample_video(video, max_fps, max_frames, max_pixels.value_or(0));
  if (!sampled.ok()) return sampled.error();
  std::vector<RenderedFrame> out;
  out.reserve(sampled->size());
  for (size_t i = 0; i < sampled->size(); ++i) {
    const SampledFrame& f = (*sampled)[i];
    auto jpeg = encode_jpeg(f.image, jpeg_quality);
    if (!jpeg.ok()) return jpeg.error();
    RenderedFrame r;
    r.index = static_cast<int64_t>(i);
    r.timestamp_ms = f.timestamp_ms;
    r.width = f.image.width;
    r.height = f.image.height;
    r.jpeg = std::make_shared<const Bytes>(std::move(*jpeg));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sl
