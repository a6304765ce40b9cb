// `wharf serve`: starts every enabled component, waits for SIGINT/SIGTERM, and stops
// them within the grace period.
#pragma once

#include "app/config.h"

namespace wharf::app {

// Returns the process exit code. Blocks until a stop signal arrives.
int serve(const wharf_config& config);

// Must run before any thread starts, so every thread inherits the blocked mask and the
// main thread alone receives SIGINT/SIGTERM through sigwait.
void block_stop_signals();

}  // namespace wharf::app
