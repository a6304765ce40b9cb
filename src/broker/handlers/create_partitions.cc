// CreatePartitions (key 37): grows a topic's partition count.
#include "kafka/protocol/generated/create_partitions.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void create_partitions_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::create_partitions_request>(ctx, responder);
  if (!request) return;
  kp::create_partitions_response response;
  for (const auto& t : request->topics) {
    kp::create_partitions_response::create_partitions_topic_result r;
    r.name = t.name;
    bool bad_assignment = false;
    if (t.assignments) {
      for (const auto& a : *t.assignments) {
        for (auto id : a.broker_ids) bad_assignment |= id != ctx.broker.options.node_id;
        bad_assignment |= a.broker_ids.size() != 1;
      }
    }
    if (bad_assignment) {
      r.error_code = kp::code(kp::error_code::invalid_replica_assignment);
      r.error_message = "Every new partition must be assigned to broker " +
                        std::to_string(ctx.broker.options.node_id) + " alone";
    } else if (auto grown =
                   ctx.broker.topics->add_partitions(t.name, t.count, request->validate_only);
               !grown) {
      r.error_code = grown.err().kafka_code();
      r.error_message = grown.err().message;
    }
    response.results.push_back(std::move(r));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
