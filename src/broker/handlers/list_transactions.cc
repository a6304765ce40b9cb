// ListTransactions (key 66): transactional ids known to the coordinator, filtered by
// state, producer id and (v1) how long they have been running.
#include "kafka/protocol/generated/list_transactions.h"

#include <algorithm>
#include <chrono>

#include "broker/handlers/handler.h"
#include "broker/transactions/transaction_coordinator.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void list_transactions_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::list_transactions_request>(ctx, responder);
  if (!request) return;
  kp::list_transactions_response response;
  std::vector<transaction_status> states;
  for (const auto& name : request->state_filters) {
    if (auto s = parse_transaction_status(name)) {
      states.push_back(*s);
    } else {
      response.unknown_state_filters.push_back(name);
    }
  }
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  for (const auto& m : ctx.broker.transactions->list()) {
    if (!request->state_filters.empty() &&
        std::find(states.begin(), states.end(), m.status) == states.end()) {
      continue;
    }
    if (!request->producer_id_filters.empty() &&
        std::find(request->producer_id_filters.begin(), request->producer_id_filters.end(),
                  m.producer_id) == request->producer_id_filters.end()) {
      continue;
    }
    // v1: only transactions running longer than duration_filter ms.
    if (request->duration_filter >= 0 &&
        (m.start_ms < 0 || now - m.start_ms <= request->duration_filter)) {
      continue;
    }
    kp::list_transactions_response::transaction_state_data out;
    out.transactional_id = m.transactional_id;
    out.producer_id = m.producer_id;
    out.transaction_state = std::string(transaction_status_name(m.status));
    response.transaction_states.push_back(std::move(out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
