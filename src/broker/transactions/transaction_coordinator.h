// The transaction coordinator of the embedded broker (Kafka's TransactionCoordinator, for
// one node): maps transactional ids to producer ids and epochs, tracks the partitions and
// consumer-group offsets of each open transaction, writes COMMIT/ABORT markers to the
// partitions when a transaction ends or times out, and keeps its state in the compacted
// internal topic __transaction_state (Kafka's record layout) so it survives restarts.
//
// Markers are written synchronously by the request that ends the transaction, so a
// transaction is never left half-marked while the broker runs; one found in
// PrepareCommit/PrepareAbort on start (the broker died between the two) is finished then.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kafka/protocol/errors.h"

namespace wharf::broker {

struct broker_state;

inline constexpr std::string_view transaction_state_topic = "__transaction_state";

enum class transaction_status : std::int8_t {
  empty = 0,
  ongoing = 1,
  prepare_commit = 2,
  prepare_abort = 3,
  complete_commit = 4,
  complete_abort = 5,
  dead = 6,
  prepare_epoch_fence = 7,
};
// Kafka's names ("Empty", "Ongoing", "PrepareCommit", …), as DescribeTransactions shows.
std::string_view transaction_status_name(transaction_status status);
std::optional<transaction_status> parse_transaction_status(std::string_view name);

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const topic_partition&) const = default;
};

// An offset a transaction commits for a consumer group (TxnOffsetCommit); it becomes the
// group's committed offset when the transaction commits.
struct pending_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
};

struct transaction_metadata {
  std::string transactional_id;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t timeout_ms = 60000;
  transaction_status status = transaction_status::empty;
  std::set<topic_partition> partitions;
  std::int64_t last_update_ms = -1;
  std::int64_t start_ms = -1;
  // Groups added with AddOffsetsToTxn and the offsets staged for them.
  std::map<std::string, std::vector<pending_offset>> group_offsets;
};

// Kafka's partition for a key of an internal topic: abs(Java String.hashCode) mod count.
std::int32_t internal_topic_partition_for(std::string_view key, std::int32_t partitions);

// Kafka's __transaction_state record layout: key version 0 (transactional id), value
// version 0 (producer id, epoch, timeout, status, partitions, timestamps). Wharf appends
// the staged group offsets after those fields (readers of version 0 stop before them).
std::string encode_transaction_log_key(std::string_view transactional_id);
std::string encode_transaction_log_value(const transaction_metadata& metadata);
std::optional<std::string> decode_transaction_log_key(std::string_view key);
std::optional<transaction_metadata> decode_transaction_log_value(std::string_view value);

struct transaction_coordinator_options {
  std::int32_t state_partitions = 50;              // transaction.state.log.num.partitions
  std::int32_t offsets_partitions = 50;            // offsets.topic.num.partitions
  std::chrono::milliseconds max_timeout{900'000};  // transaction.max.timeout.ms
};

class transaction_coordinator {
 public:
  // Tells the group coordinator that a transaction with offsets for `group` ended:
  // on commit the offsets become the group's committed offsets.
  using offsets_committer =
      std::function<void(const std::string& group, std::int64_t producer_id,
                         const std::vector<pending_offset>& offsets, bool commit)>;

  // Replays __transaction_state (if it exists) and finishes transactions caught between
  // prepare and complete (which may commit offsets through committer).
  static result<std::unique_ptr<transaction_coordinator>> open(
      broker_state& broker, transaction_coordinator_options options, offsets_committer committer);

  struct producer_identity {
    kafka::protocol::error_code error = kafka::protocol::error_code::none;
    std::int64_t producer_id = -1;
    std::int16_t producer_epoch = -1;
  };
  // InitProducerId with a transactional id: a new producer id, or the next epoch of the
  // existing one (aborting its open transaction, which fences the previous producer).
  producer_identity init_producer_id(const std::string& transactional_id, std::int32_t timeout_ms,
                                     std::int64_t expected_producer_id,
                                     std::int16_t expected_epoch);

  // AddPartitionsToTxn: one error for the whole call (the producer's identity or state),
  // else per partition (unknown ones fail, the others are then not attempted).
  struct add_partitions_result {
    kafka::protocol::error_code error = kafka::protocol::error_code::none;
    std::map<topic_partition, kafka::protocol::error_code> partitions;
  };
  add_partitions_result add_partitions(const std::string& transactional_id,
                                       std::int64_t producer_id, std::int16_t epoch,
                                       const std::vector<topic_partition>& partitions,
                                       bool verify_only);
  kafka::protocol::error_code add_offsets(const std::string& transactional_id,
                                          std::int64_t producer_id, std::int16_t epoch,
                                          const std::string& group_id);
  // TxnOffsetCommit: stages offsets for the group in the producer's open transaction.
  kafka::protocol::error_code stage_offsets(const std::string& transactional_id,
                                            std::int64_t producer_id, std::int16_t epoch,
                                            const std::string& group_id,
                                            const std::vector<pending_offset>& offsets);
  // EndTxn: writes the markers, applies or drops staged offsets.
  kafka::protocol::error_code end_transaction(const std::string& transactional_id,
                                              std::int64_t producer_id, std::int16_t epoch,
                                              bool commit);

  // Whether a transactional batch of this producer may go to the partition (Kafka's
  // produce-side verification): its transaction is open and holds the partition.
  kafka::protocol::error_code verify_produce(std::int64_t producer_id, std::int16_t epoch,
                                             const std::string& topic, std::int32_t partition);

  // Aborts (with an epoch bump) every transaction open longer than its timeout.
  void abort_timed_out(std::int64_t now_ms);

  std::optional<transaction_metadata> describe(const std::string& transactional_id) const;
  std::vector<transaction_metadata> list() const;

 private:
  transaction_coordinator(broker_state& broker, transaction_coordinator_options options,
                          offsets_committer committer)
      : broker_(broker), options_(options), committer_(std::move(committer)) {}

  status replay();
  // Writes the transaction's current state to __transaction_state.
  status persist_locked(const transaction_metadata& metadata);
  // Marks every partition of the transaction, applies or drops its offsets, and moves it
  // to CompleteCommit/CompleteAbort (persisting the prepare state first).
  kafka::protocol::error_code complete_locked(transaction_metadata& metadata, bool commit,
                                              std::int64_t now_ms);
  status write_marker(const topic_partition& tp, std::int64_t producer_id, std::int16_t epoch,
                      bool commit, std::int64_t now_ms);
  // The common checks of AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn.
  kafka::protocol::error_code check_producer_locked(const transaction_metadata* metadata,
                                                    std::int64_t producer_id,
                                                    std::int16_t epoch) const;

  broker_state& broker_;
  transaction_coordinator_options options_;
  mutable std::mutex mutex_;
  std::map<std::string, transaction_metadata> transactions_;
  std::map<std::int64_t, std::string> by_producer_id_;
  offsets_committer committer_;
};

}  // namespace wharf::broker
