// LeaveGroup (key 13): members leave (v3+: several at once, also by group instance id
// alone), and the group rebalances without them.
#include "kafka/protocol/generated/leave_group.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void leave_group_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::leave_group_request>(ctx, responder);
  if (!request) return;
  std::vector<groups::leave_member> leaving;
  if (ctx.version() < 3) {
    leaving.push_back({request->member_id, std::nullopt});
  } else {
    for (const auto& m : request->members) leaving.push_back({m.member_id, m.group_instance_id});
  }
  auto result = ctx.broker.groups->leave(request->group_id, leaving);
  kp::leave_group_response response;
  response.error_code = kp::code(result.error);
  if (ctx.version() < 3) {
    // One member: its outcome is the response's.
    if (result.error == kp::error_code::none && !result.members.empty()) {
      response.error_code = kp::code(result.members[0]);
    }
  } else if (result.error == kp::error_code::none) {
    for (std::size_t i = 0; i < leaving.size(); ++i) {
      kp::leave_group_response::member_response m;
      m.member_id = leaving[i].member_id;
      m.group_instance_id = leaving[i].group_instance_id;
      m.error_code = kp::code(result.members[i]);
      response.members.push_back(std::move(m));
    }
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
