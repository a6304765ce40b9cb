// DeleteRecords (key 21): moves a partition's log start offset forward; -1 means up to
// the high watermark.
#include "kafka/protocol/generated/delete_records.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void delete_records_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::delete_records_request>(ctx, responder);
  if (!request) return;
  kp::delete_records_response response;
  for (const auto& topic_request : request->topics) {
    kp::delete_records_response::delete_records_topic_result topic_out;
    topic_out.name = topic_request.name;
    auto t = ctx.broker.topics->find(topic_request.name);
    for (const auto& p : topic_request.partitions) {
      kp::delete_records_response::delete_records_partition_result out;
      out.partition_index = p.partition_index;
      out.low_watermark = -1;
      if (!t || p.partition_index < 0 ||
          static_cast<std::size_t>(p.partition_index) >= t->partitions.size()) {
        out.error_code = kp::code(kp::error_code::unknown_topic_or_partition);
      } else if (!t->log.cleanup_delete) {
        // Kafka refuses to move the start of a log that only compaction may clean.
        out.error_code = kp::code(kp::error_code::policy_violation);
      } else {
        auto& part = *t->partitions[static_cast<std::size_t>(p.partition_index)];
        auto target = p.offset == -1 ? part.high_watermark() : p.offset;
        if (target < 0 || target > part.high_watermark()) {
          out.error_code = kp::code(kp::error_code::offset_out_of_range);
        } else if (auto moved = part.log().delete_records_before(target); !moved) {
          out.error_code = kp::code(kp::error_code::kafka_storage_error);
        } else {
          out.low_watermark = *moved;
        }
      }
      topic_out.partitions.push_back(out);
    }
    response.topics.push_back(std::move(topic_out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
