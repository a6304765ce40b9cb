// Topic (resource) patterns and per-principal access rules.
#include "http/security/access_rules.h"

#include <gtest/gtest.h>

namespace wharf::http::security {
namespace {

const std::vector<std::string> operations{"produce", "consume", "admin"};

TEST(NamePattern, ExactPrefixAndEverything) {
  auto exact = name_pattern::parse("orders");
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->matches("orders"));
  EXPECT_FALSE(exact->matches("orders2"));
  EXPECT_FALSE(exact->matches("order"));

  auto prefix = name_pattern::parse("events.*");
  ASSERT_TRUE(prefix.ok());
  EXPECT_TRUE(prefix->matches("events.clicks"));
  EXPECT_TRUE(prefix->matches("events."));
  EXPECT_FALSE(prefix->matches("events"));
  EXPECT_FALSE(prefix->matches("eventsX"));
  EXPECT_FALSE(prefix->matches_everything());
  EXPECT_EQ(prefix->to_string(), "events.*");

  auto all = name_pattern::parse("*");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->matches_everything());
  EXPECT_TRUE(all->matches("anything"));
}

TEST(NamePattern, StarOnlyAtTheEnd) {
  EXPECT_FALSE(name_pattern::parse("ev*nts").ok());
  EXPECT_FALSE(name_pattern::parse("**").ok());
  EXPECT_FALSE(name_pattern::parse("").ok());
}

TEST(AccessRules, PerPrincipalAndOperation) {
  auto rules = access_rules::parse({"alice:produce:orders", "alice:consume:events.*",
                                    "user:42:admin:*", "*:consume:public", "ops:all:ops.*"},
                                   operations);
  ASSERT_TRUE(rules.ok()) << rules.err().message();
  EXPECT_TRUE(rules->allows("alice", "produce", "orders"));
  EXPECT_FALSE(rules->allows("alice", "consume", "orders"));
  EXPECT_FALSE(rules->allows("alice", "produce", "orders-eu"));
  EXPECT_TRUE(rules->allows("alice", "consume", "events.x"));
  EXPECT_FALSE(rules->allows("bob", "consume", "events.x"));
  EXPECT_TRUE(rules->allows("bob", "consume", "public"));
  EXPECT_TRUE(rules->allows("user:42", "admin", "whatever"));
  EXPECT_TRUE(rules->allows_everything("user:42", "admin"));
  EXPECT_FALSE(rules->allows_everything("alice", "consume"));
  EXPECT_TRUE(rules->allows("ops", "produce", "ops.metrics"));
  EXPECT_TRUE(rules->allows("ops", "admin", "ops.metrics"));
  EXPECT_TRUE(rules->allows_some("alice", "consume"));
  EXPECT_FALSE(rules->allows_some("alice", "admin"));
}

TEST(AccessRules, NothingAllowedWithoutRules) {
  auto rules = access_rules::parse({}, operations);
  ASSERT_TRUE(rules.ok());
  EXPECT_FALSE(rules->allows("alice", "produce", "orders"));
}

TEST(AccessRules, RefusesMalformedRules) {
  for (std::string line : {"alice", "alice:produce", ":produce:x", "alice:write:orders",
                           "alice:produce:", "alice:produce:a*b"}) {
    EXPECT_FALSE(access_rules::parse({line}, operations).ok()) << line;
  }
}

}  // namespace
}  // namespace wharf::http::security
