#include "ingest/sdp_offer.hpp"

#include <gtest/gtest.h>

namespace sl {
namespace {

// Shaped like Chromium's offer: audio first, video with VP8 + RTX, AV1, H.264 in two modes.
std::string chrome_like_offer(const std::string& video_formats, const std::string& video_maps) {
  return "v=0\r\n"
         "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
         "s=-\r\n"
         "t=0 0\r\n"
         "a=group:BUNDLE 0 1\r\n"
         "a=msid-semantic: WMS\r\n"
         "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
         "c=IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:abcd\r\n"
         "a=ice-pwd:0123456789abcdefghijklmn\r\n"
         "a=fingerprint:sha-256 00:11:22\r\n"
         "a=setup:actpass\r\n"
         "a=mid:0\r\n"
         "a=sendonly\r\n"
         "a=rtpmap:111 opus/48000/2\r\n"
         "m=video 9 UDP/TLS/RTP/SAVPF " + video_formats + "\r\n"
         "c=IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:abcd\r\n"
         "a=ice-pwd:0123456789abcdefghijklmn\r\n"
         "a=fingerprint:sha-256 00:11:22\r\n"
         "a=setup:actpass\r\n"
         "a=mid:1\r\n"
         "a=sendonly\r\n"
         "a=rtcp-fb:* transport-cc\r\n" +
         video_maps +
         "a=ssrc-group:FID 1111 2222\r\n"
         "a=ssrc:1111 cname:x\r\n";
}

const char* kAllMaps =
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:45 AV1/90000\r\n"
    "a=rtcp-fb:45 nack pli\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n";

TEST(SdpOffer, TakesTheOfferersFirstSupportedCodecOnly) {
  auto r = check_offer(chrome_like_offer("96 97 45 102", kAllMaps), 65536);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->codec, VideoCodec::vp8);
  EXPECT_EQ(r->payload_type, 96);
  EXPECT_EQ(r->video_mline, 1);
  EXPECT_NE(r->sdp.find("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"), std::string::npos) << r->sdp;
  EXPECT_NE(r->sdp.find("a=rtcp-fb:96 nack pli"), std::string::npos);
  EXPECT_NE(r->sdp.find("a=rtcp-fb:* transport-cc"), std::string::npos);
  for (const char* gone : {"rtx/90000", "AV1", "H264", "apt=96", "ssrc-group:FID"})
    EXPECT_EQ(r->sdp.find(gone), std::string::npos) << gone;
  // Audio is left for webrtcbin to answer (and the source to drop).
  EXPECT_NE(r->sdp.find("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"), std::string::npos);
  EXPECT_NE(r->sdp.find("a=rtpmap:111 opus/48000/2"), std::string::npos);
}

TEST(SdpOffer, Av1FirstNegotiatesTheNextSupportedCodec) {
  auto r = check_offer(chrome_like_offer("45 102 96 97", kAllMaps), 65536);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->codec, VideoCodec::h264);
  EXPECT_EQ(r->payload_type, 102);
  EXPECT_NE(r->sdp.find("packetization-mode=1"), std::string::npos);
  EXPECT_EQ(r->sdp.find("AV1"), std::string::npos);

  auto vp8 = check_offer(chrome_like_offer("45 96", "a=rtpmap:45 AV1/90000\r\na=rtpmap:96 VP8/90000\r\n"), 65536);
  ASSERT_TRUE(vp8.ok());
  EXPECT_EQ(vp8->codec, VideoCodec::vp8);
}

TEST(SdpOffer, Av1OnlyIsRefusedNamingTheCodecs) {
  auto r = check_offer(
      chrome_like_offer("45 46", "a=rtpmap:45 AV1/90000\r\na=rtpmap:46 rtx/90000\r\n"), 65536);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::unsupported_media);
  EXPECT_NE(r.error().message.find("offered: AV1"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("VP8, VP9, H264"), std::string::npos);
}

TEST(SdpOffer, H264InterleavedModeIsNotTaken) {
  auto r = check_offer(chrome_like_offer("102", "a=rtpmap:102 H264/90000\r\n"
                                                "a=fmtp:102 packetization-mode=2\r\n"),
                       65536);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::unsupported_media);
}

TEST(SdpOffer, NoSendingVideoIsRefused) {
  std::string audio_only =
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=fingerprint:sha-256 00:11\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";
  auto r = check_offer(audio_only, 65536);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::unsupported_media);
  EXPECT_NE(r.error().message.find("no video"), std::string::npos);

  std::string recvonly = chrome_like_offer("96", "a=rtpmap:96 VP8/90000\r\n");
  recvonly.replace(recvonly.rfind("a=sendonly"), 10, "a=recvonly");
  auto r2 = check_offer(recvonly, 65536);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, ErrorCode::unsupported_media);
}

// webrtcbin under max-bundle offers the m-lines after the first with port 0 and
// a=bundle-only (RFC 8843): such a video line flows; port 0 alone is a rejected line.
TEST(SdpOffer, BundleOnlyVideoWithPortZeroIsTaken) {
  std::string offer = chrome_like_offer("96", "a=rtpmap:96 VP8/90000\r\n");
  const size_t video = offer.find("m=video 9 ");
  ASSERT_NE(video, std::string::npos);
  offer.replace(video, 10, "m=video 0 ");
  auto rejected = check_offer(offer, 65536);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::unsupported_media);

  offer.replace(offer.find("a=mid:1\r\n"), 9, "a=mid:1\r\na=bundle-only\r\n");
  auto r = check_offer(offer, 65536);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->codec, VideoCodec::vp8);
  EXPECT_EQ(r->video_mline, 1);
  EXPECT_NE(r->sdp.find("m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"), std::string::npos) << r->sdp;
  EXPECT_NE(r->sdp.find("a=bundle-only\r\n"), std::string::npos) << r->sdp;
}

TEST(SdpOffer, MalformedOffersAreInvalidRequests) {
  for (std::string bad : {std::string(""), std::string("hello"), std::string("v=0\r\ns=-\r\n"),
                          std::string("v=0\r\nm=video 9 RTP 96\r\nnot a line\r\n"),
                          std::string("v=0\r\nm=video x UDP/TLS/RTP/SAVPF 96\r\n"),
                          std::string("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF vp8\r\n"),
                          std::string("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"),
                          std::string("v=0\r\n\x01") + "m=video 9 UDP 96\r\n"}) {
    auto r = check_offer(bad, 65536);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << bad;
  }
}

TEST(SdpOffer, OversizedOfferIsPayloadTooLarge) {
  auto offer = chrome_like_offer("96", "a=rtpmap:96 VP8/90000\r\n");
  auto r = check_offer(offer, offer.size() - 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::payload_too_large);
  EXPECT_TRUE(check_offer(offer, offer.size()).ok());
}

TEST(SdpOffer, LfLineEndsAreAccepted) {
  std::string offer = chrome_like_offer("96", "a=rtpmap:96 VP8/90000\r\n");
  std::string lf;
  for (char c : offer)
    if (c != '\r') lf += c;
  auto r = check_offer(lf, 65536);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(r->sdp.find("\r\n"), std::string::npos);
}

TEST(SdpAnswer, PublicIpIsAdvertisedNextToHostCandidates) {
  std::string answer =
      "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
      "a=candidate:1 1 UDP 2015363327 10.0.0.5 40000 typ host\r\n"
      "a=candidate:2 1 TCP 1015021823 10.0.0.5 9 typ host tcptype active\r\n"
      "a=candidate:3 1 UDP 2015363327 fd00::5 40002 typ host\r\n"
      "a=candidate:4 1 UDP 1677721855 198.51.100.1 40000 typ srflx raddr 10.0.0.5 rport 40000\r\n";
  std::string out = advertise_public_ip(answer, "203.0.113.7");
  EXPECT_NE(out.find("a=candidate:19 1 UDP 2015363326 203.0.113.7 40000 typ host\r\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("a=candidate:29 1 TCP 1015021822 203.0.113.7 9 typ host tcptype active"),
            std::string::npos);
  EXPECT_EQ(out.find("a=candidate:39"), std::string::npos);  // IPv6 host: other family
  EXPECT_EQ(out.find("a=candidate:49"), std::string::npos);  // not a host candidate
  EXPECT_NE(out.find("a=candidate:1 1 UDP 2015363327 10.0.0.5 40000 typ host\r\n"), std::string::npos);
  EXPECT_EQ(advertise_public_ip(answer, ""), answer);
}

}  // namespace
}  // namespace sl
