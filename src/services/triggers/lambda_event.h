// The event AWS Lambda sends a function for Kafka records: eventSource "aws:kafka" with
// the cluster's eventSourceArn (Amazon MSK) or "SelfManagedKafka", bootstrapServers as one
// comma-separated string, and records grouped under "topic-partition" keys, each with its
// topic, partition, offset, timestamp, timestampType, base64 key and value, and headers as
// arrays of byte values.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "kafka/client/types.h"

namespace wharf::triggers {

struct event_source {
  std::string arn;                // an MSK-style cluster ARN; empty for a self-managed source
  std::string bootstrap_servers;  // "host:port,host:port"
};

// The event JSON for records, grouped by topic-partition in order of first appearance
// and in their given order within each group.
std::string kafka_event(const event_source& source,
                        std::span<const kafka::client::consumed_record> records);

// What one record adds to the event, in bytes (for the 6 MB payload cap).
std::size_t record_event_bytes(const kafka::client::consumed_record& record);

}  // namespace wharf::triggers
