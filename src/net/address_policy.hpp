// Which network addresses an outbound connection may go to: the connect filter of net's HTTP
// client (net/http_client.hpp), applied between name lookup and connect. A fetch of a user's
// http(s) media URL must not turn sightline into a proxy into the operator's own network (SSRF),
// so the strict policy refuses everything that is not a public unicast address: loopback, unspecified,
// private and unique-local, link-local, shared (CGNAT), multicast, broadcast and reserved
// ranges, the same addresses written as IPv6 (IPv4-mapped, -compatible, -translated, NAT64,
// 6to4), and cloud metadata services by address and by well-known host name. The operator lifts
// the private classes with `allow_private` or any range with `allow_cidrs`; metadata addresses
// are lifted only by an allow_cidrs entry, because allow_private is the everyday switch for
// "fetch from my LAN" and must not also hand out cloud credentials. Model backends are configured
// by the operator and may live anywhere (a vLLM on localhost is the common case), so they get
// the permissive policy, which refuses nothing. Refusal messages name the `fetch.*` settings,
// the only place an operator sets these rules. A policy is immutable: share it freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/status.hpp"

namespace sl::net {

// The operator's exceptions to the strict policy (settings fetch.allow_private/allow_cidrs).
struct AddressRules {
  bool allow_private = false;            // loopback, private, unique-local, link-local, CGNAT
  std::vector<std::string> allow_cidrs;  // "10.1.0.0/16", "fd00::/8", "192.0.2.7": always allowed
};

enum class AddressClass {
  global,           // public unicast: allowed
  unspecified,      // 0.0.0.0/8, :: (connecting to 0.0.0.0 reaches this host on Linux)
  loopback,         // 127/8, ::1
  private_network,  // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48
  link_local,       // 169.254/16, fe80::/10
  shared,           // 100.64/10 (carrier-grade NAT)
  multicast,        // 224/4, ff00::/8
  broadcast,        // 255.255.255.255
  reserved,         // 240/4, documentation, benchmarking, IETF, Teredo, unassigned IPv6
  metadata,         // cloud instance metadata services (169.254.169.254, fd00:ec2::254, ...)
};

// "loopback", "private", "link-local", ... as used in refusal messages.
std::string_view to_string(AddressClass c);

// The class of an address. An IPv4 address embedded in IPv6 (mapped, compatible, translated,
// NAT64, 6to4) has the class of the IPv4 address (a global one embedded in a form that is not
// routed is `reserved`).
AddressClass classify_address(const boost::asio::ip::address& address);

// An address range: "10.0.0.0/8", "fd00::/8", or one address ("192.0.2.7" = /32).
struct Cidr {
  boost::asio::ip::address network;  // host bits cleared
  int prefix_length = 0;
  // An IPv4 range also contains the IPv4-mapped IPv6 form of its addresses.
  bool contains(const boost::asio::ip::address& address) const;
};
Result<Cidr> parse_cidr(std::string_view text);

// The connect filter: the strict policy with the operator's rules parsed once, or permissive.
class AddressPolicy {
 public:
  // Strict. invalid_request naming the entry when an allow_cidrs entry does not parse.
  static Result<AddressPolicy> create(const AddressRules& rules);
  // Refuses nothing (operator-configured upstreams).
  static AddressPolicy permissive();

  bool is_permissive() const { return permissive_; }

  // OK, or invalid_request such as
  // "refused: address 127.0.0.1 is loopback; set fetch.allow_private to allow".
  Status check(const boost::asio::ip::address& address) const;

  // Refuses the well-known host names of cloud metadata services before any lookup (their
  // addresses are refused too; the name check keeps the refusal independent of DNS). Case and a
  // trailing dot are ignored.
  Status check_host_name(std::string_view host) const;

 private:
  AddressPolicy() = default;  // only through create() or permissive(): no accidental default

  bool permissive_ = false;
  bool allow_private_ = false;
  std::vector<Cidr> allow_;
};

}  // namespace sl::net
