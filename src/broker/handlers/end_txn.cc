// EndTxn (key 26): commits or aborts the producer's transaction. The markers are in the
// partitions' logs (and staged group offsets applied) before the answer.
#include "kafka/protocol/generated/end_txn.h"

#include "broker/handlers/handler.h"
#include "broker/transactions/transaction_coordinator.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void end_txn_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::end_txn_request>(ctx, responder);
  if (!request) return;
  auto& coordinator = *ctx.broker.transactions;
  kp::end_txn_response response;
  auto code = coordinator.end_transaction(request->transactional_id, request->producer_id,
                                          request->producer_epoch, request->committed);
  if (ctx.version() < 2 && code == kp::error_code::producer_fenced) {
    code = kp::error_code::invalid_producer_epoch;
  }
  response.error_code = kp::code(code);
  if (code == kp::error_code::none) {
    // v5 (KIP-890) returns the producer's identity after the transaction; without the
    // transaction.version 2 feature it is unchanged.
    response.producer_id = request->producer_id;
    response.producer_epoch = request->producer_epoch;
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
