// FindCoordinator (key 10): this broker coordinates every group and every transactional
// id. v4+ asks for several keys at once. Finding a group coordinator creates
// __consumer_offsets on first use.
#include "kafka/protocol/generated/find_coordinator.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

constexpr std::int8_t group_key = 0;
constexpr std::int8_t transaction_key = 1;

struct coordinator_answer {
  kp::error_code error = kp::error_code::none;
  std::optional<std::string> message;
  std::int32_t node_id = -1;
  std::string host;
  std::int32_t port = -1;
};

coordinator_answer find(request_context& ctx, std::int8_t key_type) {
  coordinator_answer out;
  if (key_type == group_key) {
    out.error = ctx.broker.groups->prepare();
  } else if (key_type != transaction_key) {
    // Share groups (KIP-932) are not served.
    out.error = kp::error_code::invalid_request;
    out.message = "Unsupported key type " + std::to_string(key_type);
    return out;
  }
  if (out.error != kp::error_code::none) return out;
  out.node_id = ctx.broker.options.node_id;
  out.host = ctx.broker.advertised_host;
  out.port = ctx.broker.advertised_port;
  return out;
}

}  // namespace

void find_coordinator_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::find_coordinator_request>(ctx, responder);
  if (!request) return;
  kp::find_coordinator_response response;
  if (ctx.version() >= 4) {
    for (const auto& key : request->coordinator_keys) {
      auto answer = find(ctx, request->key_type);
      kp::find_coordinator_response::coordinator c;
      c.key = key;
      c.error_code = kp::code(answer.error);
      c.error_message = answer.message;
      c.node_id = answer.node_id;
      c.host = answer.host;
      c.port = answer.port;
      response.coordinators.push_back(std::move(c));
    }
  } else {
    auto answer = find(ctx, request->key_type);
    response.error_code = kp::code(answer.error);
    response.error_message = answer.message;
    response.node_id = answer.node_id;
    response.host = answer.host;
    response.port = answer.port;
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
