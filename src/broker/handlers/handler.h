// The contract between the connection handler and the one-file-per-API handlers: each
// handler type names its API key and the versions it serves, and handle() decodes the
// request, does the work and answers (now or later) through the responder.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "broker/broker_state.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/frame.h"
#include "net/frame_server.h"

namespace wharf::broker {

struct request_context {
  net::connection_context& connection;
  const kafka::protocol::request_frame& frame;
  broker_state& broker;

  std::int16_t version() const { return frame.version; }
};

// Authorized-operation bit sets (AclOperation codes) for a broker without an authorizer,
// as Kafka reports them when a client asks.
inline constexpr std::int32_t all_cluster_operations =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);
inline constexpr std::int32_t all_topic_operations =
    (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);
inline constexpr std::int32_t operations_not_requested = -2147483647 - 1;

// The client's address as Kafka reports it in group descriptions: "/127.0.0.1".
std::string client_host(const request_context& ctx);

// Authorized operations on a group (READ, DELETE, DESCRIBE) for DescribeGroups.
inline constexpr std::int32_t all_group_operations = (1 << 3) | (1 << 6) | (1 << 8);

// Logs a request that could not be decoded (once per connection at warn level).
void report_malformed_request(const request_context& ctx, const std::string& why);

// Encodes a response for the request in ctx and hands it to the responder.
template <typename Response>
void respond(const request_context& ctx, const net::frame_responder& responder,
             const Response& response) {
  std::string out;
  kafka::protocol::encode_response_frame(out, ctx.frame.correlation_id(), ctx.frame.version,
                                         response);
  responder(net::frame_reply::respond(std::move(out)));
}

// Decodes the request body; a body that does not decode closes the connection, as Kafka
// does for an InvalidRequestException.
template <typename Request>
std::optional<Request> decode_or_close(const request_context& ctx,
                                       const net::frame_responder& responder) {
  auto request = kafka::protocol::decode_request_body<Request>(ctx.frame);
  if (!request) {
    report_malformed_request(ctx, request.err().message());
    responder(net::frame_reply::close_connection());
    return std::nullopt;
  }
  return std::move(*request);
}

struct api_handler {
  kafka::protocol::api_key key;
  std::int16_t min_version;
  std::int16_t max_version;
  void (*handle)(request_context&, net::frame_responder);
};

// Every API the broker serves, in key order; ApiVersions advertises exactly this.
std::span<const api_handler> api_handlers();
const api_handler* find_handler(kafka::protocol::api_key key);

namespace handlers {

// Declares a handler: the key and version range live beside its implementation.
#define WHARF_DECLARE_HANDLER(name, api, min, max)                          \
  struct name {                                                             \
    static constexpr kafka::protocol::api_key key = kafka::protocol::api;   \
    static constexpr std::int16_t min_version = min;                        \
    static constexpr std::int16_t max_version = max;                        \
    static void handle(request_context& ctx, net::frame_responder respond); \
  }

// Produce v0-2 are advertised (librdkafka only compresses when v0 is) but refused on the
// wire, as Kafka 4 does. Fetch and ListOffsets start where Kafka 4 starts.
WHARF_DECLARE_HANDLER(produce_handler, api_key::produce, 0, 11);
WHARF_DECLARE_HANDLER(fetch_handler, api_key::fetch, 4, 17);
WHARF_DECLARE_HANDLER(list_offsets_handler, api_key::list_offsets, 1, 10);
WHARF_DECLARE_HANDLER(metadata_handler, api_key::metadata, 0, 12);
WHARF_DECLARE_HANDLER(create_topics_handler, api_key::create_topics, 2, 7);
WHARF_DECLARE_HANDLER(delete_topics_handler, api_key::delete_topics, 1, 6);
WHARF_DECLARE_HANDLER(delete_records_handler, api_key::delete_records, 0, 2);
WHARF_DECLARE_HANDLER(init_producer_id_handler, api_key::init_producer_id, 0, 5);
WHARF_DECLARE_HANDLER(offset_for_leader_epoch_handler, api_key::offset_for_leader_epoch, 2, 4);
WHARF_DECLARE_HANDLER(describe_configs_handler, api_key::describe_configs, 1, 4);
WHARF_DECLARE_HANDLER(alter_configs_handler, api_key::alter_configs, 0, 2);
WHARF_DECLARE_HANDLER(describe_log_dirs_handler, api_key::describe_log_dirs, 1, 4);
WHARF_DECLARE_HANDLER(create_partitions_handler, api_key::create_partitions, 0, 3);
WHARF_DECLARE_HANDLER(incremental_alter_configs_handler, api_key::incremental_alter_configs, 0, 1);
WHARF_DECLARE_HANDLER(api_versions_handler, api_key::api_versions, 0, 4);
WHARF_DECLARE_HANDLER(describe_cluster_handler, api_key::describe_cluster, 0, 1);
// Consumer groups (the classic protocol). Kafka 4.3 serves OffsetCommit 2-10, OffsetFetch
// 1-10 and DescribeGroups 0-6; the specs we generate from end one version earlier.
WHARF_DECLARE_HANDLER(find_coordinator_handler, api_key::find_coordinator, 0, 6);
WHARF_DECLARE_HANDLER(join_group_handler, api_key::join_group, 0, 9);
WHARF_DECLARE_HANDLER(sync_group_handler, api_key::sync_group, 0, 5);
WHARF_DECLARE_HANDLER(heartbeat_handler, api_key::heartbeat, 0, 4);
WHARF_DECLARE_HANDLER(leave_group_handler, api_key::leave_group, 0, 5);
WHARF_DECLARE_HANDLER(offset_commit_handler, api_key::offset_commit, 2, 9);
WHARF_DECLARE_HANDLER(offset_fetch_handler, api_key::offset_fetch, 1, 9);
WHARF_DECLARE_HANDLER(list_groups_handler, api_key::list_groups, 0, 5);
WHARF_DECLARE_HANDLER(describe_groups_handler, api_key::describe_groups, 0, 5);
WHARF_DECLARE_HANDLER(delete_groups_handler, api_key::delete_groups, 0, 2);
WHARF_DECLARE_HANDLER(offset_delete_handler, api_key::offset_delete, 0, 0);
// Transactions (the coordinator is this node).
WHARF_DECLARE_HANDLER(add_partitions_to_txn_handler, api_key::add_partitions_to_txn, 0, 5);
WHARF_DECLARE_HANDLER(add_offsets_to_txn_handler, api_key::add_offsets_to_txn, 0, 4);
WHARF_DECLARE_HANDLER(end_txn_handler, api_key::end_txn, 0, 5);
WHARF_DECLARE_HANDLER(txn_offset_commit_handler, api_key::txn_offset_commit, 0, 4);
WHARF_DECLARE_HANDLER(describe_transactions_handler, api_key::describe_transactions, 0, 0);
WHARF_DECLARE_HANDLER(list_transactions_handler, api_key::list_transactions, 0, 1);

#undef WHARF_DECLARE_HANDLER

}  // namespace handlers
}  // namespace wharf::broker
