// Per-client token buckets: each client (a principal, or an address when nobody
// authenticates) may make requests_per_second on average and burst at once. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wharf::http::security {

struct rate_limit {
  double requests_per_second = 0;
  double burst = 0;  // bucket size: requests allowed at once after a quiet spell
};

class rate_limiter {
 public:
  rate_limiter(rate_limit default_limit, std::map<std::string, rate_limit> overrides);

  // Takes one token from client's bucket: nullopt if it had one, else how long until it
  // will (for Retry-After).
  std::optional<std::chrono::milliseconds> acquire(std::string_view client,
                                                   std::chrono::steady_clock::time_point now);

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  const rate_limit& limit_for(const std::string& client) const;
  // Forgets buckets that have refilled (they equal a new one) so that many short-lived
  // clients cannot grow the table without bound.
  void forget_full_buckets(std::chrono::steady_clock::time_point now);

  rate_limit default_;
  std::map<std::string, rate_limit> overrides_;
  std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace wharf::http::security
