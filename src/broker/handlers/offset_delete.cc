// OffsetDelete (key 47): removes some committed offsets of a group. Offsets of topics an
// active consumer group still subscribes to stay (GROUP_SUBSCRIBED_TO_TOPIC).
#include "kafka/protocol/generated/offset_delete.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void offset_delete_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::offset_delete_request>(ctx, responder);
  if (!request) return;
  kp::offset_delete_response response;
  std::vector<groups::topic_partition> partitions;
  std::vector<std::pair<std::size_t, std::size_t>> slots;
  for (const auto& topic_request : request->topics) {
    kp::offset_delete_response::offset_delete_response_topic topic_out;
    topic_out.name = topic_request.name;
    auto t = ctx.broker.topics->find(topic_request.name);
    for (const auto& p : topic_request.partitions) {
      kp::offset_delete_response::offset_delete_response_partition out;
      out.partition_index = p.partition_index;
      if (!t || p.partition_index < 0 ||
          static_cast<std::size_t>(p.partition_index) >= t->partitions.size()) {
        out.error_code = kp::code(kp::error_code::unknown_topic_or_partition);
      } else {
        slots.emplace_back(response.topics.size(), topic_out.partitions.size());
        partitions.push_back({topic_request.name, p.partition_index});
      }
      topic_out.partitions.push_back(out);
    }
    response.topics.push_back(std::move(topic_out));
  }
  auto result = ctx.broker.groups->delete_offsets(request->group_id, partitions);
  if (result.error != kp::error_code::none) {
    // A group-level error answers the whole request, without partitions.
    response.topics.clear();
    response.error_code = kp::code(result.error);
  } else {
    for (std::size_t i = 0; i < result.partitions.size(); ++i) {
      auto [topic, partition] = slots[i];
      response.topics[topic].partitions[partition].error_code = kp::code(result.partitions[i]);
    }
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
