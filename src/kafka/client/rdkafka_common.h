// Internal to kafka/client: librdkafka configuration, logging, RAII owners and
// conversions shared by the cluster and consumer implementations.
#pragma once

#include <librdkafka/rdkafka.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kafka/client/errors.h"
#include "kafka/client/types.h"

namespace wharf::kafka::client::detail {

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using partition_list_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

struct event_deleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;

// A configuration with Wharf's logging callbacks and these properties applied.
result<conf_ptr> make_conf(const std::map<std::string, std::string>& properties);

kafka_error error_from(rd_kafka_resp_err_t code, const char* message = nullptr);
// Takes ownership of (and destroys) the error object.
kafka_error error_from(rd_kafka_error_t* error);

partition_list_ptr to_list(const std::vector<topic_partition>& partitions);
partition_list_ptr to_list(const std::vector<partition_offset>& offsets);
std::vector<partition_offset> to_offsets(const rd_kafka_topic_partition_list_t* list);
// The first per-partition error in the list, if any.
std::optional<kafka_error> first_partition_error(const rd_kafka_topic_partition_list_t* list);

std::string join(const std::vector<std::string>& parts, const char* separator);

// A consumer's rebalance listeners (consumer_options::on_assign/on_revoke), owned by the
// consumer and passed to librdkafka as its opaque.
struct rebalance_hooks {
  std::function<void(std::vector<partition_offset>&)> on_assign;
  std::function<void(const std::vector<topic_partition>&)> on_revoke;
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
};

}  // namespace wharf::kafka::client::detail
