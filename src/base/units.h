// Parsing of human-written sizes ("64MiB", "1GB", "1048576") and durations
// ("30s", "500ms", "2h") as they appear in config files and flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace wharf {

// Bytes. Accepts an integer with an optional unit: B, KB/MB/GB/TB (powers of 1000),
// KiB/MiB/GiB/TiB (powers of 1024), k/m/g (powers of 1024, as the JVM reads them).
result<std::uint64_t> parse_size(std::string_view text);

// Accepts an integer with a unit: ms, s, m, h, d. A bare integer is rejected unless
// bare_unit is given (Kafka's *.ms settings are bare milliseconds).
result<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                 std::string_view bare_unit = {});

// Formats bytes the way parse_size reads them back ("64MiB").
std::string format_size(std::uint64_t bytes);
// Formats a duration the way parse_duration reads it back ("30s").
std::string format_duration(std::chrono::milliseconds duration);

// Strict integer parsing of the whole text, with range check.
result<std::int64_t> parse_int(std::string_view text, std::int64_t min, std::int64_t max);

}  // namespace wharf
