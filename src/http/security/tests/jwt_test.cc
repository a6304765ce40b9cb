// JWT verification: HS256 and RS256 signatures, time claims, audience, issuer, principal
// claim, and the refusals that matter most (alg none, algorithm confusion).
#include "http/security/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "base/base64.h"

namespace wharf::http::security {
namespace {

namespace bj = boost::json;
using clock = std::chrono::system_clock;

const auto now = clock::time_point(std::chrono::seconds(1'700'000'000));
const std::int64_t now_s = 1'700'000'000;

std::string b64url(std::string_view bytes) {
  auto text = base64::encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (auto& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

std::string signing_input(const bj::value& header, const bj::value& claims) {
  return b64url(bj::serialize(header)) + "." + b64url(bj::serialize(claims));
}

std::string hmac_sha256(std::string_view secret, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

std::string hs256_token(std::string_view secret, const bj::value& claims,
                        std::string alg = "HS256") {
  auto input = signing_input(bj::object{{"alg", alg}, {"typ", "JWT"}}, claims);
  return input + "." + b64url(hmac_sha256(secret, input));
}

struct rsa_key {
  std::shared_ptr<EVP_PKEY> key{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}),
                                EVP_PKEY_free};

  std::string public_pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), key.get());
    char* data = nullptr;
    auto size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  }

  std::string sign(const bj::value& claims, std::string alg = "RS256") const {
    auto input = signing_input(bj::object{{"alg", alg}}, claims);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get());
    std::size_t size = 0;
    EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(size, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(size);
    return input + "." + b64url(sig);
  }
};

jwt_verifier hs256_verifier(jwt_options extra = {}) {
  extra.hs256_secret = "top-secret-shared-key";
  auto v = jwt_verifier::create(extra);
  EXPECT_TRUE(v.ok());
  return std::move(*v);
}

bj::object good_claims() {
  return bj::object{{"sub", "alice"}, {"exp", now_s + 60}, {"iat", now_s}};
}

TEST(Jwt, Hs256GoodTokenNamesThePrincipal) {
  auto v = hs256_verifier();
  auto principal = v.verify(hs256_token("top-secret-shared-key", good_claims()), now);
  ASSERT_TRUE(principal.ok()) << principal.err().message();
  EXPECT_EQ(*principal, "alice");
}

TEST(Jwt, Hs256WrongSecretRefused) {
  auto v = hs256_verifier();
  EXPECT_FALSE(v.verify(hs256_token("another-secret", good_claims()), now).ok());
}

TEST(Jwt, TamperedClaimsRefused) {
  auto v = hs256_verifier();
  auto token = hs256_token("top-secret-shared-key", good_claims());
  auto dot1 = token.find('.');
  auto dot2 = token.find('.', dot1 + 1);
  auto forged = bj::object{{"sub", "root"}, {"exp", now_s + 60}};
  token = token.substr(0, dot1 + 1) + b64url(bj::serialize(forged)) + token.substr(dot2);
  EXPECT_FALSE(v.verify(token, now).ok());
}

TEST(Jwt, AlgNoneRefused) {
  auto v = hs256_verifier();
  auto token = signing_input(bj::object{{"alg", "none"}}, good_claims()) + ".";
  auto result = v.verify(token, now);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.err().message(), "Invalid token: algorithm not accepted");
  // Even with a signature part and other spellings.
  for (auto alg : {"None", "NONE", "HS512", "ES256", "PS256"}) {
    EXPECT_FALSE(v.verify(hs256_token("top-secret-shared-key", good_claims(), alg), now).ok())
        << alg;
  }
}

TEST(Jwt, ExpiryAndNotBeforeWithClockSkew) {
  auto v = hs256_verifier(jwt_options{.clock_skew = std::chrono::seconds(30)});
  auto token = [](bj::object claims) { return hs256_token("top-secret-shared-key", claims); };
  EXPECT_FALSE(v.verify(token({{"sub", "a"}, {"exp", now_s - 31}}), now).ok());
  EXPECT_TRUE(v.verify(token({{"sub", "a"}, {"exp", now_s - 10}}), now).ok());
  EXPECT_FALSE(v.verify(token({{"sub", "a"}}), now).ok()) << "exp is required";
  EXPECT_FALSE(v.verify(token({{"sub", "a"}, {"exp", "soon"}}), now).ok());
  EXPECT_TRUE(v.verify(token({{"sub", "a"}, {"exp", now_s + 99.5}}), now).ok());
  EXPECT_FALSE(
      v.verify(token({{"sub", "a"}, {"exp", now_s + 600}, {"nbf", now_s + 31}}), now).ok());
  EXPECT_TRUE(v.verify(token({{"sub", "a"}, {"exp", now_s + 600}, {"nbf", now_s + 10}}), now).ok());
  auto expired = v.verify(token({{"sub", "a"}, {"exp", now_s - 100}}), now);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.err().message(), "Token expired");
}

TEST(Jwt, AudienceAndIssuer) {
  auto v = hs256_verifier(jwt_options{.audience = "wharf-rest", .issuer = "https://idp"});
  auto token = [](bj::object claims) {
    claims["sub"] = "a";
    claims["exp"] = now_s + 60;
    return hs256_token("top-secret-shared-key", claims);
  };
  EXPECT_TRUE(v.verify(token({{"aud", "wharf-rest"}, {"iss", "https://idp"}}), now).ok());
  EXPECT_TRUE(
      v.verify(token({{"aud", bj::array{"x", "wharf-rest"}}, {"iss", "https://idp"}}), now).ok());
  EXPECT_FALSE(v.verify(token({{"aud", "other"}, {"iss", "https://idp"}}), now).ok());
  EXPECT_FALSE(v.verify(token({{"iss", "https://idp"}}), now).ok());
  EXPECT_FALSE(v.verify(token({{"aud", "wharf-rest"}, {"iss", "https://evil"}}), now).ok());
  EXPECT_FALSE(v.verify(token({{"aud", "wharf-rest"}}), now).ok());
}

TEST(Jwt, PrincipalFromConfiguredClaim) {
  auto v = hs256_verifier(jwt_options{.principal_claim = "client_id"});
  auto token = hs256_token("top-secret-shared-key",
                           bj::object{{"sub", "x"}, {"client_id", "svc-1"}, {"exp", now_s + 5}});
  EXPECT_EQ(v.verify(token, now).value_or(""), "svc-1");
  EXPECT_FALSE(v.verify(hs256_token("top-secret-shared-key", good_claims()), now).ok());
}

TEST(Jwt, Rs256GoodAndBad) {
  rsa_key key, other;
  auto v = jwt_verifier::create(jwt_options{.rs256_public_key_pem = key.public_pem()});
  ASSERT_TRUE(v.ok()) << v.err().message();
  EXPECT_EQ(v->verify(key.sign(good_claims()), now).value_or(""), "alice");
  EXPECT_FALSE(v->verify(other.sign(good_claims()), now).ok());
  // HS256 is off without a secret: a token "signed" with the public key text is refused.
  EXPECT_FALSE(v->verify(hs256_token(key.public_pem(), good_claims()), now).ok());
}

TEST(Jwt, AlgorithmConfusionRefusedWhenBothKeysConfigured) {
  rsa_key key;
  auto v = jwt_verifier::create(
      jwt_options{.hs256_secret = "shared", .rs256_public_key_pem = key.public_pem()});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->verify(hs256_token(key.public_pem(), good_claims()), now).ok());
  EXPECT_TRUE(v->verify(hs256_token("shared", good_claims()), now).ok());
  EXPECT_TRUE(v->verify(key.sign(good_claims()), now).ok());
}

TEST(Jwt, BadKeyFileRefusedAtStart) {
  EXPECT_FALSE(jwt_verifier::create(jwt_options{.rs256_public_key_pem = "not a key"}).ok());
}

TEST(Jwt, MalformedTokensRefused) {
  auto v = hs256_verifier();
  for (auto token :
       {"", ".", "..", "a.b.c", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9..", "bnVsbA.e30.AAAA"}) {
    EXPECT_FALSE(v.verify(token, now).ok()) << token;
  }
  EXPECT_FALSE(v.verify(std::string(20'000, 'a'), now).ok());
  EXPECT_TRUE(looks_like_jwt("a.b.c"));
  EXPECT_FALSE(looks_like_jwt("plain-api-key"));
}

}  // namespace
}  // namespace wharf::http::security
