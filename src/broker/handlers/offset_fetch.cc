// OffsetFetch (key 9): a group's committed offsets, for the partitions asked for or (a
// null topic list) all of them. v8+ asks about several groups at once. A group or
// partition without a committed offset answers -1 without an error, as Kafka does.
#include "kafka/protocol/generated/offset_fetch.h"

#include <map>

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

struct requested_topic {
  const std::string* name;
  const std::vector<std::int32_t>* partitions;
};

// The offsets of one group, grouped by topic in request order (or by name for "all").
template <typename TopicOut, typename PartitionOut>
std::pair<kp::error_code, std::vector<TopicOut>> fetch_group(
    request_context& ctx, const std::string& group_id,
    const std::optional<std::vector<requested_topic>>& topics, bool require_stable) {
  std::optional<std::vector<groups::topic_partition>> wanted;
  if (topics) {
    wanted.emplace();
    for (const auto& t : *topics) {
      for (auto p : *t.partitions) wanted->push_back({*t.name, p});
    }
  }
  auto result = ctx.broker.groups->fetch_offsets(group_id, wanted, require_stable);
  std::vector<TopicOut> out;
  if (result.error != kp::error_code::none) return {result.error, std::move(out)};
  std::map<std::string, std::size_t> index;
  for (const auto& f : result.offsets) {
    auto [it, added] = index.emplace(f.tp.topic, out.size());
    if (added) {
      out.emplace_back();
      out.back().name = f.tp.topic;
    }
    PartitionOut p;
    p.partition_index = f.tp.partition;
    p.committed_offset = f.offset;
    p.committed_leader_epoch = f.leader_epoch;
    p.metadata = f.metadata;
    p.error_code = kp::code(f.error);
    out[it->second].partitions.push_back(std::move(p));
  }
  return {kp::error_code::none, std::move(out)};
}

}  // namespace

void offset_fetch_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::offset_fetch_request>(ctx, responder);
  if (!request) return;
  kp::offset_fetch_response response;
  if (ctx.version() >= 8) {
    for (const auto& g : request->groups) {
      std::optional<std::vector<requested_topic>> topics;
      if (g.topics) {
        topics.emplace();
        for (const auto& t : *g.topics) topics->push_back({&t.name, &t.partition_indexes});
      }
      auto [error, out] = fetch_group<kp::offset_fetch_response::offset_fetch_response_topics,
                                      kp::offset_fetch_response::offset_fetch_response_partitions>(
          ctx, g.group_id, topics, request->require_stable);
      kp::offset_fetch_response::offset_fetch_response_group group_out;
      group_out.group_id = g.group_id;
      group_out.error_code = kp::code(error);
      group_out.topics = std::move(out);
      response.groups.push_back(std::move(group_out));
    }
    respond(ctx, responder, response);
    return;
  }
  std::optional<std::vector<requested_topic>> topics;
  if (request->topics) {
    topics.emplace();
    for (const auto& t : *request->topics) topics->push_back({&t.name, &t.partition_indexes});
  }
  auto [error, out] = fetch_group<kp::offset_fetch_response::offset_fetch_response_topic,
                                  kp::offset_fetch_response::offset_fetch_response_partition>(
      ctx, request->group_id, topics, request->require_stable);
  if (error != kp::error_code::none && ctx.version() < 2) {
    // v1 has no top-level error: every partition asked for carries it.
    out.clear();
    for (const auto& t : topics.value_or(std::vector<requested_topic>{})) {
      kp::offset_fetch_response::offset_fetch_response_topic topic_out;
      topic_out.name = *t.name;
      for (auto p : *t.partitions) {
        kp::offset_fetch_response::offset_fetch_response_partition po;
        po.partition_index = p;
        po.committed_offset = -1;
        po.error_code = kp::code(error);
        topic_out.partitions.push_back(po);
      }
      out.push_back(std::move(topic_out));
    }
  }
  response.error_code = kp::code(error);
  response.topics = std::move(out);
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
