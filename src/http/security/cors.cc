#include "http/security/cors.h"

#include <algorithm>

namespace wharf::http::security {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Every header a preflight asks for is one we allow (names are case-insensitive).
bool headers_allowed(std::string_view requested, const std::vector<std::string>& allowed) {
  while (!requested.empty()) {
    auto comma = requested.find(',');
    auto name = requested.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty() && std::none_of(allowed.begin(), allowed.end(), [name](const auto& a) {
          return a == "*" || iequals(a, name);
        })) {
      return false;
    }
    if (comma == std::string_view::npos) break;
    requested.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

bool cors_policy::origin_allowed(std::string_view origin) const {
  return std::any_of(options_.allowed_origins.begin(), options_.allowed_origins.end(),
                     [origin](const std::string& o) { return o == "*" || o == origin; });
}

std::string cors_policy::allow_origin_value(std::string_view origin) const {
  bool wildcard = std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(),
                            "*") != options_.allowed_origins.end();
  // Browsers refuse "*" together with credentials: name the origin instead.
  if (wildcard && !options_.allow_credentials) return "*";
  return std::string(origin);
}

std::optional<response> cors_policy::preflight(const request& req) const {
  if (!enabled() || req.method != "OPTIONS") return std::nullopt;
  auto origin = req.header("Origin");
  auto method = req.header("Access-Control-Request-Method");
  if (!origin || !method) return std::nullopt;
  response res;
  res.status = 204;
  bool method_ok = std::find(options_.allowed_methods.begin(), options_.allowed_methods.end(),
                             *method) != options_.allowed_methods.end();
  auto requested_headers = req.header("Access-Control-Request-Headers");
  if (!origin_allowed(*origin) || !method_ok ||
      (requested_headers && !headers_allowed(*requested_headers, options_.allowed_headers))) {
    // No CORS headers: the browser stops here and never sends the real request.
    return res;
  }
  res.set_header("Access-Control-Allow-Origin", allow_origin_value(*origin));
  res.set_header("Access-Control-Allow-Methods", join(options_.allowed_methods));
  if (!options_.allowed_headers.empty()) {
    res.set_header("Access-Control-Allow-Headers", join(options_.allowed_headers));
  }
  if (options_.allow_credentials) res.set_header("Access-Control-Allow-Credentials", "true");
  res.set_header("Access-Control-Max-Age", std::to_string(options_.max_age.count()));
  res.set_header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return res;
}

void cors_policy::decorate(std::optional<std::string_view> origin, response& res) const {
  if (!enabled()) return;
  if (!origin || !origin_allowed(*origin)) return;
  auto value = allow_origin_value(*origin);
  if (value != "*") res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Allow-Origin", std::move(value));
  if (options_.allow_credentials) res.set_header("Access-Control-Allow-Credentials", "true");
  if (!options_.exposed_headers.empty()) {
    res.set_header("Access-Control-Expose-Headers", join(options_.exposed_headers));
  }
}

}  // namespace wharf::http::security
