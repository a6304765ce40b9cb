// Heartbeat (key 12): keeps a member's session alive and tells it when the group is
// rebalancing (REBALANCE_IN_PROGRESS) or it has been fenced.
#include "kafka/protocol/generated/heartbeat.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void heartbeat_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::heartbeat_request>(ctx, responder);
  if (!request) return;
  kp::heartbeat_response response;
  response.error_code = kp::code(ctx.broker.groups->heartbeat(
      request->group_id, request->generation_id, request->member_id, request->group_instance_id));
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
