// The broker's topics: names, ids, partitions and configs, persisted in
// <data_dir>/topics.json, each partition backed by a storage::partition_log under
// <data_dir>/<topic>-<partition>/. Topics are immutable snapshots: a change publishes a
// new topic object, so readers hold a consistent view without locks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "broker/api_error.h"
#include "broker/producer_state.h"
#include "kafka/protocol/codec.h"
#include "storage/log_config.h"
#include "storage/partition_log.h"

namespace wharf::broker {

using topic_id = kafka::protocol::uuid;

// Kafka's string form of a uuid: URL-safe base64 without padding (22 characters).
std::string format_topic_id(const topic_id& id);
std::optional<topic_id> parse_topic_id(std::string_view text);
topic_id new_topic_id();

class partition {
 public:
  partition(std::string topic, std::int32_t index, std::unique_ptr<storage::partition_log> log)
      : topic_(std::move(topic)), index_(index), log_(std::move(log)) {}

  const std::string& topic() const { return topic_; }
  std::int32_t index() const { return index_; }
  storage::partition_log& log() { return *log_; }
  const storage::partition_log& log() const { return *log_; }

  // The broker serves single-node: every acknowledged append is the high watermark.
  std::int64_t high_watermark() const { return log_->log_end_offset(); }

  // Held while a produce checks producer state and appends, so both happen as one step.
  std::mutex& produce_mutex() { return produce_mutex_; }
  producer_state& producers() { return producers_; }

 private:
  std::string topic_;
  std::int32_t index_;
  std::unique_ptr<storage::partition_log> log_;
  std::mutex produce_mutex_;
  producer_state producers_;
};

struct topic {
  std::string name;
  topic_id id{};
  std::vector<std::shared_ptr<partition>> partitions;
  // Configs set explicitly for this topic (Kafka's "dynamic topic configs").
  std::map<std::string, std::string> overrides;
  storage::log_config log;
  std::int32_t max_message_bytes = 1048588;
  std::int64_t timestamp_before_max_ms = INT64_MAX;
  std::int64_t timestamp_after_max_ms = 3600000;
  bool internal = false;
};

// Topic-level config names the broker accepts beyond those the log owns, with Kafka's
// defaults (shown by DescribeConfigs).
const std::map<std::string, std::string>& non_log_topic_config_defaults();

struct topic_defaults {
  std::int32_t partitions = 1;
  storage::log_config log;
};

class topic_manager {
 public:
  // Loads topics.json and opens (recovering) every partition log.
  static result<std::unique_ptr<topic_manager>> open(std::filesystem::path data_dir,
                                                     topic_defaults defaults);
  ~topic_manager();

  struct create_spec {
    std::string name;
    std::int32_t partitions = -1;          // -1: the default
    std::int16_t replication_factor = -1;  // -1 or 1: a single node has one replica
    std::map<std::string, std::string> configs;
    bool validate_only = false;
  };
  api_result<std::shared_ptr<const topic>> create(const create_spec& spec);
  // Deletes the topic and its data. UNKNOWN_TOPIC_OR_PARTITION if it does not exist.
  api_result<topic_id> remove(const std::string& name);
  // Grows the topic to total partitions (INVALID_PARTITIONS when not larger).
  api_result<std::shared_ptr<const topic>> add_partitions(const std::string& name,
                                                          std::int32_t total, bool validate_only);
  // Replaces (AlterConfigs) or edits (IncrementalAlterConfigs) the overrides. values with
  // nullopt delete an override.
  api_result<std::shared_ptr<const topic>> alter_configs(
      const std::string& name, const std::map<std::string, std::optional<std::string>>& changes,
      bool replace_all, bool validate_only);

  std::shared_ptr<const topic> find(const std::string& name) const;
  std::shared_ptr<const topic> find(const topic_id& id) const;
  std::vector<std::shared_ptr<const topic>> list() const;

  const topic_defaults& defaults() const { return defaults_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }

  // Periodic upkeep: flush.ms always; retention and compaction when with_cleanup.
  // Returns bytes deleted.
  std::uint64_t run_maintenance(std::int64_t now_ms, bool with_cleanup);

  // Closes every log cleanly (they recover quickly next time).
  void close_all();

 private:
  topic_manager(std::filesystem::path data_dir, topic_defaults defaults);
  status persist_locked() const;
  api_result<topic> build_config(const std::string& name,
                                 const std::map<std::string, std::string>& overrides) const;
  result<std::shared_ptr<partition>> open_partition(const std::string& topic, std::int32_t index,
                                                    const storage::log_config& config) const;

  std::filesystem::path data_dir_;
  topic_defaults defaults_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<const topic>> topics_;
  std::mutex change_mutex_;  // serialises create/remove/alter (disk work outside mutex_)
};

}  // namespace wharf::broker
