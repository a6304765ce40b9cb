// Produce (key 0): validates each partition's record batch, appends it to the log and
// answers with the offsets; acks=0 gets no response at all.
#include "kafka/protocol/generated/produce.h"

#include <chrono>

#include "base/logging.h"
#include "broker/handlers/handler.h"
#include "broker/topic_names.h"
#include "kafka/records/validate.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;
namespace kr = kafka::records;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

kp::produce_response::partition_produce_response append_partition(
    request_context& ctx, const kp::produce_request& request,
    const kp::produce_request::partition_produce_data& data, const topic* t) {
  kp::produce_response::partition_produce_response out;
  out.index = data.index;
  auto fail = [&out](kp::error_code code, std::string message) {
    out.error_code = kp::code(code);
    out.base_offset = -1;
    out.error_message = std::move(message);
    return out;
  };
  if (!t || data.index < 0 || static_cast<std::size_t>(data.index) >= t->partitions.size()) {
    return fail(kp::error_code::unknown_topic_or_partition,
                "This server does not host this topic-partition.");
  }
  if (is_coordinator_topic(t->name)) {
    return fail(kp::error_code::invalid_topic_exception,
                "Cannot append to internal topic " + t->name);
  }
  if (request.acks != -1 && request.acks != 0 && request.acks != 1) {
    return fail(kp::error_code::invalid_required_acks, "acks must be -1, 0 or 1");
  }
  if (!data.records || data.records->empty()) {
    return fail(kp::error_code::invalid_record, "the produce request carries no records");
  }
  auto& part = *t->partitions[static_cast<std::size_t>(data.index)];

  kr::validation_options options;
  options.max_batch_bytes = static_cast<std::size_t>(t->max_message_bytes);
  options.allow_zstd = ctx.version() >= 7;
  options.require_keys = t->log.cleanup_compact && !t->log.cleanup_delete;
  if (t->log.message_timestamp_type == storage::timestamp_type_config::create_time) {
    options.timestamps =
        kr::timestamp_limits{now_ms(), t->timestamp_before_max_ms, t->timestamp_after_max_ms};
  }
  auto summary = kr::validate_produce_records(*data.records, options);
  if (!summary) {
    logging::get("kafka")->debug("rejected a batch for {}-{} from {}: {}", t->name, data.index,
                                 ctx.connection.remote_address, summary.err().message());
    return fail(static_cast<kp::error_code>(summary.err().kafka_code()), summary.err().message());
  }

  const auto& header = summary->header;
  if (header.is_transactional()) {
    // Kafka's produce-side verification: the partition must be in the producer's open
    // transaction (AddPartitionsToTxn first), so no record escapes its markers.
    auto code = ctx.broker.transactions->verify_produce(header.producer_id, header.producer_epoch,
                                                        t->name, data.index);
    if (code != kp::error_code::none) {
      return fail(code, "the partition is not part of an ongoing transaction of this producer");
    }
  }
  storage::append_options append;
  append.now_ms = now_ms();
  append.partition_leader_epoch = 0;
  std::unique_lock produce_lock(part.produce_mutex());
  auto verdict = part.producers().check(header.producer_id, header.producer_epoch,
                                        header.base_sequence, header.record_count);
  if (verdict.what == producer_state::verdict::kind::reject) {
    return fail(verdict.code, verdict.message);
  }
  if (verdict.what == producer_state::verdict::kind::duplicate) {
    // A retry of a batch already in the log: its original offset, nothing written.
    out.base_offset = verdict.duplicate_base_offset;
    out.log_start_offset = part.log().log_start_offset();
    return out;
  }
  // The transaction is open before its first batch is visible, so the last stable offset
  // never passes it.
  auto expected_base = part.log().log_end_offset();
  if (header.is_transactional()) {
    part.producers().note_transactional_batch(header.producer_id, expected_base);
  }
  auto appended = part.log().append(*data.records, append);
  if (!appended) {
    if (header.is_transactional()) {
      part.producers().forget_transaction_start(header.producer_id, expected_base);
    }
    logging::get("kafka")->error("append to {}-{} failed: {}", t->name, data.index,
                                 appended.err().message());
    return fail(kp::error_code::kafka_storage_error, appended.err().message());
  }
  part.producers().record(header.producer_id, header.producer_epoch, header.base_sequence,
                          header.record_count, appended->base_offset);
  produce_lock.unlock();
  out.base_offset = appended->base_offset;
  out.log_append_time_ms = appended->log_append_time_ms;
  out.log_start_offset = part.log().log_start_offset();

  auto bytes = static_cast<double>(data.records->size());
  ctx.broker.topic_counter("BytesInPerSec", t->name).inc(bytes);
  ctx.broker.topic_counter("MessagesInPerSec", t->name).inc(summary->header.record_count);
  ctx.broker.topic_counter("BytesInPerSec", "").inc(bytes);
  ctx.broker.topic_counter("MessagesInPerSec", "").inc(summary->header.record_count);
  ctx.broker.appends.notify(&part, static_cast<std::int64_t>(data.records->size()));
  return out;
}

}  // namespace

void produce_handler::handle(request_context& ctx, net::frame_responder responder) {
  // v0-2 are advertised for librdkafka's feature checks only; Kafka 4 closes the
  // connection on them, and so do we.
  if (ctx.version() < 3) {
    logging::get("kafka")->warn(
        "closing connection from {}: Produce v{} (message format 0/1) is not supported",
        ctx.connection.remote_address, ctx.version());
    responder(net::frame_reply::close_connection());
    return;
  }
  auto request = decode_or_close<kp::produce_request>(ctx, responder);
  if (!request) return;

  kp::produce_response response;
  for (const auto& topic_data : request->topic_data) {
    kp::produce_response::topic_produce_response topic_out;
    topic_out.name = topic_data.name;
    auto t = ctx.broker.topics->find(topic_data.name);
    for (const auto& data : topic_data.partition_data) {
      topic_out.partition_responses.push_back(append_partition(ctx, *request, data, t.get()));
      if (t) ctx.broker.topic_counter("TotalProduceRequestsPerSec", t->name).inc();
    }
    response.responses.push_back(std::move(topic_out));
  }
  // Every append is in the log (the page cache) before the response; with a single
  // replica, acks=1 and acks=all mean the same.
  if (request->acks == 0) {
    responder(net::frame_reply::none());
    return;
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
