// ListGroups (key 16): every group this broker coordinates, optionally filtered by state
// (v4+) and type (v5+; all of ours are "classic").
#include "kafka/protocol/generated/list_groups.h"

#include <algorithm>
#include <cctype>

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool listed(const std::vector<std::string>& filter, const std::string& value) {
  if (filter.empty()) return true;
  auto wanted = lower(value);
  return std::any_of(filter.begin(), filter.end(),
                     [&](const std::string& f) { return lower(f) == wanted; });
}

}  // namespace

void list_groups_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::list_groups_request>(ctx, responder);
  if (!request) return;
  kp::list_groups_response response;
  for (const auto& g : ctx.broker.groups->list_groups()) {
    std::string state = groups::state_name(g.state);
    if (!listed(request->states_filter, state) || !listed(request->types_filter, "classic")) {
      continue;
    }
    kp::list_groups_response::listed_group out;
    out.group_id = g.group_id;
    out.protocol_type = g.protocol_type;
    out.group_state = state;
    out.group_type = "classic";
    response.groups.push_back(std::move(out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
