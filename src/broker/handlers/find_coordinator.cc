// FindCoordinator (key 10): this node coordinates every consumer group and transactional
// id. v0-3 ask for one key; v4+ for a batch (coordinator_keys).
#include "kafka/protocol/generated/find_coordinator.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

constexpr std::int8_t group_key = 0;
constexpr std::int8_t transaction_key = 1;

}  // namespace

void find_coordinator_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::find_coordinator_request>(ctx, responder);
  if (!request) return;
  kp::find_coordinator_response response;
  const auto& broker = ctx.broker;
  bool known_type = request->key_type == group_key || request->key_type == transaction_key;
  auto error = known_type ? kp::error_code::none : kp::error_code::invalid_request;
  if (ctx.version() < 4) {
    response.error_code = kp::code(error);
    if (known_type) {
      response.error_message = std::nullopt;
      response.node_id = broker.options.node_id;
      response.host = broker.advertised_host;
      response.port = broker.advertised_port;
    } else {
      response.error_message = "Unknown coordinator type";
      response.node_id = -1;
      response.port = -1;
    }
  } else {
    for (const auto& key : request->coordinator_keys) {
      kp::find_coordinator_response::coordinator c;
      c.key = key;
      c.error_code = kp::code(error);
      if (known_type) {
        c.error_message = std::nullopt;
        c.node_id = broker.options.node_id;
        c.host = broker.advertised_host;
        c.port = broker.advertised_port;
      } else {
        c.error_message = "Unknown coordinator type";
        c.node_id = -1;
        c.port = -1;
      }
      response.coordinators.push_back(std::move(c));
    }
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
