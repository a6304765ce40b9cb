// Base64 round trips, RFC 4648 vectors and malformed input.
#include "base/base64.h"

#include <gtest/gtest.h>

namespace wharf {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64::encode(""), "");
  EXPECT_EQ(base64::encode("f"), "Zg==");
  EXPECT_EQ(base64::encode("fo"), "Zm8=");
  EXPECT_EQ(base64::encode("foo"), "Zm9v");
  EXPECT_EQ(base64::encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64::encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64::encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(base64::decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64::decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64::decode("Zm9vYg"), "foob");
  EXPECT_EQ(base64::decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64::decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64::decode(""), "");
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    auto part = all.substr(0, len);
    EXPECT_EQ(base64::decode(base64::encode(part)), part);
  }
}

TEST(Base64, RejectsMalformedText) {
  EXPECT_FALSE(base64::decode("Zm9v!"));     // not in the alphabet
  EXPECT_FALSE(base64::decode("Zm9 v"));     // whitespace
  EXPECT_FALSE(base64::decode("Z"));         // no encoding is 1 mod 4 long
  EXPECT_FALSE(base64::decode("Zm=v"));      // padding in the middle
  EXPECT_FALSE(base64::decode("Zm9vY==="));  // too much padding
  EXPECT_FALSE(base64::decode("Zm9vYg="));   // padding that does not complete a group
  EXPECT_FALSE(base64::decode("Zh=="));      // non-zero leftover bits
  EXPECT_FALSE(base64::decode("Zm9v-_"));    // URL-safe alphabet is not accepted
}

}  // namespace
}  // namespace wharf
