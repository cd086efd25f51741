#include "refs/media_resolver.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "fakes/fake_stream_lookup.hpp"
#include "media/test_images.hpp"

namespace sl {
namespace {

constexpr int64_t kWall0 = 1'700'000'000'000;

// Five decoded frames at 0, 100, .. 400 ms: everything renders without a decoder.
std::shared_ptr<FrameStore> small_store() {
  auto store = std::make_shared<FrameStore>(StoreLimits{});
  for (int64_t k = 0; k < 5; ++k) {
    FrameArrival a;
    a.timestamp_ms = k * 100;
    a.wall_ms = kWall0 + k * 100;
    a.image = testing::make_image(64, 48, PixelLayout::i420, false, k);
    store->on_frame(a);
  }
  return store;
}

class MediaResolverTest : public ::testing::Test {
 protected:
  MediaResolverTest() : media_(lookup_, renderer_) { lookup_.add("key-a", "cam", small_store()); }
  OvsRef image(int64_t index) const {
    OvsRef r;
    r.stream_id = "cam";
    r.kind = RefKind::image;
    r.anchor = Anchor{AnchorKind::frame_index, index};
    return r;
  }
  testing::FakeStreamLookup lookup_;
  FrameRenderer renderer_{1};
  MediaResolver media_;
};

TEST_F(MediaResolverTest, ResolvesAndRendersAReference) {
  auto r = media_.resolve(image(-1), "key-a", kWall0 + 400, RenderOptions{}, "p");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->frames.size(), 1u);
  EXPECT_EQ(r->frames[0].index, 4);
  EXPECT_TRUE(r->frames[0].jpeg && !r->frames[0].jpeg->empty());
  EXPECT_EQ(r->stream_id, "cam");
  EXPECT_FALSE(r->video);
}

TEST_F(MediaResolverTest, AnotherKeysStreamIsNotFoundAndNamesTheReference) {
  auto r = media_.resolve(image(-1), "key-b", kWall0 + 400, RenderOptions{},
                          "messages[0].content[1].image_url.url");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::stream_not_found);
  EXPECT_EQ(r.error().param, "messages[0].content[1].image_url.url");
}

TEST_F(MediaResolverTest, FrameLimitAndDecodingNeeds) {
  OvsRef seg;
  seg.stream_id = "cam";
  seg.kind = RefKind::video;
  seg.anchor = Anchor{AnchorKind::frame_index, 0};
  seg.max_fps = 10;
  auto located = media_.locate(seg, "key-a", kWall0 + 400, "p");
  ASSERT_TRUE(located.ok()) << located.error().message;
  EXPECT_EQ(located->resolution.frames.size(), 5u);
  EXPECT_FALSE(media_.needs_decoding(*located, RenderOptions{}));  // all kept decoded
  auto capped = media_.locate(seg, "key-a", kWall0 + 400, "p", 3);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, ErrorCode::invalid_reference);
  EXPECT_EQ(capped.error().param, "p");
}

}  // namespace
}  // namespace sl
