// AddOffsetsToTxn (key 25): a transactional producer is about to commit a consumer
// group's offsets in its transaction (sendOffsetsToTransaction).
#include "kafka/protocol/generated/add_offsets_to_txn.h"

#include "broker/handlers/handler.h"
#include "broker/transactions/transaction_coordinator.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void add_offsets_to_txn_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::add_offsets_to_txn_request>(ctx, responder);
  if (!request) return;
  kp::add_offsets_to_txn_response response;
  auto code = ctx.broker.transactions->add_offsets(request->transactional_id, request->producer_id,
                                                   request->producer_epoch, request->group_id);
  if (ctx.version() < 2 && code == kp::error_code::producer_fenced) {
    code = kp::error_code::invalid_producer_epoch;
  }
  response.error_code = kp::code(code);
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
