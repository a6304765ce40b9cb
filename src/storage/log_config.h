// The topic-level settings of a partition log, under Apache Kafka's names and with its
// defaults. The broker builds one per topic from CreateTopics / AlterConfigs entries with
// set_log_config() and reads them back for DescribeConfigs with describe_log_config().
// docs/storage.md says what each setting promises.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace wharf::storage {

// Kafka's "never" for the flush settings: Long.MAX_VALUE.
inline constexpr std::int64_t kafka_never = std::numeric_limits<std::int64_t>::max();

enum class timestamp_type_config { create_time, log_append_time };

struct log_config {
  // cleanup.policy = "delete" | "compact" | "compact,delete".
  bool cleanup_delete = true;
  bool cleanup_compact = false;
  // segment.bytes: roll to a new segment once the active one would grow past this.
  std::int64_t segment_bytes = 1073741824;
  // segment.ms: roll once the active segment's first batch is older than this.
  std::int64_t segment_ms = 604800000;
  // segment.index.bytes: roll once the offset or time index would outgrow this.
  std::int64_t segment_index_bytes = 10485760;
  // index.interval.bytes: bytes of batches between two index entries.
  std::int64_t index_interval_bytes = 4096;
  // retention.ms: delete segments whose newest record is older than this; -1 = forever.
  std::int64_t retention_ms = 604800000;
  // retention.bytes: delete old segments while the log is larger than this; -1 = no limit.
  std::int64_t retention_bytes = -1;
  // delete.retention.ms: how long a tombstone stays after its first cleaning.
  std::int64_t delete_retention_ms = 86400000;
  // min.cleanable.dirty.ratio: compact once this share of the cleanable bytes is dirty.
  double min_cleanable_dirty_ratio = 0.5;
  // min.compaction.lag.ms: segments with records newer than this are not compacted.
  std::int64_t min_compaction_lag_ms = 0;
  // flush.messages: fsync after this many messages (1 = before every append returns).
  std::int64_t flush_messages = kafka_never;
  // flush.ms: fsync when the oldest unflushed append is this old (checked by flush_if_due).
  std::int64_t flush_ms = kafka_never;
  // message.timestamp.type: with LogAppendTime the log stamps every batch as it appends it.
  timestamp_type_config message_timestamp_type = timestamp_type_config::create_time;

  // True when a Kafka-style flush.messages / flush.ms asks for fsyncs at all.
  bool flushes_on_messages() const { return flush_messages != kafka_never; }
};

// Applies one topic config entry ("segment.bytes" = "1048576"). A name the log does not
// own is errc::not_found (the broker handles those); a bad value is invalid_argument.
status set_log_config(log_config& config, std::string_view name, std::string_view value);

// Every setting of config as (Kafka name, value) pairs, in Kafka's spelling.
std::vector<std::pair<std::string, std::string>> describe_log_config(const log_config& config);

// Checks the values a struct built in code holds (the same ranges set_log_config enforces).
status validate_log_config(const log_config& config);

}  // namespace wharf::storage
