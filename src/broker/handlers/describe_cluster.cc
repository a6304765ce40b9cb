// DescribeCluster (key 60): this broker is the whole cluster and its controller.
#include "kafka/protocol/generated/describe_cluster.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void describe_cluster_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::describe_cluster_request>(ctx, responder);
  if (!request) return;
  kp::describe_cluster_response response;
  response.cluster_id = ctx.broker.cluster_id;
  response.controller_id = ctx.broker.options.node_id;
  kp::describe_cluster_response::describe_cluster_broker self;
  self.broker_id = ctx.broker.options.node_id;
  self.host = ctx.broker.advertised_host;
  self.port = ctx.broker.advertised_port;
  response.brokers.push_back(self);
  // No authorizer: every cluster operation, when the client asks.
  response.cluster_authorized_operations = request->include_cluster_authorized_operations
                                               ? all_cluster_operations
                                               : operations_not_requested;
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
