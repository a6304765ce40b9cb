// Cluster metadata and administration (topics, configs, consumer groups, offsets).
// Every call blocks until the cluster answers or the request timeout passes: call them
// from a worker_pool thread, never from an I/O thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "kafka/client/errors.h"
#include "kafka/client/types.h"

namespace wharf::kafka::client {

class admin {
 public:
  virtual ~admin() = default;

  // Brokers, every topic with its partitions, the cluster id and the controller.
  virtual result<cluster_metadata> metadata() = 0;

  // Creates one topic, or with validate_only only asks the controller whether it could.
  // Kafka's errors: TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
  // INVALID_CONFIG, POLICY_VIOLATION, ...
  virtual status create_topic(const new_topic& topic, bool validate_only) = 0;
  virtual status delete_topic(const std::string& name) = 0;

  virtual result<std::vector<config_entry>> describe_topic_configs(const std::string& topic) = 0;
  virtual result<std::vector<config_entry>> describe_broker_configs(std::int32_t broker_id) = 0;
  // Sets the topic's dynamic configs to exactly these (AlterConfigs replaces them all;
  // callers that change one entry pass the others unchanged). With validate_only the
  // broker only checks them.
  virtual status replace_topic_configs(
      const std::string& topic, const std::vector<std::pair<std::string, std::string>>& configs,
      bool validate_only = false) = 0;

  virtual result<std::vector<group_listing>> list_groups() = 0;
  virtual result<std::vector<group_description>> describe_groups(
      const std::vector<std::string>& group_ids) = 0;
  // Committed offsets of a group; every partition it has an offset for when partitions
  // is empty.
  virtual result<std::vector<partition_offset>> group_offsets(
      const std::string& group_id, const std::vector<topic_partition>& partitions) = 0;

  virtual result<watermarks> query_watermarks(const std::string& topic, std::int32_t partition) = 0;
  // The earliest offset whose timestamp is at or after timestamp_ms, per partition
  // (offset -1 where there is none).
  virtual result<std::vector<partition_offset>> offsets_for_time(
      const std::vector<topic_partition>& partitions, std::int64_t timestamp_ms) = 0;
};

}  // namespace wharf::kafka::client
