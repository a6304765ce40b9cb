// OffsetForLeaderEpoch (key 23): clients validate their position after a leader change.
// This broker has been the only leader, in epoch 0, for every partition's whole life.
#include "kafka/protocol/generated/offset_for_leader_epoch.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void offset_for_leader_epoch_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::offset_for_leader_epoch_request>(ctx, responder);
  if (!request) return;
  kp::offset_for_leader_epoch_response response;
  for (const auto& topic_request : request->topics) {
    kp::offset_for_leader_epoch_response::offset_for_leader_topic_result topic_out;
    topic_out.topic = topic_request.topic;
    auto t = ctx.broker.topics->find(topic_request.topic);
    for (const auto& p : topic_request.partitions) {
      kp::offset_for_leader_epoch_response::epoch_end_offset out;
      out.partition = p.partition;
      if (!t || p.partition < 0 || static_cast<std::size_t>(p.partition) >= t->partitions.size()) {
        out.error_code = kp::code(kp::error_code::unknown_topic_or_partition);
      } else if (p.current_leader_epoch > 0) {
        out.error_code = kp::code(kp::error_code::unknown_leader_epoch);
      } else if (p.leader_epoch != 0) {
        // An epoch this log never had (later, or -1): Kafka answers UNDEFINED (-1, -1).
      } else {
        out.leader_epoch = 0;
        out.end_offset = t->partitions[static_cast<std::size_t>(p.partition)]->high_watermark();
      }
      topic_out.partitions.push_back(out);
    }
    response.topics.push_back(std::move(topic_out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
