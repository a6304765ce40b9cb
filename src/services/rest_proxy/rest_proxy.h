// wharf::rest_proxy: Confluent's REST Proxy API (v2, and v3's clusters, topics,
// partitions and records) on its own HTTP listener, reaching Kafka only through
// kafka/client, so it serves the embedded broker and any Apache Kafka cluster alike.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "http/message.h"
#include "http/server.h"
#include "services/rest_proxy/consumer_instances.h"

namespace wharf::net {
class io_runtime;
}
namespace wharf::metrics {
class registry;
}
namespace wharf::kafka::client {
class cluster;
}
namespace wharf::http::security {
class gatekeeper;
}

namespace wharf::rest_proxy {

// Runs before every route with the route's operation name ("v2.produce",
// "v2.consumers.records", "v3.topics.create", ...); an answer it returns is sent instead
// of the route's (authentication and authorization go here).
using request_filter =
    std::function<std::optional<http::response>(const http::request&, std::string_view operation)>;

struct produce_limits {
  // Record bytes one streamed produce request may have waiting for Kafka; past it the
  // proxy stops reading that request's body until acknowledgements catch up.
  std::uint64_t stream_max_in_flight_bytes = 16ull << 20;
  // Largest record (its JSON) in a streamed produce request.
  std::uint64_t max_record_bytes = 16ull << 20;
  // Most entries in one records:batch request.
  std::size_t batch_max_entries = 1000;
};

struct service_options {
  http::server_options http;
  consumer_limits consumers;
  // Produce requests trust topic metadata this old; a topic missing from it is looked up
  // again before the answer is "not found".
  std::chrono::milliseconds metadata_max_age{5'000};
  // Authentication, per-topic access rules, rate limits and CORS (docs/rest-proxy.md,
  // Security); null serves everyone, as Confluent's proxy does by default.
  std::shared_ptr<const http::security::gatekeeper> security;
  request_filter filter;  // runs after security lets the request through
  produce_limits produce;
  // Where the avro format registers and fetches schemas; empty: avro is refused.
  std::string schema_registry_url;
  std::chrono::milliseconds schema_registry_timeout{10'000};
  std::string schema_registry_authorization;  // Authorization header value, empty for none
};

// The operations access rules name ("principal:operation:topic pattern").
const std::vector<std::string>& access_rule_operations();

class service {
 public:
  virtual ~service() = default;

  // Starts the listener. Fails if it cannot bind. Kafka need not be reachable yet.
  static result<std::unique_ptr<service>> start(net::io_runtime& runtime, service_options options,
                                                kafka::client::cluster& kafka,
                                                metrics::registry* metrics);

  virtual std::string url() const = 0;
  // Listening, and the last metadata request reached the Kafka cluster.
  virtual bool ready() const = 0;
  virtual void stop_accepting() = 0;
  // Lets in-flight requests finish (as http::server::drain), then closes every consumer
  // instance. Returns true if everything finished in time.
  virtual bool shutdown(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace wharf::rest_proxy
