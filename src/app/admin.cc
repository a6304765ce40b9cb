#include "app/admin.h"

#include <fmt/format.h>

namespace wharf::app {

void add_admin_routes(http::router& routes, metrics::registry& metrics, health_registry& health,
                      std::string version) {
  // 200 when every enabled component is ready, 503 naming those that are not.
  routes.add("GET", "/healthz", [&health](const http::request&) {
    auto components = health.evaluate();
    std::string list;
    std::string not_ready;
    for (const auto& c : components) {
      if (!list.empty()) list += ',';
      list += fmt::format(R"({{"name":"{}","ready":{}}})", http::json_escape(c.name), c.ready);
      if (!c.ready) {
        if (!not_ready.empty()) not_ready += ',';
        not_ready += fmt::format(R"("{}")", http::json_escape(c.name));
      }
    }
    bool ok = not_ready.empty();
    auto res = http::response::json(
        ok ? 200 : 503, fmt::format(R"({{"status":"{}","not_ready":[{}],"components":[{}]}})",
                                    ok ? "ok" : "unavailable", not_ready, list));
    res.set_header("Cache-Control", "no-store");
    return res;
  });

  // Liveness: the process answers, whatever its components say.
  routes.add("GET", "/livez",
             [](const http::request&) { return http::response::json(200, R"({"status":"ok"})"); });

  routes.add("GET", "/metrics", [&metrics](const http::request&) {
    return http::response::text(200, metrics.render_prometheus(),
                                "text/plain; version=0.0.4; charset=utf-8");
  });

  routes.add("GET", "/", [version](const http::request&) {
    return http::response::json(
        200,
        fmt::format(
            R"({{"name":"wharf","version":"{}","endpoints":["/healthz","/livez","/metrics"]}})",
            http::json_escape(version)));
  });
}

}  // namespace wharf::app
