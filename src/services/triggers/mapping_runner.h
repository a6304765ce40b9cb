// Runs one event source mapping: a consumer in the mapping's group reads the topic,
// records are batched per partition (batch size, batching window, the 6 MB payload
// cap), filtered, and handed to the function with Lambda's Kafka event; offsets are
// committed only after success. A failing batch is retried with backoff, bisected if
// asked, and after the retry limit or record age goes to the failure topic (or is
// dropped); with unlimited retries and no destination the partition waits, as Lambda's
// does. Partitions run in parallel up to the function's concurrency, each in order.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/client/types.h"
#include "services/triggers/functions.h"
#include "services/triggers/lambda_event.h"

namespace wharf::kafka::client {
class cluster;
}
namespace wharf::metrics {
class registry;
}

namespace wharf::triggers {

struct retry_policy {
  int maximum_retry_attempts = -1;              // -1: until the records expire
  std::chrono::seconds maximum_record_age{-1};  // -1: records never expire
  bool bisect_on_error = false;
  std::chrono::milliseconds backoff_base{500};  // doubles per attempt, with jitter
  std::chrono::milliseconds backoff_max{30'000};
};

struct runner_settings {
  std::string uuid;
  std::string function_arn;
  std::string group_id;
  std::vector<std::string> topics;
  std::string starting_position = "LATEST";  // LATEST, TRIM_HORIZON or AT_TIMESTAMP
  std::int64_t starting_timestamp_ms = 0;    // AT_TIMESTAMP
  std::size_t batch_size = 100;
  std::chrono::milliseconds batching_window{500};
  std::size_t max_payload_bytes = 6 * 1024 * 1024;
  retry_policy retry;
  bool report_batch_item_failures = false;
  std::string failure_topic;  // empty: none
  event_source source;
  // Whether a record invokes the function; empty: every record does.
  std::function<bool(const kafka::client::consumed_record&)> filter;
};

class mapping_runner {
 public:
  virtual ~mapping_runner() = default;

  // Joins the group and starts polling; fn must outlive the runner.
  static result<std::unique_ptr<mapping_runner>> start(runner_settings settings,
                                                       kafka::client::cluster& kafka,
                                                       std::shared_ptr<function> fn,
                                                       metrics::registry* metrics);

  // Stops polling, lets running invocations end (their batches stay uncommitted unless
  // they succeed first), and leaves the group.
  virtual void stop() = 0;

  // Lambda's LastProcessingResult: "No records processed", "OK", "PROBLEM: ...".
  virtual std::string last_processing_result() const = 0;
  // Some partition keeps retrying a failing batch and goes no further.
  virtual bool blocked() const = 0;
};

}  // namespace wharf::triggers
