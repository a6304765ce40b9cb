// Token buckets per client: burst, refill, overrides and Retry-After estimates.
#include "http/security/rate_limiter.h"

#include <gtest/gtest.h>

namespace wharf::http::security {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, BurstThenRefill) {
  rate_limiter limiter({2, 3}, {});
  auto t = std::chrono::steady_clock::time_point(100s);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.acquire("alice", t).has_value());
  auto wait = limiter.acquire("alice", t);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 500ms);
  // Other clients have their own buckets.
  EXPECT_FALSE(limiter.acquire("bob", t).has_value());
  EXPECT_FALSE(limiter.acquire("alice", t + 500ms).has_value());
  EXPECT_TRUE(limiter.acquire("alice", t + 500ms).has_value());
  // A long pause refills to the burst, not beyond.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.acquire("alice", t + 60s).has_value());
  EXPECT_TRUE(limiter.acquire("alice", t + 60s).has_value());
}

TEST(RateLimiter, OverridesPerPrincipal) {
  rate_limiter limiter({1, 1}, {{"batch", {100, 50}}});
  auto t = std::chrono::steady_clock::time_point(100s);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(limiter.acquire("batch", t).has_value());
  EXPECT_TRUE(limiter.acquire("batch", t).has_value());
  EXPECT_FALSE(limiter.acquire("alice", t).has_value());
  EXPECT_TRUE(limiter.acquire("alice", t).has_value());
}

TEST(RateLimiter, ManyClientsDoNotGrowWithoutBound) {
  rate_limiter limiter({1000, 1}, {});
  auto t = std::chrono::steady_clock::time_point(100s);
  for (int i = 0; i < 30'000; ++i) {
    EXPECT_FALSE(limiter.acquire("client-" + std::to_string(i), t + i * 1ms).has_value());
  }
}

}  // namespace
}  // namespace wharf::http::security
