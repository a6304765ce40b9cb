// InitProducerId (key 22): a fresh producer id for an idempotent producer. Sequence
// checks and transactional ids come with the transactions work.
#include "kafka/protocol/generated/init_producer_id.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void init_producer_id_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::init_producer_id_request>(ctx, responder);
  if (!request) return;
  kp::init_producer_id_response response;
  if (request->transactional_id) {
    response.error_code = kp::code(kp::error_code::not_coordinator);
  } else if (auto id = ctx.broker.producer_ids->next(); !id) {
    response.error_code = kp::code(kp::error_code::kafka_storage_error);
  } else {
    response.producer_id = *id;
    response.producer_epoch = 0;
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
