// The gatekeeper as a service sees it: admit() with each kind of credential, 401 and 429
// answers in Confluent's shape, access rules, and CORS through the router.
#include "http/security/gatekeeper.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "http/router.h"

namespace wharf::http::security {
namespace {

request with_authorization(std::string value) {
  request req;
  req.method = "GET";
  req.path = "/topics";
  req.remote_address = "127.0.0.1:5000";
  if (!value.empty()) req.headers.emplace_back("Authorization", std::move(value));
  return req;
}

std::shared_ptr<gatekeeper> make(security_options options) {
  auto g = gatekeeper::create(std::move(options), {"produce", "consume", "admin"});
  EXPECT_TRUE(g.ok()) << g.err().message();
  return g.ok() ? *g : nullptr;
}

security_options keys_and_users() {
  security_options o;
  o.authentication = true;
  o.api_keys = {"alice:key-of-alice", "bob:key-of-bob"};
  o.basic_users = {"carol:plain:carols-password"};
  o.access_rules = {"alice:produce:orders"};
  return o;
}

TEST(Gatekeeper, ApiKeysAndBasicUsers) {
  auto g = make(keys_and_users());
  EXPECT_EQ(g->admit(with_authorization("Bearer key-of-alice")).value_or({}), "alice");
  EXPECT_EQ(g->admit(with_authorization("Bearer key-of-bob")).value_or({}), "bob");
  auto carol = base64::encode("carol:carols-password");
  EXPECT_EQ(g->admit(with_authorization("Basic " + carol)).value_or({}), "carol");
  // Once verified, still the same answers (the remembered digest is per password).
  EXPECT_EQ(g->admit(with_authorization("Basic " + carol)).value_or({}), "carol");
  EXPECT_FALSE(g->admit(with_authorization("Basic " + base64::encode("carol:other"))).ok());
}

TEST(Gatekeeper, RefusalsAre401WithChallengeAndNoSecret) {
  auto g = make(keys_and_users());
  for (const std::string& header :
       std::vector<std::string>{"", "Bearer key-of-nobody", "Basic " + base64::encode("carol:x"),
                                "Basic " + base64::encode("dave:carols-password"), "Digest x"}) {
    auto admitted = g->admit(with_authorization(header));
    ASSERT_FALSE(admitted.ok()) << header;
    const auto& res = admitted.err().answer;
    EXPECT_EQ(res.status, 401);
    EXPECT_NE(res.body.find("\"error_code\":40101"), std::string::npos) << res.body;
    auto challenge = res.header("WWW-Authenticate");
    ASSERT_TRUE(challenge.has_value());
    EXPECT_NE(challenge->find("Bearer realm="), std::string::npos);
    EXPECT_NE(challenge->find("Basic realm="), std::string::npos);
    EXPECT_EQ(res.body.find("key-of"), std::string::npos);
  }
}

TEST(Gatekeeper, AnonymousOnlyWhenConfigured) {
  auto o = keys_and_users();
  o.allow_anonymous = true;
  auto g = make(o);
  EXPECT_EQ(g->admit(with_authorization("")).value_or({}), "anonymous");
  // Wrong credentials are refused, not downgraded to anonymous.
  EXPECT_FALSE(g->admit(with_authorization("Bearer wrong")).ok());
}

TEST(Gatekeeper, NoAuthenticationMeansEverythingAllowed) {
  auto g = make({});
  EXPECT_EQ(g->admit(with_authorization("")).value_or("x"), "");
  EXPECT_TRUE(g->allows("", "admin", "anything"));
}

TEST(Gatekeeper, RulesApplyWhenAuthenticating) {
  auto g = make(keys_and_users());
  EXPECT_TRUE(g->allows("alice", "produce", "orders"));
  EXPECT_FALSE(g->allows("alice", "consume", "orders"));
  EXPECT_FALSE(g->allows("bob", "produce", "orders"));
  auto res = gatekeeper::forbidden("no");
  EXPECT_EQ(res.status, 403);
  EXPECT_NE(res.body.find("40301"), std::string::npos);
}

TEST(Gatekeeper, RefusesConfigurationsNobodyCouldUse) {
  security_options nobody;
  nobody.authentication = true;
  EXPECT_FALSE(gatekeeper::create(nobody, {}).ok());
  auto bad_key = keys_and_users();
  bad_key.api_keys = {"no-colon-secret"};
  auto g = gatekeeper::create(bad_key, {"produce"});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.err().message().find("no-colon-secret"), std::string::npos);
  auto bad_rule = keys_and_users();
  bad_rule.access_rules = {"alice:fly:orders"};
  EXPECT_FALSE(gatekeeper::create(bad_rule, {"produce"}).ok());
}

TEST(Gatekeeper, RateLimitAnswers429WithRetryAfter) {
  auto o = keys_and_users();
  o.rate_limiting = true;
  o.default_rate = {1, 2};
  o.rate_limit_overrides = {"bob:100:100"};
  auto g = make(o);
  auto alice = with_authorization("Bearer key-of-alice");
  EXPECT_TRUE(g->admit(alice).ok());
  EXPECT_TRUE(g->admit(alice).ok());
  auto limited = g->admit(alice);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.err().answer.status, 429);
  EXPECT_NE(limited.err().answer.body.find("42901"), std::string::npos);
  EXPECT_EQ(limited.err().answer.header("Retry-After"), "1");
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(g->admit(with_authorization("Bearer key-of-bob")).ok());
  // Guessing spends the address's bucket: 401, 401, then 429.
  auto guess = with_authorization("Bearer guess");
  EXPECT_EQ(g->admit(guess).err().answer.status, 401);
  EXPECT_EQ(g->admit(guess).err().answer.status, 401);
  EXPECT_EQ(g->admit(guess).err().answer.status, 429);
}

TEST(Gatekeeper, CorsWrapsEveryRouterAnswer) {
  auto o = keys_and_users();
  o.cors.allowed_origins = {"https://app.example"};
  auto g = make(o);
  router routes;
  routes.add("GET", "/topics", [](const request&) { return response::json(200, "[]"); });
  g->install_cors(routes);

  request preflight;
  preflight.method = "OPTIONS";
  preflight.path = "/topics";
  preflight.headers = {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}};
  response answer;
  routes.dispatch(std::move(preflight), [&answer](response r) { answer = std::move(r); });
  EXPECT_EQ(answer.status, 204);
  EXPECT_EQ(answer.header("Access-Control-Allow-Origin"), "https://app.example");

  request missing;
  missing.method = "GET";
  missing.path = "/nowhere";
  missing.headers = {{"Origin", "https://app.example"}};
  routes.dispatch(std::move(missing), [&answer](response r) { answer = std::move(r); });
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(answer.header("Access-Control-Allow-Origin"), "https://app.example");
}

}  // namespace
}  // namespace wharf::http::security
