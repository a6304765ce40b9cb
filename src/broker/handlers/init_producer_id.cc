// InitProducerId (key 22): a fresh producer id for an idempotent producer, or, with a
// transactional id, the transaction coordinator's id and next epoch for it (fencing the
// previous producer of that id).
#include "kafka/protocol/generated/init_producer_id.h"

#include "broker/handlers/handler.h"
#include "broker/transactions/transaction_coordinator.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void init_producer_id_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::init_producer_id_request>(ctx, responder);
  if (!request) return;
  kp::init_producer_id_response response;
  if (request->transactional_id) {
    auto identity = ctx.broker.transactions->init_producer_id(
        *request->transactional_id, request->transaction_timeout_ms, request->producer_id,
        request->producer_epoch);
    auto code = identity.error;
    // PRODUCER_FENCED is new in v4; older clients know it as INVALID_PRODUCER_EPOCH.
    if (ctx.version() < 4 && code == kp::error_code::producer_fenced) {
      code = kp::error_code::invalid_producer_epoch;
    }
    response.error_code = kp::code(code);
    response.producer_id = identity.producer_id;
    response.producer_epoch = identity.producer_epoch;
  } else if (auto id = ctx.broker.producer_ids->next(); !id) {
    response.error_code = kp::code(kp::error_code::kafka_storage_error);
  } else {
    response.producer_id = *id;
    response.producer_epoch = 0;
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
