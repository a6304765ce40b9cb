// Authorization header parsing: schemes, Basic decoding and malformed input.
#include "http/security/credentials.h"

#include <gtest/gtest.h>

namespace wharf::http::security {
namespace {

TEST(ParseAuthorization, NoHeaderIsNoCredentials) {
  auto parsed = parse_authorization(std::nullopt);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(std::holds_alternative<no_credentials>(*parsed));
}

TEST(ParseAuthorization, BearerTokenAnyCase) {
  for (auto header : {"Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER   abc.def.ghi "}) {
    auto parsed = parse_authorization(std::string_view(header));
    ASSERT_TRUE(parsed.ok()) << header;
    ASSERT_TRUE(std::holds_alternative<bearer_token>(*parsed));
    EXPECT_EQ(std::get<bearer_token>(*parsed).token, "abc.def.ghi");
  }
}

TEST(ParseAuthorization, BasicUserAndPassword) {
  // "alice:s3cr:et" - the password may hold colons, the user may not.
  auto parsed = parse_authorization(std::string_view("Basic YWxpY2U6czNjcjpldA=="));
  ASSERT_TRUE(parsed.ok());
  const auto& basic = std::get<basic_credentials>(*parsed);
  EXPECT_EQ(basic.user, "alice");
  EXPECT_EQ(basic.password, "s3cr:et");
}

TEST(ParseAuthorization, RefusesMalformedHeaders) {
  for (auto header : {"", "Bearer", "Bearer ", "Basic !!!", "Basic YWxpY2U=", "Digest x=y",
                      "Bearer a b", "Negotiate abc"}) {
    auto parsed = parse_authorization(std::string_view(header));
    EXPECT_FALSE(parsed.ok()) << header;
  }
}

TEST(ParseAuthorization, FailureNeverQuotesTheCredential) {
  auto parsed = parse_authorization(std::string_view("Basic c2VjcmV0LXdpdGhvdXQtY29sb24="));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.err().message().find("secret"), std::string::npos);
}

TEST(Base64Url, DecodesUrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64url_decode("eyJhIjoxfQ"), std::optional<std::string>("{\"a\":1}"));
  EXPECT_EQ(base64url_decode("-_8"), std::optional<std::string>("\xfb\xff"));
  EXPECT_FALSE(base64url_decode("+/8").has_value());
  EXPECT_FALSE(base64url_decode("eyJhIjoxfQ==").has_value());
  EXPECT_FALSE(base64url_decode("a").has_value());
}

TEST(ConstantTimeEqual, ComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

}  // namespace
}  // namespace wharf::http::security
