// Cross-origin resource sharing (the Fetch standard's CORS protocol) for browser clients:
// answers preflight OPTIONS requests and adds Access-Control-* headers to the answers of
// allowed origins. Requests from other origins get no CORS headers, so browsers refuse
// to hand the answer to the page.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"

namespace wharf::http::security {

struct cors_options {
  std::vector<std::string> allowed_origins;  // "https://app.example.com" or "*"; empty: off
  std::vector<std::string> allowed_methods{"GET", "POST", "PUT", "DELETE", "HEAD"};
  std::vector<std::string> allowed_headers{"Authorization", "Content-Type", "Accept"};
  std::vector<std::string> exposed_headers{"Retry-After", "WWW-Authenticate"};
  bool allow_credentials = false;  // cookies and HTTP authentication from the browser
  std::chrono::seconds max_age{600};

  bool enabled() const { return !allowed_origins.empty(); }
};

class cors_policy {
 public:
  explicit cors_policy(cors_options options) : options_(std::move(options)) {}

  bool enabled() const { return options_.enabled(); }
  // The answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method);
  // nullopt for any other request.
  std::optional<response> preflight(const request& req) const;
  // Adds the headers a real response to a request from origin (its Origin header) carries
  // when that origin is allowed.
  void decorate(std::optional<std::string_view> origin, response& res) const;

 private:
  bool origin_allowed(std::string_view origin) const;
  // The Access-Control-Allow-Origin value: "*" only when credentials are off.
  std::string allow_origin_value(std::string_view origin) const;

  cors_options options_;
};

}  // namespace wharf::http::security
