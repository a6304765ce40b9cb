// What rules and pipes share to reach their targets: a Kafka write that waits for its
// delivery report, an HTTP call to an API destination (or a URL) with EventBridge's
// retryable answers, and the retry backoff with jitter.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "services/router/model.h"

namespace wharf::kafka::client {
class cluster;
struct outgoing_record;
}  // namespace wharf::kafka::client

namespace wharf::router {

struct delivery_outcome {
  delivery_outcome() = default;
  delivery_outcome(bool succeeded, bool can_retry, std::string error_code, std::string text,
                   std::string answer = {})
      : ok(succeeded),
        retryable(can_retry),
        code(std::move(error_code)),
        message(std::move(text)),
        body(std::move(answer)) {}

  bool ok = true;
  bool retryable = true;
  std::string code;     // HTTP_<status>, SDK_CLIENT_ERROR, KAFKA_<error>, ...
  std::string message;  // for humans and dead letters
  std::string body;     // an HTTP answer's body (an enrichment's result)
};

// Queues one record; the future holds the outcome of its delivery report.
std::future<delivery_outcome> produce_async(kafka::client::cluster& kafka,
                                            kafka::client::outgoing_record record);

// Produces one record and waits for its delivery report.
delivery_outcome produce_and_wait(kafka::client::cluster& kafka,
                                  kafka::client::outgoing_record record);

struct http_delivery {
  std::string destination;  // an api_destinations name, or an http(s):// URL
  std::vector<std::pair<std::string, std::string>> header_parameters;
  std::vector<std::pair<std::string, std::string>> query_parameters;
  std::string body;
  std::string user_agent = "Amazon/EventBridge/ApiDestinations";
};

// Calls the endpoint; throttle (may be empty) runs before the call to a declared
// destination. 401, 407, 409, 429, 5xx and connection failures are retryable.
delivery_outcome call_http(const std::map<std::string, api_destination>& destinations,
                           const http_delivery& call,
                           const std::function<void(const api_destination&)>& throttle = {});

// The wait before retry attempt+1: base doubled per attempt up to max, then a random
// point between half of it and all of it.
std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base,
                                      std::chrono::milliseconds max);

}  // namespace wharf::router
