// ListOffsets (key 2): the earliest, latest or max-timestamp offset of each partition, or
// the first offset at or after a timestamp.
#include "kafka/protocol/generated/list_offsets.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

constexpr std::int64_t latest_timestamp = -1;
constexpr std::int64_t earliest_timestamp = -2;
constexpr std::int64_t max_timestamp = -3;
constexpr std::int64_t earliest_local_timestamp = -4;
constexpr std::int64_t latest_tiered_timestamp = -5;

void lookup(partition& part, std::int64_t timestamp, bool read_committed,
            kp::list_offsets_response::list_offsets_partition_response& out) {
  const auto& log = part.log();
  out.leader_epoch = 0;
  switch (timestamp) {
    case latest_timestamp:
      // read_committed consumers see the log up to the last stable offset.
      out.offset = read_committed ? part.producers().last_stable_offset(part.high_watermark())
                                  : part.high_watermark();
      return;
    case earliest_timestamp:
    case earliest_local_timestamp: out.offset = log.log_start_offset(); return;
    case latest_tiered_timestamp:
      // Nothing is tiered: Kafka answers -1 here.
      out.offset = -1;
      return;
    case max_timestamp: {
      auto found = log.max_timestamp();
      if (!found) {
        out.error_code = kp::code(kp::error_code::kafka_storage_error);
      } else if (*found) {
        out.offset = (*found)->offset;
        out.timestamp = (*found)->timestamp;
      }
      return;
    }
    default: break;
  }
  if (timestamp < 0) {
    out.error_code = kp::code(kp::error_code::invalid_request);
    return;
  }
  auto found = log.offset_for_timestamp(timestamp);
  if (!found) {
    out.error_code = kp::code(kp::error_code::kafka_storage_error);
  } else if (*found) {
    out.offset = (*found)->offset;
    out.timestamp = (*found)->timestamp;
  }
}

}  // namespace

void list_offsets_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::list_offsets_request>(ctx, responder);
  if (!request) return;

  kp::list_offsets_response response;
  for (const auto& topic_request : request->topics) {
    kp::list_offsets_response::list_offsets_topic_response topic_out;
    topic_out.name = topic_request.name;
    auto t = ctx.broker.topics->find(topic_request.name);
    for (const auto& p : topic_request.partitions) {
      kp::list_offsets_response::list_offsets_partition_response out;
      out.partition_index = p.partition_index;
      if (!t || p.partition_index < 0 ||
          static_cast<std::size_t>(p.partition_index) >= t->partitions.size()) {
        out.error_code = kp::code(kp::error_code::unknown_topic_or_partition);
      } else {
        lookup(*t->partitions[static_cast<std::size_t>(p.partition_index)], p.timestamp,
               request->isolation_level == 1, out);
        if (ctx.version() == 0 && out.offset >= 0) out.old_style_offsets.push_back(out.offset);
      }
      topic_out.partitions.push_back(out);
    }
    response.topics.push_back(std::move(topic_out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
