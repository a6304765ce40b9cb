// Process metrics in the names Prometheus client libraries use (process_cpu_seconds_total,
// process_resident_memory_bytes, process_open_fds, ...), read from /proc at scrape time.
#pragma once

#include "metrics/registry.h"

namespace wharf::metrics {

// Registers a collector for the process metrics and wharf_uptime_seconds / wharf_build_info.
void register_process_metrics(registry& reg, const std::string& version);

}  // namespace wharf::metrics
