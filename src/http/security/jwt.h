// Verification of JSON Web Tokens (RFC 7519) presented as bearer tokens: HS256 against a
// shared secret, RS256 against an RSA public key, then exp/nbf (with clock skew), aud and
// iss. Every other algorithm, "none" included, is refused, and each algorithm is only
// ever checked with its own kind of key (no HS256 "signed" with the RSA public key).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/security/credentials.h"

struct evp_pkey_st;

namespace wharf::http::security {

struct jwt_options {
  std::string hs256_secret;          // empty: HS256 tokens are refused
  std::string rs256_public_key_pem;  // PEM text of an RSA public key; empty: RS256 refused
  std::string audience;              // when set, "aud" must be or contain it
  std::string issuer;                // when set, "iss" must equal it
  std::string principal_claim = "sub";
  std::chrono::seconds clock_skew{30};  // leeway for exp and nbf between clocks

  bool enabled() const { return !hs256_secret.empty() || !rs256_public_key_pem.empty(); }
};

class jwt_verifier {
 public:
  // Fails if the PEM text is not an RSA public key.
  static result<jwt_verifier> create(jwt_options options);

  // The principal named by the token's principal claim, or why the token is refused.
  auth_result<std::string> verify(std::string_view token,
                                  std::chrono::system_clock::time_point now) const;

 private:
  jwt_options options_;
  std::shared_ptr<evp_pkey_st> rsa_key_;
};

// A token has the three dot-separated parts of a JWS compact serialization: worth
// trying as a JWT rather than as an API key.
bool looks_like_jwt(std::string_view token);

}  // namespace wharf::http::security
