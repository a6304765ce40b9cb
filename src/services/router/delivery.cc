// Deliveries shared by rule and pipe runners (see delivery.h).
#include "services/router/delivery.h"

#include <algorithm>
#include <future>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "http/client.h"
#include "kafka/client/cluster.h"

namespace wharf::router {

namespace kc = kafka::client;

std::future<delivery_outcome> produce_async(kc::cluster& kafka, kc::outgoing_record record) {
  auto promise = std::make_shared<std::promise<delivery_outcome>>();
  auto future = promise->get_future();
  auto queued = kafka.shared_producer().produce(
      std::move(record), [promise](kc::result<kc::delivery_report> report) {
        if (report.ok()) {
          promise->set_value({});
        } else {
          promise->set_value({false,
                              report.err().retriable() || report.err().is_local(),
                              "KAFKA_" + report.err().name(),
                              report.err().message(),
                              {}});
        }
      });
  if (!queued.ok()) {
    promise->set_value(
        {false, true, "KAFKA_" + queued.err().name(), std::string(queued.err().message()), {}});
  }
  return future;
}

delivery_outcome produce_and_wait(kc::cluster& kafka, kc::outgoing_record record) {
  return produce_async(kafka, std::move(record)).get();
}

delivery_outcome call_http(const std::map<std::string, api_destination>& destinations,
                           const http_delivery& call,
                           const std::function<void(const api_destination&)>& throttle) {
  http::client_request req;
  if (call.destination.starts_with("http://") || call.destination.starts_with("https://")) {
    req.url = call.destination;
    req.method = "POST";
  } else {
    auto it = destinations.find(call.destination);
    if (it == destinations.end()) {
      return {false,
              false,
              "RESOURCE_NOT_FOUND",
              fmt::format("no API destination {} in router.api_destinations", call.destination),
              {}};
    }
    const auto& destination = it->second;
    req.url = destination.url;
    req.method = destination.method;
    req.timeout = destination.timeout;
    req.headers = destination.headers;
    if (throttle) throttle(destination);
  }
  if (!call.query_parameters.empty()) {
    std::string query;
    for (const auto& [k, v] : call.query_parameters) {
      query += (query.empty() ? "" : "&") + http::percent_encode_segment(k) + "=" +
               http::percent_encode_segment(v);
    }
    req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + query;
  }
  for (const auto& h : call.header_parameters) req.headers.push_back(h);
  req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  req.headers.emplace_back("User-Agent", call.user_agent);
  if (req.method != "GET" && req.method != "HEAD") req.body = call.body;
  auto res = http::send(req);
  if (!res.ok()) return {false, true, "SDK_CLIENT_ERROR", res.err().message(), {}};
  int code = res->status;
  if (code >= 200 && code < 300) return {true, true, {}, {}, std::move(res->body)};
  // EventBridge retries 401, 407, 409, 429 and 5xx; other answers are final.
  bool retryable = code == 401 || code == 407 || code == 409 || code == 429 || code >= 500;
  return {false,
          retryable,
          fmt::format("HTTP_{}", code),
          fmt::format("{} answered {}: {}", req.url, code, res->body.substr(0, 256)),
          {}};
}

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base,
                                      std::chrono::milliseconds max) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  auto ceiling = std::min<std::int64_t>(max.count(), base.count() << std::min(attempt, 20));
  std::uniform_int_distribution<std::int64_t> jitter(ceiling / 2,
                                                     std::max<std::int64_t>(ceiling, 1));
  return std::chrono::milliseconds(jitter(rng));
}

}  // namespace wharf::router
