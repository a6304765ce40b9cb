// What a client presents in its Authorization header: a bearer token (an API key or a
// JWT) or HTTP Basic user and password. Parsing never throws: the header is untrusted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/result.h"

namespace wharf::http::security {

// Why a request is not authenticated. The text goes back to the client, so it never
// quotes the credential.
struct auth_failure {
  std::string text;
  const std::string& message() const { return text; }
};

template <typename T>
using auth_result = wharf::result<T, auth_failure>;

struct no_credentials {};
struct bearer_token {
  std::string token;
};
struct basic_credentials {
  std::string user;
  std::string password;
};
using credentials = std::variant<no_credentials, bearer_token, basic_credentials>;

// Parses "Bearer <token>" or "Basic <base64 user:password>" (scheme names are
// case-insensitive, RFC 9110); no header at all is no_credentials.
auth_result<credentials> parse_authorization(std::optional<std::string_view> header);

// Base64url without padding (RFC 7515 section 2), as in JWTs; nullopt on '+', '/', '='
// or any other character outside the URL-safe alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

// Compares secrets in time that does not depend on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace wharf::http::security
