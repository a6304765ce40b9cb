// AddPartitionsToTxn (key 24): a transactional producer names the partitions it is about
// to write. v0-3 carry one transaction (clients); v4+ a batch of them (brokers, and
// verify-only checks).
#include "kafka/protocol/generated/add_partitions_to_txn.h"

#include "broker/handlers/handler.h"
#include "broker/transactions/transaction_coordinator.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

std::vector<kp::add_partitions_to_txn_response::add_partitions_to_txn_topic_result> results_for(
    const std::vector<kp::add_partitions_to_txn_request::add_partitions_to_txn_topic>& topics,
    const transaction_coordinator::add_partitions_result& result) {
  std::vector<kp::add_partitions_to_txn_response::add_partitions_to_txn_topic_result> out;
  for (const auto& t : topics) {
    kp::add_partitions_to_txn_response::add_partitions_to_txn_topic_result topic;
    topic.name = t.name;
    for (auto p : t.partitions) {
      kp::add_partitions_to_txn_response::add_partitions_to_txn_partition_result r;
      r.partition_index = p;
      if (result.error != kp::error_code::none) {
        r.partition_error_code = kp::code(result.error);
      } else {
        auto it = result.partitions.find({t.name, p});
        r.partition_error_code =
            kp::code(it == result.partitions.end() ? kp::error_code::none : it->second);
      }
      topic.results_by_partition.push_back(r);
    }
    out.push_back(std::move(topic));
  }
  return out;
}

std::vector<topic_partition> partitions_of(
    const std::vector<kp::add_partitions_to_txn_request::add_partitions_to_txn_topic>& topics) {
  std::vector<topic_partition> out;
  for (const auto& t : topics) {
    for (auto p : t.partitions) out.push_back({t.name, p});
  }
  return out;
}

// PRODUCER_FENCED is new in v2; older clients know it as INVALID_PRODUCER_EPOCH.
transaction_coordinator::add_partitions_result for_version(
    transaction_coordinator::add_partitions_result result, std::int16_t version) {
  if (version < 2 && result.error == kp::error_code::producer_fenced) {
    result.error = kp::error_code::invalid_producer_epoch;
  }
  return result;
}

}  // namespace

void add_partitions_to_txn_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::add_partitions_to_txn_request>(ctx, responder);
  if (!request) return;
  auto& coordinator = *ctx.broker.transactions;
  kp::add_partitions_to_txn_response response;
  if (ctx.version() <= 3) {
    auto result =
        for_version(coordinator.add_partitions(request->v3_and_below_transactional_id,
                                               request->v3_and_below_producer_id,
                                               request->v3_and_below_producer_epoch,
                                               partitions_of(request->v3_and_below_topics), false),
                    ctx.version());
    response.results_by_topic_v3_and_below = results_for(request->v3_and_below_topics, result);
  } else {
    for (const auto& txn : request->transactions) {
      auto result =
          coordinator.add_partitions(txn.transactional_id, txn.producer_id, txn.producer_epoch,
                                     partitions_of(txn.topics), txn.verify_only);
      kp::add_partitions_to_txn_response::add_partitions_to_txn_result out;
      out.transactional_id = txn.transactional_id;
      out.topic_results = results_for(txn.topics, result);
      response.results_by_transaction.push_back(std::move(out));
    }
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
