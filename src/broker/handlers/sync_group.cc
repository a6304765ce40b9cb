// SyncGroup (key 14): the leader hands in the assignment; every member gets its own once
// the leader's has arrived (followers wait for it: a long poll).
#include "kafka/protocol/generated/sync_group.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void sync_group_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::sync_group_request>(ctx, responder);
  if (!request) return;
  auto version = ctx.version();
  auto correlation_id = ctx.frame.correlation_id();
  auto answer = [responder = std::move(responder), version,
                 correlation_id](groups::sync_response result) {
    kp::sync_group_response out;
    out.error_code = kp::code(result.error);
    out.protocol_type = std::move(result.protocol_type);
    out.protocol_name = std::move(result.protocol_name);
    out.assignment = std::move(result.assignment);
    std::string bytes;
    kp::encode_response_frame(bytes, correlation_id, version, out);
    responder(net::frame_reply::respond(std::move(bytes)));
  };
  // From v5 the client names the protocol type and name it joined with.
  if (version >= 5 && (!request->protocol_type || !request->protocol_name)) {
    groups::sync_response refused;
    refused.error = kp::error_code::inconsistent_group_protocol;
    answer(std::move(refused));
    return;
  }
  groups::sync_request r;
  r.group_id = std::move(request->group_id);
  r.generation = request->generation_id;
  r.member_id = std::move(request->member_id);
  r.group_instance_id = std::move(request->group_instance_id);
  r.protocol_type = std::move(request->protocol_type);
  r.protocol_name = std::move(request->protocol_name);
  for (auto& a : request->assignments) {
    r.assignments.emplace_back(std::move(a.member_id), std::move(a.assignment));
  }
  ctx.broker.groups->sync(std::move(r), std::move(answer));
}

}  // namespace wharf::broker::handlers
