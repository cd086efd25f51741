#include "refs/frame_renderer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "media/barcode.hpp"
#include "media/encoder.hpp"
#include "media/jpeg.hpp"

namespace sl {
namespace {

constexpr int kWidth = 256;
constexpr int kHeight = 192;
constexpr int kGop = 10;
constexpr int64_t kWall0 = 1'700'000'000'000;

int64_t ts(int64_t k) { return (k * 1000 + 15) / 30; }

// A limited-range I420 picture whose whole area is the frame barcode, so that it still reads
// after downscaling.
VideoImage barcoded_image(int64_t index) {
  auto buf = std::make_shared<Bytes>(static_cast<size_t>(kWidth * kHeight * 3 / 2), 128);
  VideoImage img;
  img.width = kWidth;
  img.height = kHeight;
  img.plane = {buf->data(), buf->data() + kWidth * kHeight,
               buf->data() + kWidth * kHeight + kWidth * kHeight / 4};
  img.stride = {kWidth, kWidth / 2, kWidth / 2};
  img.owner = buf;
  // A band as tall as the picture: draw_barcode's band is max(32, H/8) of the height it is told.
  draw_barcode(buf->data(), kWidth, kWidth, kHeight * 8, index);
  return img;
}

struct Fed {
  std::unique_ptr<FrameStore> store;
  std::vector<std::vector<Packet>> packets;  // per frame, as encoded
};

// Encodes `frames` barcoded pictures and feeds packets and pictures to a store that keeps only
// the newest `keep` pictures decoded.
Fed feed(const std::string& codec, int frames, int keep, bool with_pts = true) {
  StoreLimits limits;
  limits.decoded_keep = keep;
  Fed fed;
  fed.store = std::make_unique<FrameStore>(limits);
  EncoderOptions eo;
  eo.width = kWidth;
  eo.height = kHeight;
  eo.gop = kGop;
  eo.codec = codec;
  auto enc = Encoder::create(eo);
  EXPECT_TRUE(enc.ok()) << enc.error().message;
  if (!enc.ok()) return fed;
  for (int64_t k = 0; k < frames; ++k) {
    VideoImage img = barcoded_image(k);
    std::vector<Packet> out;
    Status s = (*enc)->encode(img, ts(k), out);
    EXPECT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(out.size(), 1u) << "the test encoder has no delay";
    uint64_t gop = 0;
    for (const Packet& p : out) gop = fed.store->on_packet(p);
    fed.packets.push_back(out);
    FrameArrival a;
    a.gop_id = gop;
    a.pts = with_pts ? ts(k) : kNoPts;
    a.timestamp_ms = ts(k);
    a.wall_ms = kWall0 + ts(k);
    a.image = img;
    fed.store->on_frame(a);
  }
  return fed;
}

std::vector<FrameRecord> records(const FrameStore& store, std::initializer_list<int64_t> indices) {
  std::vector<FrameRecord> out;
  for (int64_t i : indices) {
    auto r = store.record(i);
    EXPECT_TRUE(r) << i;
    if (r) out.push_back(*r);
  }
  return out;
}

// The index a JPEG shows, with its size.
struct Shown {
  int64_t index = -1;
  int width = 0;
  int height = 0;
};
Shown shown(const RenderedFrame& f) {
  if (!f.jpeg) return {};
  auto img = decode_jpeg(*f.jpeg);
  EXPECT_TRUE(img.ok()) << img.error().message;
  if (!img.ok()) return {};
  return {read_barcode(*img), img->width, img->height};
}

TEST(FrameRenderer, RendersOldFramesByRedecodingTheirGop) {
  Fed fed = feed("h264", 40, 3);
  ASSERT_TRUE(fed.store);
  ASSERT_EQ(fed.packets[0].at(0).config->codec, "h264");
  ASSERT_FALSE(fed.store->decoded(13));
  ASSERT_TRUE(fed.store->decoded(39));

  // Out of order, two from one GOP, one from another, two still decoded.
  auto recs = records(*fed.store, {13, 0, 39, 5, 38, 9});
  FrameRenderer renderer;
  auto r = renderer.render(*fed.store, recs, RenderOptions{});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i) {
    const RenderedFrame& f = (*r)[i];
    EXPECT_EQ(f.index, recs[i].index);
    EXPECT_EQ(f.timestamp_ms, recs[i].timestamp_ms);
    EXPECT_EQ(f.width, kWidth);
    EXPECT_EQ(f.height, kHeight);
    Shown s = shown(f);
    EXPECT_EQ(s.index, recs[i].index) << "JPEG for frame " << recs[i].index;
    EXPECT_EQ(s.width, kWidth);
    EXPECT_EQ(s.height, kHeight);
  }
}

TEST(FrameRenderer, PictureFormHandsOverDecodedPicturesWithoutJpegs) {
  Fed fed = feed("h264", 40, 3);
  // Make JPEG renditions exist first: the picture form must not use them (they are lossy).
  ASSERT_TRUE(FrameRenderer().render(*fed.store, records(*fed.store, {13}), RenderOptions{}).ok());
  auto recs = records(*fed.store, {13, 0, 39, 5});
  RenderOptions opts;
  opts.form = FrameForm::picture;
  auto r = FrameRenderer().render(*fed.store, recs, opts);
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (size_t i = 0; i < recs.size(); ++i) {
    const RenderedFrame& f = (*r)[i];
    EXPECT_FALSE(f.jpeg) << f.index;
    ASSERT_TRUE(f.picture.valid()) << f.index;
    EXPECT_EQ(f.picture.width, kWidth);
    EXPECT_EQ(read_barcode(f.picture), recs[i].index);
  }
  opts.max_pixels = 128 * 96;
  auto small = FrameRenderer().render(*fed.store, records(*fed.store, {4, 39}), opts);
  ASSERT_TRUE(small.ok()) << small.error().message;
  for (const RenderedFrame& f : *small) {
    EXPECT_EQ(f.picture.width, 128);
    EXPECT_EQ(f.picture.height, 96);
    EXPECT_EQ(f.width, 128);
  }
  EXPECT_EQ(read_barcode((*small)[0].picture), 4);
}

TEST(FrameRenderer, MatchesPicturesByPositionWithoutPts) {
  Fed fed = feed("h264", 20, 1, /*with_pts=*/false);
  auto recs = records(*fed.store, {3, 7, 12});
  auto r = FrameRenderer().render(*fed.store, recs, RenderOptions{});
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_EQ(shown((*r)[i]).index, recs[i].index);
}

TEST(FrameRenderer, DownscalesToMaxPixels) {
  Fed fed = feed("h264", 20, 2);
  RenderOptions opts;
  opts.max_pixels = 128 * 96;
  auto recs = records(*fed.store, {4, 19});
  auto r = FrameRenderer().render(*fed.store, recs, opts);
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (size_t i = 0; i < recs.size(); ++i) {
    const RenderedFrame& f = (*r)[i];
    EXPECT_EQ(f.width, 128);
    EXPECT_EQ(f.height, 96);
    Shown s = shown(f);
    EXPECT_EQ(s.index, recs[i].index);
    EXPECT_EQ(s.width, 128);
    EXPECT_EQ(s.height, 96);
  }
  // The full-size rendition is a different one.
  auto full = FrameRenderer().render(*fed.store, records(*fed.store, {4}), RenderOptions{});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ((*full)[0].width, kWidth);
  EXPECT_NE(*(*full)[0].jpeg, *(*r)[0].jpeg);
}

TEST(FrameRenderer, RepeatedRendersAreByteIdentical) {
  Fed fed = feed("h264", 30, 2);
  FrameRenderer renderer;
  auto recs = records(*fed.store, {5, 29});
  auto first = renderer.render(*fed.store, recs, RenderOptions{});
  ASSERT_TRUE(first.ok());
  // Frame 29 was rendered from its kept picture; push it out of the decoded window so the next
  // render would have to re-decode it, and of course must not produce different bytes.
  EncoderOptions eo;
  eo.width = kWidth;
  eo.height = kHeight;
  eo.gop = kGop;
  auto enc = Encoder::create(eo);
  ASSERT_TRUE(enc.ok());
  for (int64_t k = 30; k < 33; ++k) {
    std::vector<Packet> out;
    ASSERT_TRUE((*enc)->encode(barcoded_image(k), ts(k), out).ok());
    uint64_t gop = 0;
    for (const Packet& p : out) gop = fed.store->on_packet(p);
    FrameArrival a;
    a.gop_id = gop;
    a.pts = ts(k);
    a.timestamp_ms = ts(k);
    a.wall_ms = kWall0 + ts(k);
    fed.store->on_frame(a);
  }
  ASSERT_FALSE(fed.store->decoded(29));

  auto second = renderer.render(*fed.store, recs, RenderOptions{});
  ASSERT_TRUE(second.ok());
  for (size_t i = 0; i < recs.size(); ++i) {
    ASSERT_TRUE((*first)[i].jpeg && (*second)[i].jpeg);
    EXPECT_EQ(*(*first)[i].jpeg, *(*second)[i].jpeg) << "frame " << recs[i].index;
  }
  // Other qualities are other renditions.
  RenderOptions low;
  low.jpeg_quality = 30;
  auto third = renderer.render(*fed.store, records(*fed.store, {5}), low);
  ASSERT_TRUE(third.ok());
  EXPECT_LT((*third)[0].jpeg->size(), (*first)[0].jpeg->size());
  EXPECT_EQ(shown((*third)[0]).index, 5);
}

TEST(FrameRenderer, MjpegPacketsArePassedThrough) {
  Fed fed = feed("mjpeg", 6, 1);
  ASSERT_EQ(fed.packets[0].at(0).config->codec, "mjpeg");
  auto recs = records(*fed.store, {2, 5});
  auto r = FrameRenderer().render(*fed.store, recs, RenderOptions{});
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (size_t i = 0; i < recs.size(); ++i) {
    const RenderedFrame& f = (*r)[i];
    EXPECT_EQ(*f.jpeg, *fed.packets[static_cast<size_t>(recs[i].index)][0].data);
    EXPECT_EQ(f.width, kWidth);
    EXPECT_EQ(f.height, kHeight);
    EXPECT_EQ(shown(f).index, recs[i].index);
  }
  // Scaled: decoded and re-encoded.
  RenderOptions opts;
  opts.max_pixels = 128 * 96;
  auto small = FrameRenderer().render(*fed.store, recs, opts);
  ASSERT_TRUE(small.ok()) << small.error().message;
  for (size_t i = 0; i < recs.size(); ++i) {
    Shown s = shown((*small)[i]);
    EXPECT_EQ(s.index, recs[i].index);
    EXPECT_EQ(s.width, 128);
  }
}

TEST(FrameRenderer, EvictedFrameIsNotFound) {
  Fed fed = feed("h264", 10, 1);
  std::vector<FrameRecord> gone{FrameRecord{500, 0, 0}};
  auto r = FrameRenderer().render(*fed.store, gone, RenderOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::frame_not_found);
  auto none = FrameRenderer().render(*fed.store, {}, RenderOptions{});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace sl
