// Metadata (key 3): brokers, cluster id, controller and the requested topics, creating
// unknown topics when auto-creation is on and the client allows it.
#include "kafka/protocol/generated/metadata.h"

#include "broker/handlers/handler.h"
#include "broker/topic_names.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

kp::metadata_response::metadata_response_topic describe(const topic& t, std::int32_t node_id,
                                                        bool with_operations) {
  kp::metadata_response::metadata_response_topic out;
  out.topic_authorized_operations =
      with_operations ? all_topic_operations : operations_not_requested;
  out.name = t.name;
  out.topic_id = t.id;
  out.is_internal = t.internal;
  for (const auto& p : t.partitions) {
    kp::metadata_response::metadata_response_partition part;
    part.partition_index = p->index();
    part.leader_id = node_id;
    part.leader_epoch = 0;
    part.replica_nodes = {node_id};
    part.isr_nodes = {node_id};
    out.partitions.push_back(std::move(part));
  }
  return out;
}

}  // namespace

void metadata_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::metadata_request>(ctx, responder);
  if (!request) return;
  const auto node_id = ctx.broker.options.node_id;

  kp::metadata_response response;
  kp::metadata_response::metadata_response_broker self;
  self.node_id = node_id;
  self.host = ctx.broker.advertised_host;
  self.port = ctx.broker.advertised_port;
  response.brokers.push_back(self);
  response.cluster_id = ctx.broker.cluster_id;
  response.controller_id = node_id;
  response.cluster_authorized_operations = request->include_cluster_authorized_operations
                                               ? all_cluster_operations
                                               : operations_not_requested;

  // v0 asks for every topic with an empty list; v1+ with a null one.
  bool all_topics = !request->topics || (ctx.version() == 0 && request->topics->empty());
  if (all_topics) {
    for (const auto& t : ctx.broker.topics->list())
      response.topics.push_back(
          describe(*t, node_id, request->include_topic_authorized_operations));
    respond(ctx, responder, response);
    return;
  }

  bool may_create = ctx.broker.options.auto_create_topics &&
                    (ctx.version() < 4 || request->allow_auto_topic_creation);
  for (const auto& requested : *request->topics) {
    std::shared_ptr<const topic> t;
    if (requested.name) {
      t = ctx.broker.topics->find(*requested.name);
    } else {
      t = ctx.broker.topics->find(requested.topic_id);
      if (!t) {
        kp::metadata_response::metadata_response_topic out;
        out.error_code = kp::code(kp::error_code::unknown_topic_id);
        out.name = std::nullopt;
        out.topic_id = requested.topic_id;
        response.topics.push_back(std::move(out));
        continue;
      }
    }
    if (!t && may_create && !is_internal_topic(*requested.name)) {
      topic_manager::create_spec spec;
      spec.name = *requested.name;
      auto created = ctx.broker.topics->create(spec);
      if (created) {
        t = *created;
      } else if (created.err().code == kp::error_code::topic_already_exists) {
        t = ctx.broker.topics->find(*requested.name);  // created meanwhile by another client
      } else {
        kp::metadata_response::metadata_response_topic out;
        out.error_code = created.err().kafka_code();
        out.name = requested.name;
        response.topics.push_back(std::move(out));
        continue;
      }
    }
    if (!t) {
      kp::metadata_response::metadata_response_topic out;
      out.error_code =
          kp::code(validate_topic_name(*requested.name) ? kp::error_code::unknown_topic_or_partition
                                                        : kp::error_code::invalid_topic_exception);
      out.name = requested.name;
      response.topics.push_back(std::move(out));
      continue;
    }
    response.topics.push_back(describe(*t, node_id, request->include_topic_authorized_operations));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
