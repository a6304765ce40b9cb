// Stored passwords for HTTP Basic users, in one of three forms:
//   plain:<password>                                   (tests and local use only)
//   sha256:<salt>:<hex SHA-256 of salt + password>     (salted, fast: fine for random passwords)
//   pbkdf2-sha256:<iterations>:<base64 salt>:<base64 derived key>
// PBKDF2-HMAC-SHA256 is the slow form to use for passwords people chose; the last form is
// what Python's hashlib.pbkdf2_hmac("sha256", ...) produces, base64-encoded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace wharf::http::security {

class password_hash {
 public:
  enum class kind { plain, salted_sha256, pbkdf2_sha256 };

  // Parses a stored form; fails with a message that never repeats the secret.
  static result<password_hash> parse(std::string_view stored);

  // Whether password is the one stored, compared in constant time.
  bool matches(std::string_view password) const;

  kind form() const { return kind_; }

 private:
  kind kind_ = kind::plain;
  std::string salt_;
  std::string expected_;  // the password, or the digest/derived key bytes
  std::uint32_t iterations_ = 0;
};

}  // namespace wharf::http::security
