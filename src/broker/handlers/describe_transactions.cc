// DescribeTransactions (key 65): the coordinator's view of transactional ids
// (kafka-transactions.sh describe).
#include "kafka/protocol/generated/describe_transactions.h"

#include <map>

#include "broker/handlers/handler.h"
#include "broker/transactions/transaction_coordinator.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void describe_transactions_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::describe_transactions_request>(ctx, responder);
  if (!request) return;
  kp::describe_transactions_response response;
  for (const auto& id : request->transactional_ids) {
    kp::describe_transactions_response::transaction_state_data out;
    out.transactional_id = id;
    auto m = ctx.broker.transactions->describe(id);
    if (!m) {
      out.error_code = kp::code(kp::error_code::transactional_id_not_found);
      out.producer_id = -1;
      out.producer_epoch = -1;
      out.transaction_start_time_ms = -1;
    } else {
      out.transaction_state = std::string(transaction_status_name(m->status));
      out.transaction_timeout_ms = m->timeout_ms;
      out.transaction_start_time_ms = m->start_ms;
      out.producer_id = m->producer_id;
      out.producer_epoch = m->producer_epoch;
      std::map<std::string, std::vector<std::int32_t>> by_topic;
      for (const auto& tp : m->partitions) by_topic[tp.topic].push_back(tp.partition);
      for (auto& [topic, parts] : by_topic) {
        kp::describe_transactions_response::topic_data t;
        t.topic = topic;
        t.partitions = std::move(parts);
        out.topics.push_back(std::move(t));
      }
    }
    response.transaction_states.push_back(std::move(out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
