#include "http/security/gatekeeper.h"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>

#include "base/logging.h"
#include "http/router.h"

namespace wharf::http::security {
namespace {

std::string sha256(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::optional<double> parse_rate(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value > 0)) return std::nullopt;
  return value;
}

// "principal:rate:burst", the principal possibly holding colons.
result<std::pair<std::string, rate_limit>> parse_override(const std::string& line) {
  auto last = line.rfind(':');
  auto middle =
      last == std::string::npos || last == 0 ? std::string::npos : line.rfind(':', last - 1);
  auto rate = middle == std::string::npos
                  ? std::nullopt
                  : parse_rate(std::string_view(line).substr(middle + 1, last - middle - 1));
  auto burst = middle == std::string::npos ? std::nullopt
                                           : parse_rate(std::string_view(line).substr(last + 1));
  if (middle == 0 || !rate || !burst) {
    return make_error(errc::invalid_argument,
                      "rate limit override '{}' is not principal:requests_per_second:burst "
                      "(positive numbers)",
                      line);
  }
  return std::pair{line.substr(0, middle), rate_limit{*rate, *burst}};
}

// The client part of "host:port" (IPv6 hosts keep their brackets).
std::string_view remote_host(std::string_view address) {
  auto colon = address.rfind(':');
  return colon == std::string_view::npos ? address : address.substr(0, colon);
}

}  // namespace

result<std::shared_ptr<gatekeeper>> gatekeeper::create(security_options options,
                                                       std::vector<std::string> operations) {
  std::shared_ptr<gatekeeper> g(new gatekeeper());
  g->cache_key_.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(g->cache_key_.data()), 32) != 1) {
    return make_error(errc::internal, "no random bytes for the password cache key");
  }
  for (const auto& entry : options.api_keys) {
    auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
      // The entry holds a secret: say which one by position, not by content.
      return make_error(errc::invalid_argument, "an API key entry is not principal:key");
    }
    g->api_keys_.push_back({entry.substr(0, colon), sha256(entry.substr(colon + 1))});
  }
  for (const auto& entry : options.basic_users) {
    auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0) {
      return make_error(errc::invalid_argument, "a Basic user entry is not user:stored-password");
    }
    auto user = entry.substr(0, colon);
    auto hash = password_hash::parse(std::string_view(entry).substr(colon + 1));
    if (!hash.ok()) return hash.err().with_context("Basic user " + user);
    g->basic_users_.insert_or_assign(user, std::move(*hash));
  }
  if (options.jwt.enabled()) {
    auto verifier = jwt_verifier::create(options.jwt);
    if (!verifier.ok()) return verifier.err();
    g->jwt_ = std::move(*verifier);
  }
  auto rules = access_rules::parse(options.access_rules, operations);
  if (!rules.ok()) return rules.err();
  g->rules_ = std::move(*rules);
  if (options.rate_limiting) {
    std::map<std::string, rate_limit> overrides;
    for (const auto& line : options.rate_limit_overrides) {
      auto parsed = parse_override(line);
      if (!parsed.ok()) return parsed.err();
      overrides.insert(std::move(*parsed));
    }
    g->limiter_ = std::make_unique<rate_limiter>(options.default_rate, std::move(overrides));
  }
  if (options.authentication && g->api_keys_.empty() && g->basic_users_.empty() && !g->jwt_ &&
      !options.allow_anonymous) {
    return make_error(errc::invalid_argument,
                      "authentication is on but no API key, Basic user, JWT key or anonymous "
                      "access is configured: nobody could get in");
  }
  g->cors_ = std::make_shared<const cors_policy>(options.cors);
  g->options_ = std::move(options);
  return g;
}

auth_result<std::string> gatekeeper::authenticate(const request& req) const {
  auto parsed = parse_authorization(req.header("Authorization"));
  if (!parsed.ok()) return parsed.err();
  if (std::holds_alternative<no_credentials>(*parsed)) {
    if (options_.allow_anonymous) return std::string(anonymous_principal);
    return auth_failure{"Authentication required"};
  }
  if (const auto* basic = std::get_if<basic_credentials>(&*parsed)) {
    auto user = basic_users_.find(basic->user);
    // Unknown users and wrong passwords read the same to the client.
    if (user == basic_users_.end()) return auth_failure{"Invalid user or password"};
    // PBKDF2 is slow on purpose; a password that matched once is remembered as a keyed
    // digest, so clients sending Basic on every request do not pay it every time.
    auto remembered = sha256(cache_key_ + basic->password);
    {
      std::lock_guard lock(verified_mutex_);
      auto known = verified_passwords_.find(basic->user);
      if (known != verified_passwords_.end() && constant_time_equal(known->second, remembered)) {
        return basic->user;
      }
    }
    if (!user->second.matches(basic->password)) return auth_failure{"Invalid user or password"};
    std::lock_guard lock(verified_mutex_);
    verified_passwords_[basic->user] = std::move(remembered);
    return basic->user;
  }
  const auto& token = std::get<bearer_token>(*parsed).token;
  auto digest = sha256(token);
  for (const auto& key : api_keys_) {
    if (constant_time_equal(key.key_digest, digest)) return key.principal;
  }
  if (jwt_ && looks_like_jwt(token)) return jwt_->verify(token, std::chrono::system_clock::now());
  return auth_failure{"Invalid token"};
}

response gatekeeper::unauthenticated(std::string_view message) const {
  auto res = response::error(401, error_codes::unauthenticated, message);
  std::string challenge;
  if (!api_keys_.empty() || jwt_) challenge = fmt::format("Bearer realm=\"{}\"", options_.realm);
  if (!basic_users_.empty()) {
    if (!challenge.empty()) challenge += ", ";
    challenge += fmt::format("Basic realm=\"{}\", charset=\"UTF-8\"", options_.realm);
  }
  if (challenge.empty()) challenge = fmt::format("Bearer realm=\"{}\"", options_.realm);
  res.set_header("WWW-Authenticate", std::move(challenge));
  return res;
}

response gatekeeper::forbidden(std::string_view message) {
  return response::error(403, error_codes::forbidden, message);
}

std::optional<response> gatekeeper::over_rate_limit(const std::string& client) const {
  if (!limiter_) return std::nullopt;
  auto wait = limiter_->acquire(client, std::chrono::steady_clock::now());
  if (!wait) return std::nullopt;
  auto res = response::error(429, error_codes::rate_limited,
                             "Too many requests: the rate limit for this client is spent");
  auto seconds = std::max<std::int64_t>(1, (wait->count() + 999) / 1000);
  res.set_header("Retry-After", std::to_string(seconds));
  return res;
}

result<std::string, refusal> gatekeeper::admit(const request& req) const {
  auto address_key = "address:" + std::string(remote_host(req.remote_address));
  std::string principal;
  if (options_.authentication) {
    auto who = authenticate(req);
    if (!who.ok()) {
      // The reason only: never the header, which holds the credential.
      logging::get("http-auth")
          ->debug("refused {} {} from {}: {}", req.method, req.path, req.remote_address,
                  who.err().message());
      // Failed attempts spend the address's bucket, so guessing keys is rate-limited too.
      if (auto limited = over_rate_limit(address_key)) return refusal{std::move(*limited)};
      return refusal{unauthenticated(who.err().message())};
    }
    principal = std::move(*who);
  }
  if (auto limited = over_rate_limit(principal.empty() ? address_key : principal)) {
    return refusal{std::move(*limited)};
  }
  return principal;
}

bool gatekeeper::allows(std::string_view principal, std::string_view operation,
                        std::string_view resource) const {
  return !options_.authentication || rules_.allows(principal, operation, resource);
}

bool gatekeeper::allows_everything(std::string_view principal, std::string_view operation) const {
  return !options_.authentication || rules_.allows_everything(principal, operation);
}

bool gatekeeper::allows_some(std::string_view principal, std::string_view operation) const {
  return !options_.authentication || rules_.allows_some(principal, operation);
}

header_list gatekeeper::cors_headers(const request& req) const {
  if (!cors_->enabled()) return {};
  response carrier;
  cors_->decorate(req.header("Origin"), carrier);
  return carrier.headers;
}

void gatekeeper::install_cors(router& routes) const {
  if (!cors_->enabled()) return;
  routes.set_middleware(
      [cors = cors_](request&& req, responder respond, const async_handler& next) {
        if (auto answer = cors->preflight(req)) return respond(std::move(*answer));
        std::optional<std::string> origin;
        if (auto o = req.header("Origin")) origin = std::string(*o);
        next(std::move(req),
             [cors, origin = std::move(origin), respond = std::move(respond)](response res) {
               cors->decorate(origin, res);
               respond(std::move(res));
             });
      });
}

}  // namespace wharf::http::security
