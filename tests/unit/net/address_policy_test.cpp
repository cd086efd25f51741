// The SSRF address table: every refused range (with its edges), IPv4 hidden in IPv6, and what
// allow_private and allow_cidrs lift.
#include "net/address_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sl::net {
namespace {

namespace ip = boost::asio::ip;

ip::address addr(const char* text) { return ip::make_address(text); }

struct Case {
  const char* address;
  AddressClass cls;
};

class AddressTable : public ::testing::TestWithParam<Case> {};

TEST_P(AddressTable, Classifies) {
  EXPECT_EQ(classify_address(addr(GetParam().address)), GetParam().cls)
      << GetParam().address << " is " << to_string(classify_address(addr(GetParam().address)));
}

INSTANTIATE_TEST_SUITE_P(
    V4, AddressTable,
    ::testing::Values(
        Case{"8.8.8.8", AddressClass::global}, Case{"1.1.1.1", AddressClass::global},
        Case{"0.0.0.0", AddressClass::unspecified}, Case{"0.1.2.3", AddressClass::unspecified},
        Case{"127.0.0.1", AddressClass::loopback}, Case{"127.255.255.254", AddressClass::loopback},
        Case{"9.255.255.255", AddressClass::global},
        Case{"10.0.0.0", AddressClass::private_network},
        Case{"10.255.255.255", AddressClass::private_network},
        Case{"11.0.0.0", AddressClass::global},
        Case{"172.15.255.255", AddressClass::global},
        Case{"172.16.0.0", AddressClass::private_network},
        Case{"172.31.255.255", AddressClass::private_network},
        Case{"172.32.0.0", AddressClass::global},
        Case{"192.168.0.1", AddressClass::private_network},
        Case{"192.169.0.1", AddressClass::global},
        Case{"169.254.0.1", AddressClass::link_local},
        Case{"169.254.169.254", AddressClass::metadata},
        Case{"169.254.170.2", AddressClass::metadata},
        Case{"100.63.255.255", AddressClass::global}, Case{"100.64.0.0", AddressClass::shared},
        Case{"100.127.255.255", AddressClass::shared}, Case{"100.128.0.0", AddressClass::global},
        Case{"100.100.100.200", AddressClass::metadata},
        Case{"192.0.0.192", AddressClass::metadata}, Case{"192.0.0.8", AddressClass::reserved},
        Case{"192.0.2.1", AddressClass::reserved}, Case{"198.18.0.1", AddressClass::reserved},
        Case{"198.51.100.1", AddressClass::reserved}, Case{"203.0.113.1", AddressClass::reserved},
        Case{"223.255.255.255", AddressClass::global},
        Case{"224.0.0.1", AddressClass::multicast},
        Case{"239.255.255.255", AddressClass::multicast},
        Case{"240.0.0.1", AddressClass::reserved},
        Case{"255.255.255.254", AddressClass::reserved},
        Case{"255.255.255.255", AddressClass::broadcast}));

INSTANTIATE_TEST_SUITE_P(
    V6, AddressTable,
    ::testing::Values(
        Case{"2606:4700:4700::1111", AddressClass::global},
        Case{"2a00:1450:4001::200e", AddressClass::global}, Case{"::", AddressClass::unspecified},
        Case{"::1", AddressClass::loopback}, Case{"fc00::1", AddressClass::private_network},
        Case{"fdff:ffff::1", AddressClass::private_network},
        Case{"fe80::1", AddressClass::link_local}, Case{"febf::1", AddressClass::link_local},
        Case{"fec0::1", AddressClass::private_network}, Case{"ff02::1", AddressClass::multicast},
        Case{"fd00:ec2::254", AddressClass::metadata},
        Case{"2001:db8::1", AddressClass::reserved}, Case{"2001:0:4136:e378::1", AddressClass::reserved},
        Case{"100::1", AddressClass::reserved}, Case{"4000::1", AddressClass::reserved},
        // IPv4-mapped: the kernel connects to the IPv4 address itself.
        Case{"::ffff:127.0.0.1", AddressClass::loopback},
        Case{"::ffff:7f00:1", AddressClass::loopback},
        Case{"::ffff:10.1.2.3", AddressClass::private_network},
        Case{"::ffff:169.254.169.254", AddressClass::metadata},
        Case{"::ffff:0.0.0.0", AddressClass::unspecified},
        Case{"::ffff:8.8.8.8", AddressClass::global},
        // IPv4-compatible and -translated: never routed, whatever the IPv4 part.
        Case{"::127.0.0.1", AddressClass::loopback}, Case{"::10.0.0.1", AddressClass::private_network},
        Case{"::8.8.8.8", AddressClass::reserved},
        Case{"::ffff:0:127.0.0.1", AddressClass::loopback},
        // NAT64 and 6to4 carry the IPv4 address to a gateway.
        Case{"64:ff9b::127.0.0.1", AddressClass::loopback},
        Case{"64:ff9b::a9fe:a9fe", AddressClass::metadata},
        Case{"64:ff9b::8.8.8.8", AddressClass::global},
        Case{"64:ff9b:1::1", AddressClass::private_network},
        Case{"2002:7f00:1::1", AddressClass::loopback},
        Case{"2002:c0a8:101::1", AddressClass::private_network},
        Case{"2002:808:808::1", AddressClass::global}));

Status check(const AddressRules& policy, const char* address) {
  auto p = AddressPolicy::create(policy);
  if (!p.ok()) return p.error();
  return p->check(addr(address));
}

TEST(AddressPolicy, DefaultRefusesWithAReasonAndARemedy) {
  const AddressRules defaults;
  EXPECT_TRUE(check(defaults, "8.8.8.8").ok());
  EXPECT_TRUE(check(defaults, "2606:4700:4700::1111").ok());
  Status s = check(defaults, "127.0.0.1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
  EXPECT_EQ(s.error().message,
            "refused: address 127.0.0.1 is loopback; set fetch.allow_private to allow");
  s = check(defaults, "169.254.169.254");
  EXPECT_EQ(s.error().message,
            "refused: address 169.254.169.254 is a cloud metadata service; add it to "
            "fetch.allow_cidrs to allow");
  for (const char* a : {"0.0.0.0", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.1.1",
                        "100.64.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::", "::1",
                        "fd00::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:192.168.0.1",
                        "64:ff9b::10.0.0.1", "2002:a00:1::1"}) {
    EXPECT_FALSE(check(defaults, a).ok()) << a;
  }
}

TEST(AddressPolicy, AllowPrivateLiftsTheLocalNetworksOnly) {
  AddressRules policy;
  policy.allow_private = true;
  for (const char* a : {"127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.1.1",
                        "100.64.0.1", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1"}) {
    EXPECT_TRUE(check(policy, a).ok()) << a;
  }
  // Metadata services and addresses no TCP peer should have stay refused.
  for (const char* a : {"169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254",
                        "100.100.100.200", "0.0.0.0", "::", "224.0.0.1", "255.255.255.255",
                        "240.0.0.1", "ff02::1"}) {
    EXPECT_FALSE(check(policy, a).ok()) << a;
  }
}

TEST(AddressPolicy, AllowCidrsLiftExactlyTheirRanges) {
  AddressRules policy;
  policy.allow_cidrs = {"10.1.0.0/16", "fd12:3456::/32", "169.254.169.254", "127.0.0.1/32"};
  EXPECT_TRUE(check(policy, "10.1.2.3").ok());
  EXPECT_TRUE(check(policy, "::ffff:10.1.2.3").ok());
  EXPECT_FALSE(check(policy, "10.2.0.1").ok());
  EXPECT_TRUE(check(policy, "fd12:3456::1").ok());
  EXPECT_FALSE(check(policy, "fd12:3457::1").ok());
  EXPECT_TRUE(check(policy, "169.254.169.254").ok());
  EXPECT_FALSE(check(policy, "169.254.169.253").ok());
  EXPECT_TRUE(check(policy, "127.0.0.1").ok());
  EXPECT_FALSE(check(policy, "127.0.0.2").ok());
  EXPECT_FALSE(check(policy, "::1").ok());
}

TEST(AddressPolicy, BadCidrsAreRefusedUpFront) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "nonsense", "10.0.0.0/", "/8", "10.0.0.0/-1",
                          "10.0.0.0/8x", "10.0.0/8"}) {
    AddressRules policy;
    policy.allow_cidrs = {bad};
    auto p = AddressPolicy::create(policy);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().code, ErrorCode::invalid_request);
    EXPECT_NE(p.error().message.find("fetch.allow_cidrs"), std::string::npos);
    EXPECT_NE(p.error().message.find(bad), std::string::npos) << p.error().message;
  }
}

TEST(Cidr, ParsesAndClearsHostBits) {
  auto c = parse_cidr("10.1.2.3/8");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->network.to_string(), "10.0.0.0");
  EXPECT_EQ(c->prefix_length, 8);
  EXPECT_TRUE(c->contains(addr("10.200.0.1")));
  EXPECT_FALSE(c->contains(addr("11.0.0.1")));
  EXPECT_FALSE(c->contains(addr("::a00:1")));  // IPv4-compatible is not the IPv4 address

  auto v6 = parse_cidr("2001:db8:ffff::1/33");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->network.to_string(), "2001:db8:8000::");
  EXPECT_TRUE(v6->contains(addr("2001:db8:8000::5")));
  EXPECT_FALSE(v6->contains(addr("2001:db8:7fff::5")));
  EXPECT_FALSE(v6->contains(addr("10.0.0.1")));

  auto all = parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->contains(addr("127.0.0.1")));
  auto one = parse_cidr("::1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->prefix_length, 128);
}

TEST(AddressPolicy, MetadataHostNamesAreRefusedByName) {
  auto p = AddressPolicy::create(AddressRules{});
  ASSERT_TRUE(p.ok());
  for (const char* name : {"metadata.google.internal", "METADATA.Google.Internal.", "metadata",
                           "metadata.goog", "instance-data"}) {
    Status s = p->check_host_name(name);
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
    EXPECT_NE(s.error().message.find("metadata"), std::string::npos);
  }
  EXPECT_TRUE(p->check_host_name("example.com").ok());
  EXPECT_TRUE(p->check_host_name("metadata.example.com").ok());
}

TEST(AddressPolicy, PermissiveRefusesNothing) {
  const AddressPolicy p = AddressPolicy::permissive();
  EXPECT_TRUE(p.is_permissive());
  for (const char* a : {"127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fd00:ec2::254"}) {
    EXPECT_TRUE(p.check(addr(a)).ok()) << a;
  }
  EXPECT_TRUE(p.check_host_name("metadata.google.internal").ok());
}

}  // namespace
}  // namespace sl::net
