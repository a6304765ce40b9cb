// The group coordinator of the embedded broker: Kafka's classic consumer group protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and the committed offsets of every group,
// kept in memory and written to the compacted __consumer_offsets topic so a restart
// replays them. docs/groups.md describes the design; the rules follow Apache Kafka's
// classic GroupCoordinator so clients see the same answers.
//
// Thread safety: every public method may be called from any thread. Each group has its own
// mutex; callbacks (a parked JoinGroup or SyncGroup being answered) run after that mutex is
// released, on the calling thread or on a timer's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/groups/scheduler.h"
#include "kafka/protocol/errors.h"

namespace wharf::broker::groups {

using kafka::protocol::error_code;

enum class group_state { empty, preparing_rebalance, completing_rebalance, stable, dead };

// Kafka's names ("Empty", "PreparingRebalance", ...), as ListGroups and DescribeGroups
// report them.
const char* state_name(group_state state);
std::optional<group_state> parse_state_name(std::string_view name);  // case-insensitive

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;

  auto operator<=>(const topic_partition&) const = default;
};

struct coordinator_options {
  // group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits
  // for more members (extended while members keep arriving, up to the rebalance timeout).
  std::int64_t initial_rebalance_delay_ms = 0;
  std::int32_t min_session_timeout_ms = 6000;     // group.min.session.timeout.ms
  std::int32_t max_session_timeout_ms = 1800000;  // group.max.session.timeout.ms
  // A new member's JoinGroup is dropped after this (Kafka's fixed 5 minutes).
  std::int64_t new_member_join_timeout_ms = 300000;
  std::int64_t offsets_retention_ms = 7 * 24 * 3600 * 1000LL;  // offsets.retention.minutes
  std::size_t offset_metadata_max_bytes = 4096;                // offset.metadata.max.bytes
};

// Where the coordinator writes: the partitions of __consumer_offsets.
class group_log {
 public:
  struct record {
    std::string key;
    std::optional<std::string> value;  // nullopt: a tombstone
  };
  virtual ~group_log() = default;
  virtual std::int32_t partition_count() const = 0;
  // Makes sure the log exists (creating __consumer_offsets on first use). Errors are the
  // Kafka error a client gets (COORDINATOR_NOT_AVAILABLE, ...).
  virtual error_code prepare() = 0;
  // Appends the records to one partition, atomically. Errors as for prepare().
  virtual error_code append(std::int32_t partition, const std::vector<record>& records) = 0;
};

struct protocol_metadata {
  std::string name;
  std::string metadata;
};

struct join_request {
  std::string group_id;
  std::string member_id;  // "" for a member that has none yet
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<protocol_metadata> protocols;
  // JoinGroup v4+: a new dynamic member first gets MEMBER_ID_REQUIRED and its id.
  bool require_known_member_id = false;
  // JoinGroup v9+: a rejoining static leader of a stable group can be told to skip the
  // assignment.
  bool supports_skip_assignment = false;
};

struct join_response {
  error_code error = error_code::none;
  std::int32_t generation = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  bool skip_assignment = false;
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string metadata;
  };
  std::vector<member> members;  // for the leader only
};

struct sync_request {
  std::string group_id;
  std::int32_t generation = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;                      // v5+
  std::optional<std::string> protocol_name;                      // v5+
  std::vector<std::pair<std::string, std::string>> assignments;  // member id, assignment
};

struct sync_response {
  error_code error = error_code::none;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string assignment;
};

struct leave_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct commit_entry {
  topic_partition tp;
  std::int64_t offset = 0;
  std::int32_t leader_epoch = -1;
  std::string metadata;
};

struct commit_request {
  std::string group_id;
  std::int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::int64_t retention_ms = -1;  // v2-v4: -1 means the broker's retention
  std::int16_t api_version = 0;
  std::vector<commit_entry> entries;
};

struct fetched_offset {
  topic_partition tp;
  std::int64_t offset = -1;
  std::int32_t leader_epoch = -1;
  std::string metadata;
  error_code error = error_code::none;
};

struct fetch_offsets_result {
  error_code error = error_code::none;
  std::vector<fetched_offset> offsets;
};

struct group_listing {
  std::string group_id;
  std::string protocol_type;
  group_state state = group_state::empty;
};

struct group_description {
  error_code error = error_code::none;
  std::string group_id;
  group_state state = group_state::dead;
  std::string protocol_type;
  std::string protocol;  // the selected protocol, "" unless Stable
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    std::string metadata;    // Stable groups only
    std::string assignment;  // Stable groups only
  };
  std::vector<member> members;
};

struct offset_delete_result {
  error_code error = error_code::none;
  std::vector<error_code> partitions;  // in request order
};

// What the metrics collector reads at scrape time.
struct group_snapshot {
  std::string group_id;
  group_state state = group_state::empty;
  std::size_t members = 0;
  std::vector<std::pair<topic_partition, std::int64_t>> offsets;
};

// One record read back from __consumer_offsets at start-up.
struct replayed_record {
  std::string_view key;
  std::optional<std::string_view> value;
  // Set for records of a transactional batch (TxnOffsetCommit): they count only once a
  // COMMIT marker of that producer follows.
  std::int64_t transactional_producer_id = -1;
};

class group_coordinator : public std::enable_shared_from_this<group_coordinator> {
 public:
  using join_callback = std::function<void(join_response)>;
  using sync_callback = std::function<void(sync_response)>;

  static std::shared_ptr<group_coordinator> create(coordinator_options options,
                                                   std::shared_ptr<scheduler> clock,
                                                   std::shared_ptr<group_log> log);
  ~group_coordinator();

  std::int32_t partition_for(std::string_view group_id) const;
  // FindCoordinator: readies the log. NONE or the error to answer with.
  error_code prepare();

  // JoinGroup and SyncGroup answer through the callback, now or later (long poll).
  void join(join_request request, join_callback done);
  void sync(sync_request request, sync_callback done);
  error_code heartbeat(const std::string& group_id, std::int32_t generation,
                       const std::string& member_id,
                       const std::optional<std::string>& group_instance_id);
  // Per member, in request order; an unknown group is UNKNOWN_MEMBER_ID for every member.
  // error is set (and members empty) when the request fails as a whole.
  struct leave_result {
    error_code error = error_code::none;
    std::vector<error_code> members;
  };
  leave_result leave(const std::string& group_id, const std::vector<leave_member>& members);

  // Errors per entry, in request order. The caller has already answered entries for
  // unknown topics or partitions and leaves them out.
  std::vector<error_code> commit_offsets(const commit_request& request);
  // topics nullopt: every committed offset of the group.
  fetch_offsets_result fetch_offsets(const std::string& group_id,
                                     const std::optional<std::vector<topic_partition>>& partitions,
                                     bool require_stable);
  std::vector<group_listing> list_groups();
  group_description describe_group(const std::string& group_id);
  error_code delete_group(const std::string& group_id);
  offset_delete_result delete_offsets(const std::string& group_id,
                                      const std::vector<topic_partition>& partitions);

  // Transactional offsets (TxnOffsetCommit): staged per producer until its transaction
  // ends; OffsetFetch with require_stable reports UNSTABLE_OFFSET_COMMIT for them meanwhile.
  // The caller writes the records; these keep the in-memory view in step.
  void stage_transactional_offsets(const std::string& group_id, std::int64_t producer_id,
                                   const std::vector<commit_entry>& entries);
  void complete_transaction(std::int64_t producer_id, bool commit);
  // The offsets of a committed transaction whose offsets the transaction coordinator
  // staged itself: written as plain offset commits (the transaction's TxnOffsetCommit was
  // validated when it came in) and made the group's committed offsets.
  error_code commit_transaction_offsets(const std::string& group_id,
                                        const std::vector<commit_entry>& entries);

  // offsets.retention.minutes: removes expired offsets (and empty groups left without
  // any), writing tombstones. Call periodically, off the I/O threads.
  void expire_offsets();

  // Start-up: feed every record of every partition in log order, then finish_replay().
  void replay(const replayed_record& record);
  void replay_transaction_marker(std::int64_t producer_id, bool commit);
  void finish_replay();

  // Answers every parked JoinGroup/SyncGroup with NOT_COORDINATOR and refuses new work,
  // so the listener can drain.
  void shutdown();

  std::vector<group_snapshot> snapshot() const;

  struct group;  // the state of one group (coordinator.cc)

 private:
  group_coordinator(coordinator_options options, std::shared_ptr<scheduler> clock,
                    std::shared_ptr<group_log> log);

  class outbox;
  std::shared_ptr<group> find(const std::string& id) const;
  std::shared_ptr<group> find_or_create(const std::string& id);
  void forget(const group& g);
  // Appends the entries as offset commits (retention_ms -1: the broker's retention) and,
  // once they are in the log, makes them the group's committed offsets.
  error_code write_offsets(group& g, const std::vector<commit_entry>& entries,
                           std::int64_t retention_ms);

  void join_new_member(group& g, join_request& request, join_callback& done, outbox& out);
  void join_known_member(group& g, join_request& request, join_callback& done, outbox& out);
  void add_member_and_rebalance(group& g, const std::string& member_id, join_request& request,
                                join_callback& done, outbox& out);
  void replace_static_member(group& g, const std::string& new_member_id, join_request& request,
                             join_callback& done, outbox& out);
  void update_member_and_rebalance(group& g, const std::string& member_id, join_request& request,
                                   join_callback& done, outbox& out);
  void maybe_prepare_rebalance(group& g, outbox& out);
  void prepare_rebalance(group& g, outbox& out);
  void try_complete_join(group& g, outbox& out);
  void complete_join(group& g, outbox& out);
  void on_join_timer(const std::shared_ptr<group>& g, std::uint64_t epoch);
  void on_sync_timer(const std::shared_ptr<group>& g, std::uint64_t epoch);
  void on_member_timer(const std::shared_ptr<group>& g, const std::string& member_id,
                       std::uint64_t seq);
  void on_pending_member_timer(const std::shared_ptr<group>& g, const std::string& member_id);
  void schedule_member_check(group& g, const std::string& member_id, std::int64_t at_ms);
  void remove_member(group& g, const std::string& member_id, outbox& out);
  void remove_member_and_update_group(group& g, const std::string& member_id, outbox& out);
  void remove_pending_member_and_update_group(group& g, const std::string& member_id, outbox& out);
  void reset_and_propagate_assignment_error(group& g, error_code error, outbox& out);
  error_code store_group(group& g, const std::map<std::string, std::string>& assignments);
  void cancel_timers(group& g);

  coordinator_options options_;
  std::shared_ptr<scheduler> clock_;
  std::shared_ptr<group_log> log_;
  std::int32_t partitions_;

  mutable std::shared_mutex groups_mutex_;
  std::map<std::string, std::shared_ptr<group>, std::less<>> groups_;
  // Producers with staged transactional offsets, and the groups they touch.
  std::mutex transactions_mutex_;
  std::map<std::int64_t, std::set<std::string>> transactions_;
  std::atomic<bool> stopped_{false};
};

}  // namespace wharf::broker::groups
