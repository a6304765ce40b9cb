// Stored password forms for HTTP Basic users.
#include "http/security/passwords.h"

#include <gtest/gtest.h>

namespace wharf::http::security {
namespace {

TEST(PasswordHash, Plain) {
  auto h = password_hash::parse("plain:s3cret:with-colon");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->matches("s3cret:with-colon"));
  EXPECT_FALSE(h->matches("s3cret"));
  EXPECT_FALSE(h->matches(""));
}

TEST(PasswordHash, SaltedSha256) {
  // printf 'NaClhunter2' | sha256sum
  auto h = password_hash::parse(
      "sha256:NaCl:5cca3fffb01b0faeb9f287e0ac91027494c458e565c5716df9923aea47947189");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->form(), password_hash::kind::salted_sha256);
  EXPECT_TRUE(h->matches("hunter2"));
  EXPECT_FALSE(h->matches("wrong"));
}

TEST(PasswordHash, Pbkdf2MatchesPythonHashlib) {
  // base64(hashlib.pbkdf2_hmac("sha256", b"hunter2", b"saltsalt", 1000))
  auto h = password_hash::parse(
      "pbkdf2-sha256:1000:c2FsdHNhbHQ=:SGostCYuh4jIkZF3T30ZOll3DSwORihSR6ozq+eFeiA=");
  ASSERT_TRUE(h.ok()) << h.err().message();
  EXPECT_TRUE(h->matches("hunter2"));
  EXPECT_FALSE(h->matches("hunter3"));
}

TEST(PasswordHash, RefusesMalformedForms) {
  for (auto stored : {"hunter2", "md5:abc", "sha256:salt:xyz", "sha256:abcd",
                      "pbkdf2-sha256:0:c2FsdA==:a2V5", "pbkdf2-sha256:x:c2FsdA==:a2V5",
                      "pbkdf2-sha256:1000:c2FsdA==", "pbkdf2-sha256:99999999999:c2FsdA==:a2V5"}) {
    auto h = password_hash::parse(stored);
    EXPECT_FALSE(h.ok()) << stored;
  }
}

}  // namespace
}  // namespace wharf::http::security
