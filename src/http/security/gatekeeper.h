// The security every Wharf HTTP service puts in front of its routes, from one set of
// options: authentication (API keys, JWTs, HTTP Basic, optional anonymous access),
// access rules per principal, per-principal rate limits and CORS. Refusals use the
// Confluent error shape: 401/40101 with WWW-Authenticate, 403/40301, 429/42901 with
// Retry-After.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "http/message.h"
#include "http/security/access_rules.h"
#include "http/security/cors.h"
#include "http/security/jwt.h"
#include "http/security/passwords.h"
#include "http/security/rate_limiter.h"

namespace wharf::http {
class router;
}

namespace wharf::http::security {

namespace error_codes {
inline constexpr int unauthenticated = 40101;
inline constexpr int forbidden = 40301;
inline constexpr int rate_limited = 42901;
}  // namespace error_codes

// The principal of requests without credentials when anonymous access is on.
inline constexpr std::string_view anonymous_principal = "anonymous";

struct security_options {
  bool authentication = false;           // every request must authenticate
  std::vector<std::string> api_keys;     // "principal:key"
  std::vector<std::string> basic_users;  // "user:stored password" (see passwords.h)
  jwt_options jwt;
  bool allow_anonymous = false;           // no credentials at all: principal "anonymous"
  std::string realm = "wharf";            // shown in WWW-Authenticate
  std::vector<std::string> access_rules;  // "principal:operation:pattern"

  bool rate_limiting = false;  // per-principal token buckets
  rate_limit default_rate{10, 20};
  std::vector<std::string> rate_limit_overrides;  // "principal:requests per second:burst"

  cors_options cors;
};

// A request turned away: the answer to send instead of the route's.
struct refusal {
  response answer;
  const std::string& message() const { return answer.body; }
};

class gatekeeper {
 public:
  // Checks every option (keys, password forms, rules, the RS256 key file's contents);
  // operations are the names access rules may use.
  static result<std::shared_ptr<gatekeeper>> create(security_options options,
                                                    std::vector<std::string> operations);

  bool authentication_enabled() const { return options_.authentication; }

  // Authenticates req and takes a rate-limit token: the principal ("" when authentication
  // is off), or the answer to send instead (401, 429).
  result<std::string, refusal> admit(const request& req) const;

  // Whether principal may do operation on resource; always true when authentication is
  // off.
  bool allows(std::string_view principal, std::string_view operation,
              std::string_view resource) const;
  bool allows_everything(std::string_view principal, std::string_view operation) const;
  bool allows_some(std::string_view principal, std::string_view operation) const;

  // 403 with Confluent's 40301.
  static response forbidden(std::string_view message);

  // Answers CORS preflights before routing and adds CORS headers to every answer the
  // router gives, errors included. Does nothing when CORS is off.
  void install_cors(router& routes) const;
  // The CORS headers an answer to req carries (none when CORS is off or the origin is
  // not allowed), for answers that do not pass through the router (streamed ones).
  header_list cors_headers(const request& req) const;

 private:
  struct api_key {
    std::string principal;
    std::string key_digest;  // SHA-256 of the key: compared in constant time
  };
  gatekeeper() = default;
  auth_result<std::string> authenticate(const request& req) const;
  response unauthenticated(std::string_view message) const;
  // 429 with Retry-After if client's bucket is empty; takes a token otherwise.
  std::optional<response> over_rate_limit(const std::string& client) const;

  security_options options_;
  std::vector<api_key> api_keys_;
  std::map<std::string, password_hash, std::less<>> basic_users_;
  std::string cache_key_;  // random per process
  mutable std::mutex verified_mutex_;
  mutable std::map<std::string, std::string> verified_passwords_;  // user -> keyed digest
  std::optional<jwt_verifier> jwt_;
  access_rules rules_;
  std::unique_ptr<rate_limiter> limiter_;
  std::shared_ptr<const cors_policy> cors_;
};

}  // namespace wharf::http::security
