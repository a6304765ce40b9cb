// CORS preflights and the headers on real answers.
#include "http/security/cors.h"

#include <gtest/gtest.h>

namespace wharf::http::security {
namespace {

request preflight_request(std::string origin, std::string method, std::string headers = "") {
  request req;
  req.method = "OPTIONS";
  req.path = "/topics/orders";
  req.headers = {{"Origin", origin}, {"Access-Control-Request-Method", method}};
  if (!headers.empty()) req.headers.emplace_back("Access-Control-Request-Headers", headers);
  return req;
}

TEST(Cors, PreflightFromAllowedOrigin) {
  cors_policy cors(cors_options{.allowed_origins = {"https://app.example"}});
  auto res = cors.preflight(
      preflight_request("https://app.example", "POST", "authorization, content-type"));
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 204);
  EXPECT_EQ(res->header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(res->header("Access-Control-Allow-Methods")->find("POST"), std::string::npos);
  EXPECT_EQ(res->header("Access-Control-Max-Age"), "600");
}

TEST(Cors, PreflightFromOtherOriginGetsNoCorsHeaders) {
  cors_policy cors(cors_options{.allowed_origins = {"https://app.example"}});
  auto res = cors.preflight(preflight_request("https://evil.example", "POST"));
  ASSERT_TRUE(res.has_value());
  EXPECT_FALSE(res->header("Access-Control-Allow-Origin").has_value());
  auto bad_header = cors.preflight(preflight_request("https://app.example", "POST", "X-Custom"));
  EXPECT_FALSE(bad_header->header("Access-Control-Allow-Origin").has_value());
  auto bad_method = cors.preflight(preflight_request("https://app.example", "PATCH"));
  EXPECT_FALSE(bad_method->header("Access-Control-Allow-Origin").has_value());
}

TEST(Cors, OnlyPreflightsAreAnswered) {
  cors_policy cors(cors_options{.allowed_origins = {"*"}});
  request plain;
  plain.method = "OPTIONS";
  EXPECT_FALSE(cors.preflight(plain).has_value());
  auto get = preflight_request("https://a", "GET");
  get.method = "GET";
  EXPECT_FALSE(cors.preflight(get).has_value());
  cors_policy off({});
  EXPECT_FALSE(off.preflight(preflight_request("https://a", "GET")).has_value());
}

TEST(Cors, DecoratesAnswersForAllowedOrigins) {
  cors_policy wildcard(cors_options{.allowed_origins = {"*"}});
  response res;
  wildcard.decorate("https://a", res);
  EXPECT_EQ(res.header("Access-Control-Allow-Origin"), "*");
  response none;
  wildcard.decorate(std::nullopt, none);
  EXPECT_FALSE(none.header("Access-Control-Allow-Origin").has_value());

  // With credentials the origin is named, never "*".
  cors_policy credentials(cors_options{.allowed_origins = {"*"}, .allow_credentials = true});
  response named;
  credentials.decorate("https://a", named);
  EXPECT_EQ(named.header("Access-Control-Allow-Origin"), "https://a");
  EXPECT_EQ(named.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(named.header("Vary"), "Origin");

  cors_policy listed(cors_options{.allowed_origins = {"https://a"}});
  response other;
  listed.decorate("https://b", other);
  EXPECT_FALSE(other.header("Access-Control-Allow-Origin").has_value());
}

}  // namespace
}  // namespace wharf::http::security
