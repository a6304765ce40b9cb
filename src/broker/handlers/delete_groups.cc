// DeleteGroups (key 42): removes empty groups and their committed offsets (tombstones in
// __consumer_offsets). A group with members is NON_EMPTY_GROUP, an unknown one
// GROUP_ID_NOT_FOUND.
#include "kafka/protocol/generated/delete_groups.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void delete_groups_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::delete_groups_request>(ctx, responder);
  if (!request) return;
  kp::delete_groups_response response;
  for (const auto& id : request->groups_names) {
    kp::delete_groups_response::deletable_group_result out;
    out.group_id = id;
    out.error_code = kp::code(ctx.broker.groups->delete_group(id));
    response.results.push_back(std::move(out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
