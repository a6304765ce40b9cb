// JoinGroup (key 11): a member joins (or rejoins) a group. The answer comes when the
// rebalance completes (a long poll), so later requests of the connection wait behind it,
// as they do with Kafka.
#include "kafka/protocol/generated/join_group.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void join_group_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::join_group_request>(ctx, responder);
  if (!request) return;
  groups::join_request r;
  r.group_id = std::move(request->group_id);
  r.member_id = std::move(request->member_id);
  r.group_instance_id = std::move(request->group_instance_id);
  r.client_id = ctx.frame.header.client_id.value_or("");
  r.client_host = client_host(ctx);
  r.session_timeout_ms = request->session_timeout_ms;
  // v0 has no rebalance timeout: the session timeout stands in for it, as in Kafka.
  r.rebalance_timeout_ms =
      ctx.version() == 0 ? request->session_timeout_ms : request->rebalance_timeout_ms;
  r.protocol_type = std::move(request->protocol_type);
  for (auto& p : request->protocols) {
    r.protocols.push_back({std::move(p.name), std::move(p.metadata)});
  }
  r.require_known_member_id = ctx.version() >= 4;
  r.supports_skip_assignment = ctx.version() >= 9;

  auto version = ctx.version();
  auto correlation_id = ctx.frame.correlation_id();
  ctx.broker.groups->join(std::move(r), [responder = std::move(responder), version,
                                         correlation_id](groups::join_response result) {
    kp::join_group_response out;
    out.error_code = kp::code(result.error);
    out.generation_id = result.generation;
    out.protocol_type = std::move(result.protocol_type);
    out.protocol_name = std::move(result.protocol_name);
    out.leader = std::move(result.leader);
    out.skip_assignment = result.skip_assignment;
    out.member_id = std::move(result.member_id);
    for (auto& m : result.members) {
      kp::join_group_response::join_group_response_member member;
      member.member_id = std::move(m.member_id);
      member.group_instance_id = std::move(m.group_instance_id);
      member.metadata = std::move(m.metadata);
      out.members.push_back(std::move(member));
    }
    std::string bytes;
    kp::encode_response_frame(bytes, correlation_id, version, out);
    responder(net::frame_reply::respond(std::move(bytes)));
  });
}

}  // namespace wharf::broker::handlers
