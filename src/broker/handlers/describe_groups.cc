// DescribeGroups (key 15): state, protocol and members of groups. A group this broker does
// not know is reported Dead without an error, as Kafka reports it.
#include "kafka/protocol/generated/describe_groups.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void describe_groups_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::describe_groups_request>(ctx, responder);
  if (!request) return;
  kp::describe_groups_response response;
  for (const auto& id : request->groups) {
    auto d = ctx.broker.groups->describe_group(id);
    kp::describe_groups_response::described_group out;
    out.error_code = kp::code(d.error);
    out.group_id = id;
    out.group_state = groups::state_name(d.state);
    out.protocol_type = d.protocol_type;
    out.protocol_data = d.protocol;
    out.authorized_operations =
        request->include_authorized_operations ? all_group_operations : operations_not_requested;
    for (auto& m : d.members) {
      kp::describe_groups_response::described_group_member member;
      member.member_id = std::move(m.member_id);
      member.group_instance_id = std::move(m.group_instance_id);
      member.client_id = std::move(m.client_id);
      member.client_host = std::move(m.client_host);
      member.member_metadata = std::move(m.metadata);
      member.member_assignment = std::move(m.assignment);
      out.members.push_back(std::move(member));
    }
    response.groups.push_back(std::move(out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
