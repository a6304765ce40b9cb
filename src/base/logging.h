// Logging for every component: levels, text or JSON lines, stderr or a size-rotated
// file. Each component logs through its own named logger ("http", "broker", ...).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "base/result.h"

namespace wharf::logging {

enum class log_format { text, json };

struct options {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  log_format format = log_format::text;
  std::string file;                           // empty: stderr
  std::uint64_t max_file_size = 64ull << 20;  // rotate when the file reaches this size
  int max_files = 5;                          // rotated files kept beside the current one
};

// Applies options to every logger, existing and future. Fails on a bad level or a
// file that cannot be opened.
status configure(const options& opts);

// The logger of a component; created on first use with the current sinks and level.
std::shared_ptr<spdlog::logger> get(std::string_view component);

// Flushes every logger (on shutdown and before exit).
void flush_all();

bool is_valid_level(std::string_view level);

}  // namespace wharf::logging
