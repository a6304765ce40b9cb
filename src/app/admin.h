// The admin HTTP API on port 8080: health, metrics and an index of what is served.
// Later components (Lambda event source mappings, EventBridge, console) add routes.
#pragma once

#include <memory>
#include <string>

#include "base/health.h"
#include "http/router.h"
#include "metrics/registry.h"

namespace wharf::app {

void add_admin_routes(http::router& routes, metrics::registry& metrics, health_registry& health,
                      std::string version);

}  // namespace wharf::app
