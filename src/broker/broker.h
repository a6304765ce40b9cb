// The embedded single-node Kafka-compatible broker: a Kafka listener (net::frame_server)
// in front of one handler per API key, with the topic metadata and partition logs under
// broker.data_dir.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"

namespace wharf::net {
class io_runtime;
}
namespace wharf::metrics {
class registry;
}

namespace wharf::broker {

struct broker_options {
  int node_id = 1;
  std::string host = "127.0.0.1";
  std::uint16_t port = 9092;
  // What Metadata tells clients to connect to; empty means host/port as bound.
  std::string advertised_host;
  std::uint16_t advertised_port = 0;
  std::string data_dir = "./wharf-data";
  bool auto_create_topics = true;
  int default_partitions = 1;
  std::uint32_t max_request_bytes = 100 * 1024 * 1024;
  // Request bytes in flight across all connections before reads wait (back-pressure).
  std::uint64_t max_in_flight_request_bytes = 256ull * 1024 * 1024;
  std::chrono::milliseconds connections_max_idle{600'000};
  // How often retention and compaction run (log.retention.check.interval.ms).
  std::chrono::milliseconds retention_check_interval{300'000};
  // The group coordinator: Kafka's group.* and offsets.* settings (Kafka's initial
  // rebalance delay is 3 s; 0 suits a local broker).
  std::chrono::milliseconds group_initial_rebalance_delay{0};
  std::chrono::milliseconds group_min_session_timeout{6'000};
  std::chrono::milliseconds group_max_session_timeout{1'800'000};
  int offsets_topic_num_partitions = 50;
  std::chrono::milliseconds offsets_retention{7LL * 24 * 3'600'000};
  std::chrono::milliseconds offsets_retention_check_interval{600'000};
  std::int64_t offset_metadata_max_bytes = 4096;
};

class broker {
 public:
  virtual ~broker() = default;

  // Opens the data dir (creating meta.properties on first start), recovers the logs and
  // starts listening. Fails on an unusable data dir or a port that cannot be bound.
  static result<std::unique_ptr<broker>> start(net::io_runtime& runtime, broker_options options,
                                               metrics::registry& metrics);

  virtual std::string listener_address() const = 0;  // "127.0.0.1:9092"
  virtual std::string cluster_id() const = 0;
  virtual bool ready() const = 0;

  virtual void stop_accepting() = 0;
  // Finishes in-flight requests until the deadline, then closes connections and flushes
  // and closes the logs. True if everything finished in time.
  virtual bool shutdown(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace wharf::broker
