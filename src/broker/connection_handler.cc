#include "broker/connection_handler.h"

#include <chrono>

#include "base/logging.h"
#include "broker/handlers/handler.h"
#include "kafka/protocol/generated/api_versions.h"

namespace wharf::broker {

namespace kp = kafka::protocol;

namespace {

// KIP-511: a client that asks for an ApiVersions version we do not know gets a v0 body
// with UNSUPPORTED_VERSION and, as Kafka answers, the ApiVersions range alone, so it can
// retry with a version we do know.
std::string api_versions_fallback(std::int32_t correlation_id) {
  kp::api_versions_response response;
  response.error_code = kp::code(kp::error_code::unsupported_version);
  const auto* h = find_handler(kp::api_key::api_versions);
  kp::api_versions_response::api_version v;
  v.api_key = static_cast<std::int16_t>(h->key);
  v.min_version = h->min_version;
  v.max_version = h->max_version;
  response.api_keys.push_back(v);
  std::string out;
  kp::encode_response_frame(out, correlation_id, 0, response);
  return out;
}

}  // namespace

void report_malformed_request(const request_context& ctx, const std::string& why) {
  logging::get("kafka")->warn("closing connection from {}: malformed {} v{} request: {}",
                              ctx.connection.remote_address, kp::api_name(ctx.frame.key),
                              ctx.frame.version, why);
}

std::string client_host(const request_context& ctx) {
  // remote_address is "<ip>:<port>" (IPv6 without brackets): drop the port.
  const auto& remote = ctx.connection.remote_address;
  auto colon = remote.rfind(':');
  return "/" + (colon == std::string::npos ? remote : remote.substr(0, colon));
}

connection_handler::connection_handler(std::shared_ptr<broker_state> state)
    : state_(std::move(state)), log_(logging::get("kafka")) {}

void connection_handler::on_frame(net::connection_context& connection, std::string frame,
                                  net::frame_responder respond) {
  auto decoded = kp::decode_request_frame(frame);
  if (!decoded) {
    auto prefix = kp::peek_request_prefix(frame);
    if (prefix && prefix->api_key == static_cast<std::int16_t>(kp::api_key::api_versions)) {
      respond(net::frame_reply::respond(api_versions_fallback(prefix->correlation_id)));
      return;
    }
    log_->warn("closing connection from {}: {}", connection.remote_address,
               decoded.err().message());
    respond(net::frame_reply::close_connection());
    return;
  }
  const auto* handler = find_handler(decoded->key);
  if (!handler || decoded->version < handler->min_version ||
      decoded->version > handler->max_version) {
    if (decoded->key == kp::api_key::api_versions) {
      respond(net::frame_reply::respond(api_versions_fallback(decoded->correlation_id())));
      return;
    }
    log_->warn("closing connection from {}: {} v{} is not served by this broker",
               connection.remote_address, kp::api_name(decoded->key), decoded->version);
    respond(net::frame_reply::close_connection());
    return;
  }
  // Requests counted and timed per API, under MSK's names (kafka.network:RequestMetrics).
  const auto& api_metrics = state_->per_api[static_cast<std::size_t>(decoded->key)];
  api_metrics.requests->inc();
  auto* latency = api_metrics.latency;
  auto started = std::chrono::steady_clock::now();
  auto timed = [respond = std::move(respond), latency, started](net::frame_reply reply) {
    latency->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    respond(std::move(reply));
  };
  // The frame (and the views into it) lives until handle() returns: handlers that answer
  // later copy what they need first.
  request_context ctx{connection, *decoded, *state_};
  handler->handle(ctx, std::move(timed));
}

}  // namespace wharf::broker
