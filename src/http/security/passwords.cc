#include "http/security/passwords.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <charconv>

#include "base/base64.h"
#include "http/security/credentials.h"

namespace wharf::http::security {
namespace {

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(value));
  }
  return out;
}

std::string sha256(std::string_view a, std::string_view b) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), a.data(), a.size());
  EVP_DigestUpdate(ctx.get(), b.data(), b.size());
  EVP_DigestFinal_ex(ctx.get(), digest, nullptr);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

// Hard upper bound: a configured iteration count is trusted, but a typo must not stall
// every request for minutes.
constexpr std::uint32_t max_pbkdf2_iterations = 10'000'000;

}  // namespace

result<password_hash> password_hash::parse(std::string_view stored) {
  password_hash h;
  auto colon = stored.find(':');
  auto scheme = stored.substr(0, colon);
  auto rest = colon == std::string_view::npos ? std::string_view() : stored.substr(colon + 1);
  if (colon == std::string_view::npos) {
    return make_error(errc::invalid_argument,
                      "a password must be stored as plain:..., sha256:salt:hex or "
                      "pbkdf2-sha256:iterations:salt:key");
  }
  if (scheme == "plain") {
    h.kind_ = kind::plain;
    h.expected_ = std::string(rest);
    return h;
  }
  if (scheme == "sha256") {
    auto sep = rest.rfind(':');
    auto digest = sep == std::string_view::npos ? std::nullopt : hex_decode(rest.substr(sep + 1));
    if (!digest || digest->size() != SHA256_DIGEST_LENGTH) {
      return make_error(errc::invalid_argument,
                        "a sha256 password must be sha256:<salt>:<64 hex digits>");
    }
    h.kind_ = kind::salted_sha256;
    h.salt_ = std::string(rest.substr(0, sep));
    h.expected_ = std::move(*digest);
    return h;
  }
  if (scheme == "pbkdf2-sha256") {
    auto first = rest.find(':');
    auto second = first == std::string_view::npos ? first : rest.find(':', first + 1);
    if (second == std::string_view::npos) {
      return make_error(errc::invalid_argument,
                        "a pbkdf2-sha256 password must be pbkdf2-sha256:<iterations>:<base64 "
                        "salt>:<base64 key>");
    }
    auto count = rest.substr(0, first);
    std::uint32_t iterations = 0;
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), iterations);
    auto salt = base64::decode(rest.substr(first + 1, second - first - 1));
    auto key = base64::decode(rest.substr(second + 1));
    if (ec != std::errc() || end != count.data() + count.size() || iterations == 0 ||
        iterations > max_pbkdf2_iterations || !salt || !key || key->empty()) {
      return make_error(errc::invalid_argument,
                        "a pbkdf2-sha256 password needs 1 to 10000000 iterations, a base64 salt "
                        "and a base64 key");
    }
    h.kind_ = kind::pbkdf2_sha256;
    h.iterations_ = iterations;
    h.salt_ = std::move(*salt);
    h.expected_ = std::move(*key);
    return h;
  }
  return make_error(errc::invalid_argument,
                    "unknown password form '{}' (plain, sha256 or pbkdf2-sha256)", scheme);
}

bool password_hash::matches(std::string_view password) const {
  switch (kind_) {
    case kind::plain:
      // Digests first, so the comparison's time says nothing about the length either.
      return constant_time_equal(sha256(expected_, ""), sha256(password, ""));
    case kind::salted_sha256: return constant_time_equal(sha256(salt_, password), expected_);
    case kind::pbkdf2_sha256: {
      std::string derived(expected_.size(), '\0');
      if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                            reinterpret_cast<const unsigned char*>(salt_.data()),
                            static_cast<int>(salt_.size()), static_cast<int>(iterations_),
                            EVP_sha256(), static_cast<int>(derived.size()),
                            reinterpret_cast<unsigned char*>(derived.data())) != 1) {
        return false;
      }
      return constant_time_equal(derived, expected_);
    }
  }
  return false;
}

}  // namespace wharf::http::security
