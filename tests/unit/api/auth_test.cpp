#include "api/auth.hpp"

#include <gtest/gtest.h>

namespace sl::api {
namespace {

TEST(KeyRing, GoodKeyGivesItsOwner) {
  KeyRing ring({"sk-one", "sk-two"});
  auto a = ring.authenticate("Bearer sk-one");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, KeyRing::owner_id("sk-one"));
  auto b = ring.authenticate("bearer   sk-two ");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, KeyRing::owner_id("sk-two"));
  EXPECT_NE(*a, *b);
}

TEST(KeyRing, MissingOrWrongKeyIsUnauthorized) {
  KeyRing ring({"sk-one"});
  for (const char* h : {"", "Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer sk-on",
                        "Bearer sk-one2", "sk-one", "Bearersk-one"}) {
    SCOPED_TRACE(h);
    auto r = ring.authenticate(h);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::unauthorized);
    EXPECT_EQ(to_string(r.error().code), "invalid_api_key");
  }
}

TEST(KeyRing, NoKeysAcceptsNothing) {
  KeyRing ring(std::vector<std::string>{});
  EXPECT_FALSE(ring.authenticate("Bearer anything").ok());
}

TEST(KeyRing, OwnerIdIsStableAndNotTheKey) {
  std::string id = KeyRing::owner_id("sk-secret");
  EXPECT_EQ(id, KeyRing::owner_id("sk-secret"));
  EXPECT_EQ(id.rfind("key-", 0), 0u);
  EXPECT_EQ(id.size(), 12u);
  EXPECT_EQ(id.find("secret"), std::string::npos);
  // sha256("abc") starts with ba7816bf.
  EXPECT_EQ(KeyRing::owner_id("abc"), "key-ba7816bf");
}

TEST(KeyRing, InsecureModeIsAnonymous) {
  auto ring = KeyRing::insecure();
  EXPECT_TRUE(ring.is_insecure());
  auto r = ring.authenticate("");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "anonymous");
}

TEST(KeyRing, DuplicatesAndEmptyKeysIgnored) {
  KeyRing ring({"a", "a", "", "b"});
  EXPECT_EQ(ring.size(), 2u);
}

TEST(BearerMatches, ComparesOneSecret) {
  EXPECT_TRUE(bearer_matches("Bearer tok", "tok"));
  EXPECT_FALSE(bearer_matches("Bearer tok2", "tok"));
  EXPECT_FALSE(bearer_matches("", "tok"));
  EXPECT_FALSE(bearer_matches("Bearer tok", ""));
}

}  // namespace
}  // namespace sl::api
