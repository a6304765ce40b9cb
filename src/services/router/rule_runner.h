// Runs one enabled rule: a consumer in the rule's group reads its bus (or source topic),
// matches each event against the rule's pattern and delivers matches to every target,
// retrying with backoff and dead-lettering what cannot be delivered; offsets are
// committed only once every target of an event is done (delivered or dead-lettered).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "services/router/model.h"

namespace wharf::kafka::client {
class cluster;
}
namespace wharf::metrics {
class registry;
}

namespace wharf::router {

struct runner_settings {
  rule_def rule;
  std::string rule_arn;
  std::string topic;         // what the rule reads
  bool plain_topic = false;  // records are wrapped as events unless JSON objects
  std::string group_id;
  std::int64_t start_ms = 0;  // events older than the rule are not its business
  std::vector<target_spec> targets;
  std::string account;
  std::string region;
  std::string bus_topic_prefix;
  std::map<std::string, api_destination> destinations;
  std::function<std::optional<std::string>(const std::string&, const std::string&)> invoke_function;
  std::chrono::milliseconds retry_backoff{1'000};
  std::chrono::milliseconds retry_backoff_max{60'000};
  // Cleared as soon as the store learns the rule was disabled or deleted, before the
  // runner is stopped: events read after that are left uncommitted, not delivered.
  std::shared_ptr<std::atomic<bool>> active = std::make_shared<std::atomic<bool>>(true);
};

class rule_runner {
 public:
  virtual ~rule_runner() = default;
  static result<std::unique_ptr<rule_runner>> start(runner_settings settings,
                                                    kafka::client::cluster& kafka,
                                                    metrics::registry* metrics);
  // Stops after the event in hand (its retries end early; it stays uncommitted).
  virtual void stop() = 0;
};

}  // namespace wharf::router
