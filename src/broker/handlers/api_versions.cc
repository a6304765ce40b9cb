// ApiVersions (key 18): the versions of every API this broker serves.
#include "kafka/protocol/generated/api_versions.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void api_versions_handler::handle(request_context& ctx, net::frame_responder responder) {
  kp::api_versions_response response;
  for (const auto& h : api_handlers()) {
    kp::api_versions_response::api_version v;
    v.api_key = static_cast<std::int16_t>(h.key);
    v.min_version = h.min_version;
    v.max_version = h.max_version;
    response.api_keys.push_back(v);
  }
  // The request body (client name and version, v3+) is informational; a malformed one
  // gets INVALID_REQUEST as Kafka answers it.
  if (ctx.version() >= 3) {
    auto request = kp::decode_request_body<kp::api_versions_request>(ctx.frame);
    if (!request) response.error_code = kp::code(kp::error_code::invalid_request);
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
