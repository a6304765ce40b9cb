#include "http/security/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace wharf::http::security {
namespace {
constexpr std::size_t buckets_before_cleanup = 10'000;
}

rate_limiter::rate_limiter(rate_limit default_limit, std::map<std::string, rate_limit> overrides)
    : default_(default_limit), overrides_(std::move(overrides)) {}

const rate_limit& rate_limiter::limit_for(const std::string& client) const {
  auto it = overrides_.find(client);
  return it == overrides_.end() ? default_ : it->second;
}

std::optional<std::chrono::milliseconds> rate_limiter::acquire(
    std::string_view client, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::string key(client);
  const auto& limit = limit_for(key);
  auto burst = std::max(limit.burst, 1.0);
  auto [it, inserted] = buckets_.try_emplace(key, bucket{burst, now});
  auto& b = it->second;
  if (!inserted) {
    auto elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst, b.tokens + std::max(elapsed, 0.0) * limit.requests_per_second);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    if (inserted && buckets_.size() > buckets_before_cleanup) forget_full_buckets(now);
    return std::nullopt;
  }
  if (limit.requests_per_second <= 0) return std::chrono::milliseconds(60'000);
  auto wait_seconds = (1.0 - b.tokens) / limit.requests_per_second;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(wait_seconds * 1000)));
}

void rate_limiter::forget_full_buckets(std::chrono::steady_clock::time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    const auto& limit = limit_for(entry.first);
    auto elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
    return entry.second.tokens + elapsed * limit.requests_per_second >= std::max(limit.burst, 1.0);
  });
}

}  // namespace wharf::http::security
