#include <gtest/gtest.h>

#include "media/decoder.hpp"
#include "media/encoder.hpp"
#include "media/jpeg.hpp"
#include "test_images.hpp"

namespace sl {
namespace {

using testing::make_image;

struct Encoded {
  std::shared_ptr<const CodecConfig> config;
  std::vector<Packet> packets;
};

// 60 frames at 30 fps with one keyframe per second: two GOPs; frame n carries barcode n.
Encoded encode_two_gops() {
  EncoderOptions o;
  o.width = 320;
  o.height = 240;
  o.fps = 30;
  o.gop = 30;
  auto enc = Encoder::create(o);
  EXPECT_TRUE(enc.ok()) << enc.error().message;
  Encoded e;
  e.config = (*enc)->config();
  for (int n = 0; n < 60; ++n) {
    auto img = make_image(320, 240, PixelLayout::i420, false, n, static_cast<uint8_t>(60 + n));
    Status s = (*enc)->encode(img, n * 1000 / 30, e.packets);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  return e;
}

TEST(Encoder, OnePacketPerFrameKeyframeEachGop) {
  Encoded e = encode_two_gops();
  ASSERT_EQ(e.packets.size(), 60u);  // no B-frames, no delay
  EXPECT_EQ(e.config->codec, "h264");
  EXPECT_EQ(e.config->time_base_den, 1000);
  EXPECT_FALSE(e.config->extradata.empty());
  for (size_t i = 0; i < e.packets.size(); ++i) {
    EXPECT_EQ(e.packets[i].keyframe, i % 30 == 0) << i;
    EXPECT_EQ(e.packets[i].pts, static_cast<int64_t>(i) * 1000 / 30);
    EXPECT_EQ(e.packets[i].config, e.config);
  }
}

TEST(Decoder, RoundTripTwoGops) {
  Encoded e = encode_two_gops();
  auto frames = decode_packets(*e.config, e.packets);
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 60u);
  for (size_t i = 0; i < frames->size(); ++i) {
    const auto& f = (*frames)[i];
    EXPECT_EQ(f.pts, static_cast<int64_t>(i) * 1000 / 30);
    EXPECT_EQ(read_barcode(f.image), static_cast<int64_t>(i));
    EXPECT_EQ(f.image.layout, PixelLayout::i420);
    EXPECT_FALSE(f.image.full_range);
    EXPECT_EQ(f.image.width, 320);
  }
}

TEST(Decoder, SecondGopDecodesAloneWithoutExtradata) {
  Encoded e = encode_two_gops();
  std::vector<Packet> gop2(e.packets.begin() + 30, e.packets.end());
  ASSERT_TRUE(gop2.front().keyframe);
  CodecConfig bare = *e.config;
  bare.extradata.clear();  // in-band SPS/PPS must suffice
  auto frames = decode_packets(bare, gop2);
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 30u);
  for (size_t i = 0; i < 30; ++i) EXPECT_EQ(read_barcode((*frames)[i].image), 30 + (int64_t)i);
}

TEST(Decoder, StreamingDecoderFlushAndReuse) {
  Encoded e = encode_two_gops();
  auto dec = Decoder::create(*e.config);
  ASSERT_TRUE(dec.ok());
  std::vector<DecodedFrame> out;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE((*dec)->decode(e.packets[i], out).ok());
  ASSERT_TRUE((*dec)->flush(out).ok());
  ASSERT_EQ(out.size(), 30u);
  // After a flush the same decoder takes the next GOP.
  for (int i = 30; i < 60; ++i) ASSERT_TRUE((*dec)->decode(e.packets[i], out).ok());
  ASSERT_TRUE((*dec)->flush(out).ok());
  ASSERT_EQ(out.size(), 60u);
  EXPECT_EQ(read_barcode(out[59].image), 59);
  // Frames stay valid after the decoder is gone (they own their AVFrame).
  dec->reset();
  EXPECT_EQ(read_barcode(out[0].image), 0);
}

TEST(Encoder, ConvertsOtherLayoutsAndRanges) {
  EncoderOptions o;
  o.width = 160;
  o.height = 120;
  o.gop = 10;
  auto enc = Encoder::create(o);
  ASSERT_TRUE(enc.ok());
  std::vector<Packet> packets;
  // Full-range 4:4:4 at another size: converted and scaled on the way in.
  ASSERT_TRUE((*enc)->encode(make_image(320, 240, PixelLayout::i444, true, 321), 0, packets).ok());
  ASSERT_EQ(packets.size(), 1u);
  auto frames = decode_packets(*(*enc)->config(), packets);
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].image.width, 160);
  EXPECT_EQ(read_barcode((*frames)[0].image), 321);
}

TEST(Encoder, RejectsBadOptions) {
  EncoderOptions o;
  o.width = 321;
  EXPECT_FALSE(Encoder::create(o).ok());
  o.width = 320;
  o.fps = 0;
  EXPECT_FALSE(Encoder::create(o).ok());
}

TEST(Decoder, MjpegByNameGivesFullRange) {
  auto jpeg = encode_jpeg(make_image(320, 240, PixelLayout::i422, false, 555));
  ASSERT_TRUE(jpeg.ok());
  CodecConfig config;
  config.codec = "mjpeg";
  Packet p;
  p.data = std::make_shared<const Bytes>(*jpeg);
  p.keyframe = true;
  p.pts = 7;
  auto frames = decode_packets(config, {p});
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_TRUE((*frames)[0].image.full_range);
  EXPECT_EQ((*frames)[0].image.layout, PixelLayout::i422);
  EXPECT_EQ((*frames)[0].pts, 7);
  EXPECT_EQ(read_barcode((*frames)[0].image), 555);
}

TEST(Decoder, GarbageIsAnErrorNotACrash) {
  CodecConfig config;
  config.codec = "h264";
  Packet p;
  p.data = std::make_shared<const Bytes>(Bytes(1000, 0x5a));
  p.keyframe = true;
  auto frames = decode_packets(config, {p});
  if (frames.ok()) {
    EXPECT_TRUE(frames->empty());
  }
  CodecConfig unknown;
  unknown.codec = "no-such-codec";
  EXPECT_FALSE(Decoder::create(unknown).ok());
}

}  // namespace
}  // namespace sl
