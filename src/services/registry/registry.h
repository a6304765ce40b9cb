// wharf::registry: Confluent's Schema Registry API on its own HTTP listener (8081 by
// default), its state in a Kafka topic reached only through kafka/client, so it serves
// the embedded broker and any Apache Kafka cluster alike.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/result.h"
#include "http/server.h"

namespace wharf::net {
class io_runtime;
}
namespace wharf::metrics {
class registry;
}
namespace wharf::kafka::client {
class cluster;
}

namespace wharf::registry {

struct service_options {
  http::server_options http;
  std::string topic = "_schemas";
  std::string default_compatibility = "BACKWARD";
  std::chrono::milliseconds timeout{10'000};  // Kafka writes and catching up
  // The Kafka group whose partition owner writes (Confluent's schema.registry.group.id).
  std::string group_id = "schema-registry";
  // How other instances reach this one to forward writes; empty: the listener's URL.
  std::string advertised_url;
  std::chrono::milliseconds session_timeout{10'000};
};

class service {
 public:
  virtual ~service() = default;

  // Opens the topic (creating it if needed), reads it to its end, then listens.
  static result<std::unique_ptr<service>> start(net::io_runtime& runtime, service_options options,
                                                kafka::client::cluster& kafka,
                                                metrics::registry* metrics);

  virtual std::string url() const = 0;
  virtual bool ready() const = 0;
  virtual void stop_accepting() = 0;
  virtual bool shutdown(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace wharf::registry
