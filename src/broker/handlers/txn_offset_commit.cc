// TxnOffsetCommit (key 28): offsets a transactional producer commits for a consumer
// group; they become the group's committed offsets only if the transaction commits.
#include "kafka/protocol/generated/txn_offset_commit.h"

#include "broker/handlers/handler.h"
#include "broker/transactions/transaction_coordinator.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void txn_offset_commit_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::txn_offset_commit_request>(ctx, responder);
  if (!request) return;
  std::vector<pending_offset> offsets;
  std::map<std::pair<std::string, std::int32_t>, kp::error_code> errors;
  for (const auto& t : request->topics) {
    auto topic = ctx.broker.topics->find(t.name);
    for (const auto& p : t.partitions) {
      bool known = topic && p.partition_index >= 0 &&
                   static_cast<std::size_t>(p.partition_index) < topic->partitions.size();
      if (!known) {
        errors[{t.name, p.partition_index}] = kp::error_code::unknown_topic_or_partition;
        continue;
      }
      if (p.committed_metadata && p.committed_metadata->size() > 4096) {
        errors[{t.name, p.partition_index}] = kp::error_code::offset_metadata_too_large;
        continue;
      }
      offsets.push_back({t.name, p.partition_index, p.committed_offset, p.committed_leader_epoch,
                         p.committed_metadata});
    }
  }
  auto code = kp::error_code::none;
  if (!offsets.empty()) {
    code =
        ctx.broker.transactions->stage_offsets(request->transactional_id, request->producer_id,
                                               request->producer_epoch, request->group_id, offsets);
    if (code == kp::error_code::none) {
      // The group coordinator answers OffsetFetch(require_stable) with
      // UNSTABLE_OFFSET_COMMIT for these until the transaction ends.
      std::vector<groups::commit_entry> entries;
      for (const auto& o : offsets) {
        entries.push_back(
            {{o.topic, o.partition}, o.offset, o.leader_epoch, o.metadata.value_or("")});
      }
      ctx.broker.groups->stage_transactional_offsets(request->group_id, request->producer_id,
                                                     entries);
    }
    if (ctx.version() < 2 && code == kp::error_code::producer_fenced) {
      code = kp::error_code::invalid_producer_epoch;
    }
  }
  kp::txn_offset_commit_response response;
  for (const auto& t : request->topics) {
    kp::txn_offset_commit_response::txn_offset_commit_response_topic topic;
    topic.name = t.name;
    for (const auto& p : t.partitions) {
      kp::txn_offset_commit_response::txn_offset_commit_response_partition out;
      out.partition_index = p.partition_index;
      auto it = errors.find({t.name, p.partition_index});
      out.error_code = kp::code(it != errors.end() ? it->second : code);
      topic.partitions.push_back(out);
    }
    response.topics.push_back(std::move(topic));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
