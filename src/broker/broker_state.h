// What every API handler of the broker can reach: options, identity, metrics.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "broker/append_notifier.h"
#include "broker/broker.h"
#include "broker/fetch_sessions.h"
#include "broker/groups/coordinator.h"
#include "broker/producer_ids.h"
#include "broker/topic_manager.h"
#include "broker/transactions/transaction_coordinator.h"
#include "kafka/protocol/generated/api_keys.h"
#include "metrics/registry.h"

namespace wharf::net {
class io_runtime;
}

namespace wharf::broker {

struct broker_state {
  broker_options options;
  std::string cluster_id;
  std::string advertised_host;
  std::int32_t advertised_port = 0;
  net::io_runtime* runtime = nullptr;
  metrics::registry* metrics = nullptr;
  std::unique_ptr<topic_manager> topics;
  std::unique_ptr<producer_id_allocator> producer_ids;
  std::unique_ptr<transaction_coordinator> transactions;
  append_notifier appends;
  std::unique_ptr<fetch_session_cache> fetch_sessions = std::make_unique<fetch_session_cache>();
  // Consumer groups and committed offsets (declared after the topics it writes to).
  std::shared_ptr<groups::group_coordinator> groups;

  // MSK's names (the JMX exporter's rendering of kafka.server:type=BrokerTopicMetrics).
  metrics::family<metrics::counter>* topic_counters = nullptr;     // {name, topic}
  metrics::family<metrics::counter>* request_counters = nullptr;   // {name, request}
  metrics::family<metrics::histogram>* request_latency = nullptr;  // {request}
  // The children of the two families above for every served API, looked up once at start
  // so a request costs two atomic updates, not two locked map lookups.
  struct api_metrics {
    metrics::counter* requests = nullptr;
    metrics::histogram* latency = nullptr;
  };
  std::array<api_metrics, kafka::protocol::max_api_key + 1> per_api{};
  // Per-topic counters for one metric name, looked up once per request.
  metrics::counter& topic_counter(const char* name, const std::string& topic) {
    return topic_counters->with({name, topic});
  }
};

}  // namespace wharf::broker
