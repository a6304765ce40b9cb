// The table of every API the broker serves. Add a handler here and ApiVersions
// advertises it.
#include <algorithm>
#include <array>

#include "broker/handlers/handler.h"

namespace wharf::broker {
namespace {

template <typename Handler>
constexpr api_handler entry() {
  return {Handler::key, Handler::min_version, Handler::max_version, &Handler::handle};
}

constexpr auto table = [] {
  std::array<api_handler, 33> t{
      entry<handlers::delete_records_handler>(),
      entry<handlers::init_producer_id_handler>(),
      entry<handlers::offset_for_leader_epoch_handler>(),
      entry<handlers::describe_configs_handler>(),
      entry<handlers::alter_configs_handler>(),
      entry<handlers::describe_log_dirs_handler>(),
      entry<handlers::create_partitions_handler>(),
      entry<handlers::incremental_alter_configs_handler>(),
      entry<handlers::produce_handler>(),
      entry<handlers::fetch_handler>(),
      entry<handlers::list_offsets_handler>(),
      entry<handlers::metadata_handler>(),
      entry<handlers::create_topics_handler>(),
      entry<handlers::delete_topics_handler>(),
      entry<handlers::api_versions_handler>(),
      entry<handlers::describe_cluster_handler>(),
      entry<handlers::find_coordinator_handler>(),
      entry<handlers::add_partitions_to_txn_handler>(),
      entry<handlers::add_offsets_to_txn_handler>(),
      entry<handlers::end_txn_handler>(),
      entry<handlers::txn_offset_commit_handler>(),
      entry<handlers::describe_transactions_handler>(),
      entry<handlers::list_transactions_handler>(),
      entry<handlers::join_group_handler>(),
      entry<handlers::sync_group_handler>(),
      entry<handlers::heartbeat_handler>(),
      entry<handlers::leave_group_handler>(),
      entry<handlers::offset_commit_handler>(),
      entry<handlers::offset_fetch_handler>(),
      entry<handlers::list_groups_handler>(),
      entry<handlers::describe_groups_handler>(),
      entry<handlers::delete_groups_handler>(),
      entry<handlers::offset_delete_handler>(),
  };
  std::sort(t.begin(), t.end(), [](const api_handler& a, const api_handler& b) {
    return static_cast<int>(a.key) < static_cast<int>(b.key);
  });
  return t;
}();

}  // namespace

std::span<const api_handler> api_handlers() { return table; }

const api_handler* find_handler(kafka::protocol::api_key key) {
  for (const auto& h : table) {
    if (h.key == key) return &h;
  }
  return nullptr;
}

}  // namespace wharf::broker
