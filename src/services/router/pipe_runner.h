// Runs one pipe whose desired state is RUNNING: a consumer in the pipe's group reads its
// source topic in batches (BatchSize, MaximumBatchingWindowInSeconds), turns each record
// into Pipes' Kafka payload, keeps those a filter matches, sends the batch through the
// enrichment (which may return fewer or more items) and delivers what comes out to the
// target, retrying failures with backoff; offsets are committed once a batch is done.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/result.h"
#include "services/router/model.h"
#include "services/router/pipe_model.h"

namespace wharf::kafka::client {
class cluster;
}
namespace wharf::metrics {
class registry;
}

namespace wharf::router {

// Invokes a Wharf function and returns its result (the function's output), or an error.
using function_caller =
    std::function<result<std::string>(const std::string& name, const std::string& input)>;

struct pipe_runner_settings {
  std::string pipe_name;
  std::string pipe_arn;
  pipe_plan plan;
  std::string group_id;
  std::string account;
  std::string region;
  std::string bus_topic_prefix;
  std::map<std::string, api_destination> destinations;
  function_caller call_function;
  std::chrono::milliseconds retry_backoff{1'000};
  std::chrono::milliseconds retry_backoff_max{60'000};
  // Cleared as soon as the store learns the pipe was stopped or deleted: batches read
  // after that are left uncommitted, not delivered.
  std::shared_ptr<std::atomic<bool>> active = std::make_shared<std::atomic<bool>>(true);
};

class pipe_runner {
 public:
  virtual ~pipe_runner() = default;
  static result<std::unique_ptr<pipe_runner>> start(pipe_runner_settings settings,
                                                    kafka::client::cluster& kafka,
                                                    metrics::registry* metrics);
  // Stops after the batch in hand (its retries end early; it stays uncommitted).
  virtual void stop() = 0;
  // Why the pipe is not delivering, while an enrichment or target keeps failing; empty
  // when all is well.
  virtual std::string state_reason() const = 0;
};

}  // namespace wharf::router
