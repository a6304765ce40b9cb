// OffsetCommit (key 8): stores a group's consumed positions. Partitions of unknown topics
// are refused here; the group coordinator checks the member and generation and writes
// the offsets to __consumer_offsets.
#include "kafka/protocol/generated/offset_commit.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void offset_commit_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::offset_commit_request>(ctx, responder);
  if (!request) return;
  groups::commit_request commit;
  commit.group_id = request->group_id;
  commit.generation = request->generation_id_or_member_epoch;
  commit.member_id = request->member_id;
  commit.group_instance_id = request->group_instance_id;
  commit.retention_ms = ctx.version() <= 4 ? request->retention_time_ms : -1;
  commit.api_version = ctx.version();

  kp::offset_commit_response response;
  // Where each partition's answer goes: (topic index, partition index) by commit entry.
  std::vector<std::pair<std::size_t, std::size_t>> slots;
  for (const auto& topic_request : request->topics) {
    kp::offset_commit_response::offset_commit_response_topic topic_out;
    topic_out.name = topic_request.name;
    auto t = ctx.broker.topics->find(topic_request.name);
    for (const auto& p : topic_request.partitions) {
      kp::offset_commit_response::offset_commit_response_partition out;
      out.partition_index = p.partition_index;
      if (!t || p.partition_index < 0 ||
          static_cast<std::size_t>(p.partition_index) >= t->partitions.size()) {
        out.error_code = kp::code(kp::error_code::unknown_topic_or_partition);
      } else {
        slots.emplace_back(response.topics.size(), topic_out.partitions.size());
        commit.entries.push_back({{topic_request.name, p.partition_index},
                                  p.committed_offset,
                                  p.committed_leader_epoch,
                                  p.committed_metadata.value_or("")});
      }
      topic_out.partitions.push_back(out);
    }
    response.topics.push_back(std::move(topic_out));
  }
  if (!commit.entries.empty()) {
    auto errors = ctx.broker.groups->commit_offsets(commit);
    for (std::size_t i = 0; i < errors.size(); ++i) {
      auto [topic, partition] = slots[i];
      response.topics[topic].partitions[partition].error_code = kp::code(errors[i]);
    }
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
