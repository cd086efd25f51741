#include "net/address_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace sl::net {

namespace ip = boost::asio::ip;

namespace {

struct V4Range {
  uint32_t network;
  int prefix;
  AddressClass cls;
};

constexpr uint32_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

constexpr uint32_t v4_mask(int prefix) {
  return prefix == 0 ? 0u : ~uint32_t{0} << (32 - prefix);
}

// First match wins, so single metadata addresses come before the ranges that hold them.
constexpr std::array kV4Ranges = {
    V4Range{v4(169, 254, 169, 254), 32, AddressClass::metadata},  // AWS, GCP, Azure, ...
    V4Range{v4(169, 254, 170, 2), 32, AddressClass::metadata},    // AWS ECS task metadata
    V4Range{v4(100, 100, 100, 200), 32, AddressClass::metadata},  // Alibaba Cloud
    V4Range{v4(192, 0, 0, 192), 32, AddressClass::metadata},      // Oracle Cloud
    V4Range{v4(255, 255, 255, 255), 32, AddressClass::broadcast},
    V4Range{v4(0, 0, 0, 0), 8, AddressClass::unspecified},
    V4Range{v4(10, 0, 0, 0), 8, AddressClass::private_network},
    V4Range{v4(100, 64, 0, 0), 10, AddressClass::shared},
    V4Range{v4(127, 0, 0, 0), 8, AddressClass::loopback},
    V4Range{v4(169, 254, 0, 0), 16, AddressClass::link_local},
    V4Range{v4(172, 16, 0, 0), 12, AddressClass::private_network},
    V4Range{v4(192, 0, 0, 0), 24, AddressClass::reserved},     // IETF protocol assignments
    V4Range{v4(192, 0, 2, 0), 24, AddressClass::reserved},     // documentation
    V4Range{v4(192, 88, 99, 0), 24, AddressClass::reserved},   // 6to4 relay anycast
    V4Range{v4(192, 168, 0, 0), 16, AddressClass::private_network},
    V4Range{v4(198, 18, 0, 0), 15, AddressClass::reserved},    // benchmarking
    V4Range{v4(198, 51, 100, 0), 24, AddressClass::reserved},  // documentation
    V4Range{v4(203, 0, 113, 0), 24, AddressClass::reserved},   // documentation
    V4Range{v4(224, 0, 0, 0), 4, AddressClass::multicast},
    V4Range{v4(240, 0, 0, 0), 4, AddressClass::reserved},
};

AddressClass classify_v4(uint32_t a) {
  for (const V4Range& r : kV4Ranges) {
    if ((a & v4_mask(r.prefix)) == r.network) return r.cls;
  }
  return AddressClass::global;
}

using V6Bytes = ip::address_v6::bytes_type;

bool has_prefix(const V6Bytes& b, std::initializer_list<uint8_t> prefix, int bits) {
  int i = 0;
  for (uint8_t p : prefix) {
    const int take = std::min(8, bits - 8 * i);
    if (take <= 0) break;
    const auto mask = static_cast<uint8_t>(0xFF << (8 - take));
    if ((b[static_cast<size_t>(i)] & mask) != (p & mask)) return false;
    ++i;
  }
  return true;
}

uint32_t v4_at(const V6Bytes& b, size_t offset) {
  return (uint32_t{b[offset]} << 24) | (uint32_t{b[offset + 1]} << 16) |
         (uint32_t{b[offset + 2]} << 8) | b[offset + 3];
}

bool all_zero(const V6Bytes& b, size_t from, size_t to) {
  return std::all_of(b.begin() + static_cast<ptrdiff_t>(from), b.begin() + static_cast<ptrdiff_t>(to),
                     [](uint8_t x) { return x == 0; });
}

// An IPv4 address carried in a form that the network does not route as such: what matters is
// whether the IPv4 part is special; a public one is still not a place to fetch from.
AddressClass embedded_unrouted(uint32_t a) {
  const AddressClass c = classify_v4(a);
  return c == AddressClass::global ? AddressClass::reserved : c;
}

// fd00:ec2::254, the AWS instance metadata service over IPv6.
constexpr V6Bytes kAwsMetadataV6 = {0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};

AddressClass classify_v6(const ip::address_v6& address) {
  const V6Bytes b = address.to_bytes();
  if (address.is_unspecified()) return AddressClass::unspecified;
  if (address.is_loopback()) return AddressClass::loopback;
  if (b == kAwsMetadataV6) return AddressClass::metadata;
  // ::ffff:a.b.c.d (mapped): the kernel connects to the IPv4 address itself.
  if (address.is_v4_mapped()) return classify_v4(v4_at(b, 12));
  // ::a.b.c.d (compatible, deprecated) and ::ffff:0:a.b.c.d (SIIT translated).
  if (all_zero(b, 0, 12)) return embedded_unrouted(v4_at(b, 12));
  if (all_zero(b, 0, 8) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0) {
    return embedded_unrouted(v4_at(b, 12));
  }
  // 64:ff9b::/96 (NAT64, well-known prefix): a gateway forwards to the IPv4 address.
  if (has_prefix(b, {0x00, 0x64, 0xFF, 0x9B}, 32) && all_zero(b, 4, 12)) {
    return classify_v4(v4_at(b, 12));
  }
  // 64:ff9b:1::/48: NAT64 prefixes for local use.
  if (has_prefix(b, {0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01}, 48)) return AddressClass::private_network;
  // 2002::/16 (6to4): a relay forwards to the IPv4 address in bits 16..47.
  if (has_prefix(b, {0x20, 0x02}, 16)) return classify_v4(v4_at(b, 2));
  if (has_prefix(b, {0x20, 0x01, 0x00, 0x00}, 32)) return AddressClass::reserved;  // Teredo
  if (has_prefix(b, {0x20, 0x01, 0x0D, 0xB8}, 32)) return AddressClass::reserved;  // documentation
  if (has_prefix(b, {0xFC}, 7)) return AddressClass::private_network;               // unique local
  if (has_prefix(b, {0xFE, 0x80}, 10)) return AddressClass::link_local;
  if (has_prefix(b, {0xFE, 0xC0}, 10)) return AddressClass::private_network;  // site-local
  if (has_prefix(b, {0xFF}, 8)) return AddressClass::multicast;
  // Everything outside 2000::/3 (global unicast) is unassigned or special-purpose.
  if (!has_prefix(b, {0x20}, 3)) return AddressClass::reserved;
  return AddressClass::global;
}

bool lifted_by_allow_private(AddressClass c) {
  switch (c) {
    case AddressClass::loopback:
    case AddressClass::private_network:
    case AddressClass::link_local:
    case AddressClass::shared:
      return true;
    default:
      return false;
  }
}

std::string lower_host(std::string_view host) {
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

constexpr std::array<std::string_view, 6> kMetadataHosts = {
    "metadata.google.internal", "metadata.goog",         "metadata",
    "instance-data",            "instance-data.ec2.internal", "metadata.tencentyun.com",
};

}  // namespace

std::string_view to_string(AddressClass c) {
  switch (c) {
    case AddressClass::global: return "public";
    case AddressClass::unspecified: return "unspecified";
    case AddressClass::loopback: return "loopback";
    case AddressClass::private_network: return "private";
    case AddressClass::link_local: return "link-local";
    case AddressClass::shared: return "shared address space (CGNAT)";
    case AddressClass::multicast: return "multicast";
    case AddressClass::broadcast: return "broadcast";
    case AddressClass::reserved: return "reserved";
    case AddressClass::metadata: return "a cloud metadata service";
  }
  return "reserved";
}

AddressClass classify_address(const ip::address& address) {
  if (address.is_v4()) return classify_v4(address.to_v4().to_uint());
  return classify_v6(address.to_v6());
}

bool Cidr::contains(const ip::address& address) const {
  if (network.is_v4()) {
    uint32_t a = 0;
    if (address.is_v4()) {
      a = address.to_v4().to_uint();
    } else if (address.to_v6().is_v4_mapped()) {
      a = ip::make_address_v4(ip::v4_mapped, address.to_v6()).to_uint();
    } else {
      return false;
    }
    return (a & v4_mask(prefix_length)) == network.to_v4().to_uint();
  }
  if (!address.is_v6()) return false;
  const V6Bytes want = network.to_v6().to_bytes();
  const V6Bytes have = address.to_v6().to_bytes();
  for (int i = 0; i < 16; ++i) {
    const int take = std::min(8, prefix_length - 8 * i);
    if (take <= 0) break;
    const auto mask = static_cast<uint8_t>(0xFF << (8 - take));
    if ((have[static_cast<size_t>(i)] & mask) != want[static_cast<size_t>(i)]) return false;
  }
  return true;
}

Result<Cidr> parse_cidr(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::invalid_request,
                      "invalid CIDR '" + std::string(text) + "': " + std::string(why));
  };
  const size_t slash = text.find('/');
  const std::string addr_text(text.substr(0, slash));
  boost::system::error_code ec;
  const ip::address address = ip::make_address(addr_text, ec);
  if (ec) return bad("not an IP address");
  const int max_prefix = address.is_v4() ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    auto [end, perr] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || perr != std::errc() || end != p.data() + p.size() || prefix < 0 ||
        prefix > max_prefix) {
      return bad("prefix length must be 0.." + std::to_string(max_prefix));
    }
  }
  Cidr cidr;
  cidr.prefix_length = prefix;
  // Host bits are cleared, so "10.1.2.3/8" means 10.0.0.0/8 as routers read it.
  if (address.is_v4()) {
    cidr.network = ip::address_v4(address.to_v4().to_uint() & v4_mask(prefix));
  } else {
    V6Bytes b = address.to_v6().to_bytes();
    for (int i = 0; i < 16; ++i) {
      const int keep = std::clamp(prefix - 8 * i, 0, 8);
      b[static_cast<size_t>(i)] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
    }
    cidr.network = ip::address_v6(b);
  }
  return cidr;
}

Result<AddressPolicy> AddressPolicy::create(const AddressRules& rules) {
  AddressPolicy out;
  out.allow_private_ = rules.allow_private;
  for (const std::string& entry : rules.allow_cidrs) {
    auto cidr = parse_cidr(entry);
    if (!cidr.ok()) {
      return make_error(ErrorCode::invalid_request,
                        "fetch.allow_cidrs: " + cidr.error().message);
    }
    out.allow_.push_back(*cidr);
  }
  return out;
}

AddressPolicy AddressPolicy::permissive() {
  AddressPolicy out;
  out.permissive_ = true;
  return out;
}

Status AddressPolicy::check(const ip::address& address) const {
  if (permissive_) return Status();
  const AddressClass c = classify_address(address);
  if (c == AddressClass::global) return Status();
  for (const Cidr& cidr : allow_) {
    if (cidr.contains(address)) return Status();
  }
  if (allow_private_ && lifted_by_allow_private(c)) return Status();
  const std::string remedy = lifted_by_allow_private(c)
                                 ? "set fetch.allow_private to allow"
                                 : "add it to fetch.allow_cidrs to allow";
  return make_error(ErrorCode::invalid_request, "refused: address " + address.to_string() +
                                                    " is " + std::string(to_string(c)) + "; " +
                                                    remedy);
}

Status AddressPolicy::check_host_name(std::string_view host) const {
  if (permissive_) return Status();
  const std::string name = lower_host(host);
  if (std::find(kMetadataHosts.begin(), kMetadataHosts.end(), name) != kMetadataHosts.end()) {
    return make_error(ErrorCode::invalid_request,
                      "refused: host " + name + " is a cloud metadata service");
  }
  return Status();
}

}  // namespace sl::net
