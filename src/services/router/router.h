// wharf::router: EventBridge-style event buses, rules and targets over Kafka. An event
// bus is a Kafka topic of events in EventBridge's envelope; a rule is a consumer group
// reading its bus (or a plain Kafka topic), matching each event against its pattern and
// delivering it to its targets (Kafka topics, HTTP endpoints, Wharf functions, other
// buses) with retries and a dead-letter topic. Buses and rules live in a compacted topic;
// EventBridge's JSON 1.1 API is served at POST / on the admin listener. Pipes (a Kafka
// topic -> filter -> enrichment -> target, with Pipes' REST API at /v1/pipes) live in
// the same topic and run beside the rules.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace wharf::http {
class router;
}
namespace wharf::metrics {
class registry;
}
namespace wharf::kafka::client {
class cluster;
}

namespace wharf::router {

// How a rule target reaches a Wharf function: returns the error message when the
// invocation failed, nullopt on success. Empty: function targets are refused.
using function_invoker =
    std::function<std::optional<std::string>(const std::string& name, const std::string& input)>;

struct service_options {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string topic = "_wharf_router";          // where buses and rules are stored
  std::string bus_topic_prefix = "wharf.bus.";  // bus <name> is topic <prefix><name>
  int bus_partitions = -1;                      // -1: the cluster's default
  std::string rules_json;                       // the config file's router.rules
  std::string api_destinations_json;            // the config file's router.api_destinations
  std::string pipes_json;                       // the config file's router.pipes
  std::chrono::milliseconds retry_backoff{1'000};
  std::chrono::milliseconds retry_backoff_max{60'000};
  std::chrono::milliseconds timeout{10'000};  // Kafka writes
  function_invoker invoke_function;
  // How a pipe's enrichment (or function target) calls a Wharf function and gets its result.
  std::function<result<std::string>(const std::string& name, const std::string& input)>
      call_function;
  std::function<bool(const std::string&)> function_exists;
  // The backbone's MSK-style ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<id>),
  // empty until known: a pipe's MSK source must name this cluster. Unset: any does.
  std::function<std::string()> backbone_arn;
};

// Problems in router.rules, router.api_destinations and router.pipes, for `wharf config
// check`.
std::vector<std::string> check_config(const std::string& rules_json,
                                      const std::string& api_destinations_json,
                                      const std::string& pipes_json = {});

class service {
 public:
  virtual ~service() = default;

  static result<std::unique_ptr<service>> start(service_options options,
                                                kafka::client::cluster& kafka,
                                                metrics::registry* metrics);

  // POST / with X-Amz-Target: AWSEvents.<Operation>.
  virtual void add_routes(http::router& routes) = 0;
  virtual bool ready() const = 0;
  virtual void shutdown() = 0;
  // The rules ("<bus>/<rule>") with a target invoking the Wharf function name, so that
  // the function API can refuse to delete a function still in use.
  virtual std::vector<std::string> rules_using_function(const std::string& name) const = 0;
};

}  // namespace wharf::router
