// Parsing, checking and describing the topic settings of a partition log.
#include "storage/log_config.h"

#include <charconv>
#include <cmath>

#include "base/units.h"

namespace wharf::storage {
namespace {

// A segment must hold at least one batch header; positions are int32 in the index.
constexpr std::int64_t min_segment_bytes = 61;
constexpr std::int64_t max_int32 = std::numeric_limits<std::int32_t>::max();

struct long_setting {
  std::string_view name;
  std::int64_t log_config::*field;
  std::int64_t min;
  std::int64_t max;
};

constexpr long_setting long_settings[] = {
    {"segment.bytes", &log_config::segment_bytes, min_segment_bytes, max_int32},
    {"segment.ms", &log_config::segment_ms, 1, kafka_never},
    {"segment.index.bytes", &log_config::segment_index_bytes, 12, max_int32},
    {"index.interval.bytes", &log_config::index_interval_bytes, 0, max_int32},
    {"retention.ms", &log_config::retention_ms, -1, kafka_never},
    {"retention.bytes", &log_config::retention_bytes, -1, kafka_never},
    {"delete.retention.ms", &log_config::delete_retention_ms, 0, kafka_never},
    {"min.compaction.lag.ms", &log_config::min_compaction_lag_ms, 0, kafka_never},
    {"flush.messages", &log_config::flush_messages, 1, kafka_never},
    {"flush.ms", &log_config::flush_ms, 0, kafka_never},
};

std::string policy_string(const log_config& c) {
  if (c.cleanup_compact && c.cleanup_delete) return "compact,delete";
  if (c.cleanup_compact) return "compact";
  if (c.cleanup_delete) return "delete";
  return "";
}

status set_policy(log_config& config, std::string_view value) {
  bool del = false;
  bool compact = false;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = value.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "delete") {
      del = true;
    } else if (item == "compact") {
      compact = true;
    } else if (!(item.empty() && value.empty())) {
      return make_error(errc::invalid_argument,
                        "cleanup.policy '{}': expected delete, compact or compact,delete", value);
    }
    start = comma + 1;
  }
  // An empty list (recent Kafka versions accept it) means neither deletion nor compaction.
  config.cleanup_delete = del;
  config.cleanup_compact = compact;
  return {};
}

}  // namespace

status set_log_config(log_config& config, std::string_view name, std::string_view value) {
  for (const auto& s : long_settings) {
    if (s.name != name) continue;
    auto v = parse_int(value, s.min, s.max);
    if (!v.ok()) return make_error(errc::invalid_argument, "{}: {}", name, v.err().message());
    config.*s.field = *v;
    return {};
  }
  if (name == "cleanup.policy") return set_policy(config, value);
  if (name == "min.cleanable.dirty.ratio") {
    double ratio = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ratio);
    if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(ratio) ||
        ratio < 0 || ratio > 1) {
      return make_error(errc::invalid_argument,
                        "min.cleanable.dirty.ratio '{}': expected a number in [0, 1]", value);
    }
    config.min_cleanable_dirty_ratio = ratio;
    return {};
  }
  if (name == "message.timestamp.type") {
    if (value == "CreateTime") {
      config.message_timestamp_type = timestamp_type_config::create_time;
    } else if (value == "LogAppendTime") {
      config.message_timestamp_type = timestamp_type_config::log_append_time;
    } else {
      return make_error(errc::invalid_argument,
                        "message.timestamp.type '{}': expected CreateTime or LogAppendTime", value);
    }
    return {};
  }
  return make_error(errc::not_found, "'{}' is not a log setting", name);
}

std::vector<std::pair<std::string, std::string>> describe_log_config(const log_config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("cleanup.policy", policy_string(config));
  for (const auto& s : long_settings) {
    out.emplace_back(std::string(s.name), std::to_string(config.*s.field));
  }
  out.emplace_back("min.cleanable.dirty.ratio",
                   fmt::format("{}", config.min_cleanable_dirty_ratio));
  out.emplace_back("message.timestamp.type",
                   config.message_timestamp_type == timestamp_type_config::log_append_time
                       ? "LogAppendTime"
                       : "CreateTime");
  return out;
}

status validate_log_config(const log_config& config) {
  for (const auto& s : long_settings) {
    std::int64_t v = config.*s.field;
    if (v < s.min || v > s.max) {
      return make_error(errc::invalid_argument, "{} = {} is outside [{}, {}]", s.name, v, s.min,
                        s.max);
    }
  }
  if (!(config.min_cleanable_dirty_ratio >= 0 && config.min_cleanable_dirty_ratio <= 1)) {
    return make_error(errc::invalid_argument, "min.cleanable.dirty.ratio = {} is outside [0, 1]",
                      config.min_cleanable_dirty_ratio);
  }
  return {};
}

}  // namespace wharf::storage
