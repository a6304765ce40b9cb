// Plain values exchanged with the Kafka client: cluster metadata, records, offsets,
// configs and consumer groups. No librdkafka types here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wharf::kafka::client {

struct broker_info {
  std::int32_t id = -1;
  std::string host;
  int port = 0;
};

struct partition_info {
  std::int32_t id = 0;
  std::int32_t leader = -1;  // -1 while no leader is known
  std::vector<std::int32_t> replicas;
  std::vector<std::int32_t> in_sync_replicas;
  int error_code = 0;  // Kafka's per-partition error, e.g. LEADER_NOT_AVAILABLE
};

struct topic_info {
  std::string name;
  std::vector<partition_info> partitions;  // sorted by id
  bool is_internal = false;                // __consumer_offsets, __transaction_state
  int error_code = 0;

  const partition_info* partition(std::int32_t id) const {
    for (const auto& p : partitions) {
      if (p.id == id) return &p;
    }
    return nullptr;
  }
};

struct cluster_metadata {
  std::string cluster_id;  // empty if the cluster does not report one
  std::int32_t controller_id = -1;
  std::vector<broker_info> brokers;  // sorted by id
  std::vector<topic_info> topics;    // sorted by name

  const topic_info* topic(const std::string& name) const {
    for (const auto& t : topics) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }
};

struct record_header {
  std::string name;
  std::optional<std::string> value;  // nullopt: a header with a null value
};

// A record to produce. key/value nullopt means a null key/value (not an empty one).
struct outgoing_record {
  std::string topic;
  std::optional<std::int32_t> partition;  // nullopt: the partitioner picks (by key)
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<record_header> headers;
  std::optional<std::int64_t> timestamp_ms;  // nullopt: now

  std::size_t payload_bytes() const;
};

// Where a produced record landed.
struct delivery_report {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1;
};

struct consumed_record {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<record_header> headers;
  std::int64_t timestamp_ms = -1;
  bool log_append_time = false;  // timestamp type: LogAppendTime rather than CreateTime

  std::size_t payload_bytes() const;
};

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  friend bool operator==(const topic_partition&, const topic_partition&) = default;
  friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
};

// Logical offsets understood by seek, as in librdkafka.
inline constexpr std::int64_t offset_beginning = -2;
inline constexpr std::int64_t offset_end = -1;

struct partition_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1;  // -1001 (invalid) when a committed offset does not exist
  std::string metadata;
};

struct watermarks {
  std::int64_t low = 0;   // first offset still in the log
  std::int64_t high = 0;  // offset the next record will get
};

struct new_topic {
  std::string name;
  int partitions = -1;          // -1: the broker's default
  int replication_factor = -1;  // -1: the broker's default
  std::vector<std::pair<std::string, std::string>> configs;
};

enum class config_source {
  unknown,
  dynamic_topic,
  dynamic_broker,
  dynamic_default_broker,
  static_broker,
  default_config,
};
const char* to_string(config_source source);  // Kafka's names: "DYNAMIC_TOPIC_CONFIG", ...

struct config_synonym {
  std::string name;
  std::optional<std::string> value;
  config_source source = config_source::unknown;
};

struct config_entry {
  std::string name;
  std::optional<std::string> value;  // nullopt: sensitive or unset
  config_source source = config_source::unknown;
  bool is_default = false;
  bool is_read_only = false;
  bool is_sensitive = false;
  std::vector<config_synonym> synonyms;
};

struct group_listing {
  std::string group_id;
  bool is_simple = false;  // no members ever joined through the group protocol
  std::string state;       // "Stable", "Empty", "PreparingRebalance", ...
};

struct group_member {
  std::string member_id;
  std::string group_instance_id;  // static membership; empty if none
  std::string client_id;
  std::string host;
  std::vector<topic_partition> assignment;
};

struct group_description {
  std::string group_id;
  bool is_simple = false;
  std::string state;
  std::string partition_assignor;
  std::int32_t coordinator_id = -1;
  std::vector<group_member> members;
  int error_code = 0;
};

}  // namespace wharf::kafka::client
