#include "http/security/jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>

namespace wharf::http::security {
namespace {

namespace bj = boost::json;

// Far above any real token; bounds the work an attacker can ask for.
constexpr std::size_t max_token_bytes = 16 * 1024;

struct token_parts {
  std::string_view signing_input;  // header.payload, as signed
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

std::optional<token_parts> split_token(std::string_view token) {
  auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return token_parts{token.substr(0, second), token.substr(0, first),
                     token.substr(first + 1, second - first - 1), token.substr(second + 1)};
}

std::optional<bj::object> decode_json_object(std::string_view part) {
  auto text = base64url_decode(part);
  if (!text) return std::nullopt;
  std::error_code ec;
  auto value = bj::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

// A NumericDate (seconds since the epoch, possibly fractional); nullopt if not a number.
std::optional<double> numeric_date(const bj::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double())) return v.get_double();
  return std::nullopt;
}

bool hs256_matches(const std::string& secret, std::string_view input, std::string_view signature) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size)) {
    return false;
  }
  return constant_time_equal(std::string_view(reinterpret_cast<const char*>(mac), mac_size),
                             signature);
}

bool rs256_matches(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

bool audience_matches(const bj::value& aud, std::string_view wanted) {
  if (aud.is_string()) return aud.get_string() == wanted;
  if (aud.is_array()) {
    for (const auto& a : aud.get_array()) {
      if (a.is_string() && a.get_string() == wanted) return true;
    }
  }
  return false;
}

}  // namespace

bool looks_like_jwt(std::string_view token) { return split_token(token).has_value(); }

result<jwt_verifier> jwt_verifier::create(jwt_options options) {
  jwt_verifier v;
  if (!options.rs256_public_key_pem.empty()) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(options.rs256_public_key_pem.data(),
                        static_cast<int>(options.rs256_public_key_pem.size())),
        BIO_free);
    EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (!key) {
      return make_error(errc::invalid_argument, "the RS256 key is not a PEM public key");
    }
    v.rsa_key_ = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
      return make_error(errc::invalid_argument, "the RS256 key is not an RSA key");
    }
  }
  v.options_ = std::move(options);
  return v;
}

auth_result<std::string> jwt_verifier::verify(std::string_view token,
                                              std::chrono::system_clock::time_point now) const {
  if (token.size() > max_token_bytes) return auth_failure{"Invalid token: too long"};
  auto parts = split_token(token);
  if (!parts) return auth_failure{"Invalid token"};
  auto header = decode_json_object(parts->header);
  if (!header) return auth_failure{"Invalid token: malformed JWT header"};
  const auto* alg = header->if_contains("alg");
  if (!alg || !alg->is_string()) return auth_failure{"Invalid token: no algorithm"};
  // Extensions we do not understand must not be ignored (RFC 7515 section 4.1.11).
  if (header->contains("crit")) return auth_failure{"Invalid token: unsupported crit header"};
  auto signature = base64url_decode(parts->signature);
  if (!signature) return auth_failure{"Invalid token: malformed signature"};

  bool verified = false;
  if (alg->get_string() == "HS256" && !options_.hs256_secret.empty()) {
    verified = hs256_matches(options_.hs256_secret, parts->signing_input, *signature);
  } else if (alg->get_string() == "RS256" && rsa_key_) {
    verified = rs256_matches(rsa_key_.get(), parts->signing_input, *signature);
  } else {
    return auth_failure{"Invalid token: algorithm not accepted"};
  }
  if (!verified) return auth_failure{"Invalid token: bad signature"};

  auto claims = decode_json_object(parts->payload);
  if (!claims) return auth_failure{"Invalid token: malformed claims"};
  auto now_seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
  auto skew = static_cast<double>(options_.clock_skew.count());
  const auto* exp = claims->if_contains("exp");
  auto expires = exp ? numeric_date(*exp) : std::nullopt;
  // Tokens that never expire are refused: long-lived credentials are what API keys are for.
  if (!expires) return auth_failure{"Invalid token: no expiry (exp)"};
  if (now_seconds >= *expires + skew) return auth_failure{"Token expired"};
  if (const auto* nbf = claims->if_contains("nbf")) {
    auto not_before = numeric_date(*nbf);
    if (!not_before) return auth_failure{"Invalid token: malformed nbf"};
    if (now_seconds + skew < *not_before) return auth_failure{"Token not yet valid"};
  }
  if (!options_.audience.empty()) {
    const auto* aud = claims->if_contains("aud");
    if (!aud || !audience_matches(*aud, options_.audience)) {
      return auth_failure{"Invalid token: wrong audience"};
    }
  }
  if (!options_.issuer.empty()) {
    const auto* iss = claims->if_contains("iss");
    if (!iss || !iss->is_string() || iss->get_string() != options_.issuer) {
      return auth_failure{"Invalid token: wrong issuer"};
    }
  }
  const auto* principal = claims->if_contains(options_.principal_claim);
  if (!principal || !principal->is_string() || principal->get_string().empty()) {
    return auth_failure{"Invalid token: no " + options_.principal_claim + " claim"};
  }
  return std::string(principal->get_string());
}

}  // namespace wharf::http::security
