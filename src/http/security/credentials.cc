#include "http/security/credentials.h"

#include <openssl/crypto.h>

#include "base/base64.h"

namespace wharf::http::security {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

auth_result<credentials> parse_authorization(std::optional<std::string_view> header) {
  if (!header) return credentials{no_credentials{}};
  auto value = trim(*header);
  auto space = value.find(' ');
  if (space == std::string_view::npos) {
    return auth_failure{"Malformed Authorization header: expected a scheme and credentials"};
  }
  auto scheme = value.substr(0, space);
  auto rest = trim(value.substr(space + 1));
  if (rest.empty() || rest.find_first_of(" \t") != std::string_view::npos) {
    return auth_failure{"Malformed Authorization header"};
  }
  if (iequals(scheme, "Bearer")) return credentials{bearer_token{std::string(rest)}};
  if (iequals(scheme, "Basic")) {
    auto decoded = base64::decode(rest);
    if (!decoded) return auth_failure{"Malformed Basic credentials: not base64"};
    auto colon = decoded->find(':');
    if (colon == std::string::npos) {
      return auth_failure{"Malformed Basic credentials: expected user:password"};
    }
    return credentials{basic_credentials{decoded->substr(0, colon), decoded->substr(colon + 1)}};
  }
  return auth_failure{"Unsupported authentication scheme: use Bearer or Basic"};
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string standard(text);
  for (auto& c : standard) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return base64::decode(standard);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace wharf::http::security
