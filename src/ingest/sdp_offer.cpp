#include "ingest/sdp_offer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace sl {
namespace {

Error malformed(const std::string& why) {
  return make_error(ErrorCode::invalid_request, "The SDP offer is malformed: " + why + ".");
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "a=rtpmap:96 VP8/90000" -> 96 for lines that start with `prefix` ("a=rtpmap:").
std::optional<int> payload_of(std::string_view line, std::string_view prefix) {
  if (!starts_with(line, prefix)) return std::nullopt;
  std::string_view rest = line.substr(prefix.size());
  return to_int(rest.substr(0, rest.find(' ')));
}

struct Format {
  int pt = 0;
  std::string name;   // lower-case encoding name ("vp8", "h264", "av1", "rtx", ...)
  std::string fmtp;
};

struct MediaSection {
  std::string kind;                 // "video", "audio", "application", ...
  int port = 0;
  std::string proto;
  std::vector<int> payloads;
  std::vector<std::string> lines;   // after the m= line
  std::string direction;            // "" when the section has none
  bool bundle_only = false;         // a=bundle-only: port 0 without being rejected (RFC 8843)
};

std::optional<VideoCodec> supported(const Format& f) {
  if (f.name == "vp8") return VideoCodec::vp8;
  if (f.name == "vp9") return VideoCodec::vp9;
  if (f.name == "h264") {
    // Interleaved mode (2) has no depayloader in GStreamer.
    std::string fmtp = lower(f.fmtp);
    if (fmtp.find("packetization-mode=2") != std::string::npos) return std::nullopt;
    return VideoCodec::h264;
  }
  return std::nullopt;
}

std::vector<Format> formats_of(const MediaSection& m) {
  std::vector<Format> out;
  for (int pt : m.payloads) {
    Format f;
    f.pt = pt;
    for (const std::string& line : m.lines) {
      if (payload_of(line, "a=rtpmap:") == pt) {
        std::string_view rest = std::string_view(line).substr(line.find(' ') + 1);
        f.name = lower(rest.substr(0, rest.find('/')));
      } else if (payload_of(line, "a=fmtp:") == pt) {
        f.fmtp = line.substr(line.find(' ') + 1);
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool sends(const MediaSection& m, const std::string& session_direction) {
  const std::string& d = m.direction.empty() ? session_direction : m.direction;
  // A bundle-only section has port 0 and still flows (in the BUNDLE group's transport):
  // webrtcbin offers every m-line after the first so under max-bundle.
  return (m.port != 0 || m.bundle_only) && (d.empty() || d == "sendrecv" || d == "sendonly");
}

bool is_direction(std::string_view line) {
  return line == "a=sendrecv" || line == "a=sendonly" || line == "a=recvonly" ||
         line == "a=inactive";
}

// The chosen section with one payload type left: its rtpmap/fmtp/rtcp-fb lines stay, those of
// every other payload type (RTX, RED, FEC, other codecs) go, and so does the RTX ssrc group.
void keep_only(MediaSection& m, int pt) {
  m.payloads = {pt};
  std::vector<std::string> kept;
  for (std::string& line : m.lines) {
    std::optional<int> of;
    for (std::string_view prefix : {"a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"})
      if (!of) of = payload_of(line, prefix);
    if (of && *of != pt) continue;
    if (starts_with(line, "a=ssrc-group:FID")) continue;
    kept.push_back(std::move(line));
  }
  m.lines = std::move(kept);
}

std::string offered_names(const std::vector<Format>& formats) {
  std::string out;
  for (const Format& f : formats) {
    if (f.name.empty() || f.name == "rtx" || f.name == "red" || f.name == "ulpfec" ||
        f.name == "flexfec-03")
      continue;
    std::string upper = f.name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (out.find(upper) != std::string::npos) continue;
    if (!out.empty()) out += ", ";
    out += upper;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string_view encoding_name(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::vp8: return "VP8";
    case VideoCodec::vp9: return "VP9";
    case VideoCodec::h264: return "H264";
  }
  return "VP8";
}

Result<CheckedOffer> check_offer(std::string_view sdp, size_t max_bytes) {
  if (sdp.size() > max_bytes)
    return make_error(ErrorCode::payload_too_large,
                      "The SDP offer is " + std::to_string(sdp.size()) +
                          " bytes, over the limit of " + std::to_string(max_bytes) +
                          " (webrtc.max_offer_bytes).");
  for (unsigned char c : sdp)
    if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
      return malformed("it contains control characters");

  std::vector<std::string> session;
  std::vector<MediaSection> media;
  bool ice = false;
  bool fingerprint = false;
  std::string session_direction;
  for (std::string_view raw : split(sdp, '\n')) {
    std::string_view line = raw;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=') return malformed("a line is not of the form x=...");
    if (session.empty() && media.empty() && line != "v=0")
      return malformed("it does not start with v=0");
    if (starts_with(line, "a=ice-ufrag:")) ice = true;
    if (starts_with(line, "a=fingerprint:")) fingerprint = true;
    if (starts_with(line, "m=")) {
      auto words = split(line.substr(2), ' ');
      if (words.size() < 4) return malformed("an m= line has no formats");
      MediaSection m;
      m.kind = lower(words[0]);
      auto port = to_int(words[1].substr(0, words[1].find('/')));
      if (!port || *port < 0 || *port > 65535) return malformed("an m= line has a bad port");
      m.port = *port;
      m.proto = std::string(words[2]);
      for (size_t i = 3; i < words.size(); ++i) {
        auto pt = to_int(words[i]);
        // Non-RTP sections (data channels) list tokens, not payload types: kept verbatim.
        if (!pt && m.kind != "application") return malformed("an m= line has a bad format");
        if (pt) m.payloads.push_back(*pt);
      }
      if (m.kind == "application")
        for (size_t i = 3; i < words.size(); ++i) m.lines.push_back("#fmt " + std::string(words[i]));
      media.push_back(std::move(m));
      continue;
    }
    if (media.empty()) {
      if (is_direction(line)) session_direction = std::string(line.substr(2));
      session.emplace_back(line);
    } else {
      if (is_direction(line)) media.back().direction = std::string(line.substr(2));
      if (line == "a=bundle-only") media.back().bundle_only = true;
      media.back().lines.emplace_back(line);
    }
  }
  if (session.empty()) return malformed("it is empty");
  if (media.empty()) return malformed("it has no m= line");
  if (!ice) return malformed("it has no ICE credentials (a=ice-ufrag)");
  if (!fingerprint) return malformed("it has no DTLS fingerprint (a=fingerprint)");

  CheckedOffer out;
  std::optional<size_t> chosen;
  std::string refused;
  for (size_t i = 0; i < media.size() && !chosen; ++i) {
    MediaSection& m = media[i];
    if (m.kind != "video" || !sends(m, session_direction)) continue;
    const std::vector<Format> formats = formats_of(m);
    for (const Format& f : formats) {
      if (auto codec = supported(f)) {
        chosen = i;
        out.codec = *codec;
        out.payload_type = f.pt;
        out.video_mline = static_cast<int>(i);
        keep_only(m, f.pt);
        break;
      }
    }
    if (!chosen && refused.empty()) refused = offered_names(formats);
  }
  if (!chosen) {
    if (!refused.empty())
      return make_error(ErrorCode::unsupported_media,
                        "The offer's video uses only codecs this server cannot receive (offered: " +
                            refused + "; supported: VP8, VP9, H264).");
    return make_error(ErrorCode::unsupported_media,
                      "The offer has no video track that sends (an m=video line with sendonly "
                      "or sendrecv); sightline ingests video.");
  }

  std::string text;
  text.reserve(sdp.size());
  for (const std::string& line : session) text += line + "\r\n";
  for (const MediaSection& m : media) {
    std::string mline = "m=" + m.kind + " " + std::to_string(m.port) + " " + m.proto;
    for (int pt : m.payloads) mline += " " + std::to_string(pt);
    for (const std::string& line : m.lines)
      if (starts_with(line, "#fmt ")) mline += " " + line.substr(5);
    text += mline + "\r\n";
    for (const std::string& line : m.lines)
      if (!starts_with(line, "#fmt ")) text += line + "\r\n";
  }
  out.sdp = std::move(text);
  return out;
}

std::string advertise_public_ip(std::string_view answer_sdp, const std::string& public_ip) {
  if (public_ip.empty()) return std::string(answer_sdp);
  const bool v6 = public_ip.find(':') != std::string::npos;
  std::string out;
  out.reserve(answer_sdp.size() * 2);
  for (std::string_view raw : split(answer_sdp, '\n')) {
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.append(line);
    out += "\r\n";
    if (!starts_with(line, "a=candidate:")) continue;
    auto words = split(line.substr(12), ' ');
    // foundation component transport priority address port "typ" type ...
    if (words.size() < 8 || words[6] != "typ" || words[7] != "host") continue;
    if ((words[4].find(':') != std::string_view::npos) != v6 || words[4] == public_ip) continue;
    auto priority = to_int(words[3]);
    std::string copy = "a=candidate:" + std::string(words[0]) + "9";
    for (size_t i = 1; i < words.size(); ++i) {
      copy += " ";
      if (i == 3 && priority && *priority > 0) copy += std::to_string(*priority - 1);
      else if (i == 4) copy += public_ip;
      else copy += std::string(words[i]);
    }
    out += copy + "\r\n";
  }
  return out;
}

}  // namespace sl
