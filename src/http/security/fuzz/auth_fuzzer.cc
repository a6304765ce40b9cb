// libFuzzer harness for the parsers of untrusted authentication input: the Authorization
// header, and a bearer token through JWT verification (HS256 with a fixed secret).
#include <chrono>
#include <cstdint>
#include <string_view>

#include "http/security/credentials.h"
#include "http/security/jwt.h"
#include "http/security/passwords.h"

using namespace wharf::http::security;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_authorization(input);
  static const auto verifier = [] {
    jwt_options options;
    options.hs256_secret = "fuzz-secret";
    options.audience = "wharf";
    return *jwt_verifier::create(options);
  }();
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  if (parsed.ok()) {
    if (const auto* bearer = std::get_if<bearer_token>(&*parsed)) {
      (void)verifier.verify(bearer->token, now);
    }
  }
  (void)verifier.verify(input, now);
  (void)password_hash::parse(input);
  return 0;
}
