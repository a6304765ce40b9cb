// wharf::kafka::client: the one way Wharf's integration services reach Kafka (the embedded
// broker or any Apache Kafka / MSK cluster), a thin facade over librdkafka. A cluster
// owns the shared producer, an admin handle and the worker threads for blocking calls;
// consumers are created per use.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kafka/client/admin.h"
#include "kafka/client/consumer.h"
#include "kafka/client/errors.h"
#include "kafka/client/producer.h"
#include "kafka/client/worker_pool.h"

namespace wharf::kafka::client {

struct cluster_options {
  std::vector<std::string> bootstrap_servers;  // host:port
  std::string client_id = "wharf";
  std::size_t worker_threads = 4;
  std::uint64_t producer_max_in_flight_bytes = 64ull << 20;
  std::chrono::milliseconds request_timeout{10'000};            // admin and metadata calls
  std::chrono::milliseconds producer_delivery_timeout{30'000};  // message.timeout.ms
  // Any other librdkafka property, for every handle (security.protocol, sasl.*, ...).
  std::map<std::string, std::string> properties;
};

class cluster {
 public:
  virtual ~cluster() = default;

  // Creates the handles (librdkafka connects in the background; nothing blocks here) and
  // starts the worker threads. Fails on an invalid property.
  static result<std::unique_ptr<cluster>> connect(cluster_options options);

  virtual producer& shared_producer() = 0;
  virtual admin& admin_client() = 0;
  virtual worker_pool& workers() = 0;

  // A new consumer handle in options.group_id. Cheap; does not block.
  virtual result<std::unique_ptr<consumer>> new_consumer(consumer_options options) = 0;

  virtual const cluster_options& options() const = 0;

  // Flushes the producer (up to timeout), stops the workers and closes the handles.
  virtual void shutdown(std::chrono::milliseconds flush_timeout) = 0;
};

}  // namespace wharf::kafka::client
