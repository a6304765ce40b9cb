// wharf::registry: Confluent's Schema Registry API on its own HTTP listener (8081 by
// default), its state in a Kafka topic reached only through kafka/client, so it serves
// the embedded broker and any Apache Kafka cluster alike.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

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

namespace wharf::http::security {
class gatekeeper;
}

namespace wharf::registry {

// The operations access rules name for subjects ("principal:operation:subject pattern"):
// read (schemas, versions, lookups, compatibility checks, settings), write (register),
// delete (versions and subjects) and admin (compatibility and mode settings; on every
// subject for the global ones). Any of them also lets the principal read the subject.
const std::vector<std::string>& access_rule_operations();

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
  // Authentication, subject access rules, rate limits and CORS; null: open to everyone.
  std::shared_ptr<const http::security::gatekeeper> security;
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
