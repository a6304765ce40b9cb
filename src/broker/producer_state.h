// Idempotent-producer state of one partition: for every producer id, its epoch and the
// sequence ranges of its last five batches, so a retried batch is answered with its
// original offset instead of being written twice, and gaps or fenced epochs are refused
// (Kafka's ProducerStateManager). Also the partition's transactions: the first offset of
// every open one (which holds back the last stable offset) and the ranges of aborted ones
// (which read_committed fetches list). Rebuilt from the log's batch headers and
// transaction markers when a partition opens.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kafka/protocol/errors.h"

namespace wharf::storage {
class partition_log;
}

namespace wharf::broker {

class producer_state {
 public:
  static constexpr std::size_t batches_kept = 5;

  struct verdict {
    enum class kind { append, duplicate, reject };
    kind what = kind::append;
    kafka::protocol::error_code code = kafka::protocol::error_code::none;
    std::int64_t duplicate_base_offset = -1;
    std::string message;
  };

  // Decides what to do with a batch before it is appended. Call with the partition's
  // produce lock held, then record() after a successful append.
  verdict check(std::int64_t producer_id, std::int16_t epoch, std::int32_t base_sequence,
                std::int32_t record_count) const;
  void record(std::int64_t producer_id, std::int16_t epoch, std::int32_t base_sequence,
              std::int32_t record_count, std::int64_t base_offset);

  // Replays the batch headers and markers of the whole log.
  void rebuild(const storage::partition_log& log);

  std::size_t producer_count() const { return producers_.size(); }

  // --- Transactions. Writers hold the partition's produce lock; readers (fetch, list
  // offsets) may call the const members from any thread. ---

  struct aborted_transaction {
    std::int64_t producer_id;
    std::int64_t first_offset;
    std::int64_t last_offset;  // the ABORT marker's offset
  };

  // A transactional batch of producer_id goes at base_offset: opens its transaction if
  // it has none. Call before the append is published (so the last stable offset never
  // runs ahead of it); forget_transaction_start() undoes it when the append fails.
  void note_transactional_batch(std::int64_t producer_id, std::int64_t base_offset);
  void forget_transaction_start(std::int64_t producer_id, std::int64_t base_offset);
  // A COMMIT or ABORT marker of producer_id was appended at marker_offset with epoch.
  void end_transaction(std::int64_t producer_id, std::int16_t epoch, bool commit,
                       std::int64_t marker_offset);
  bool has_open_transaction(std::int64_t producer_id) const;
  // The first offset of the oldest open transaction, or high_watermark when none is open.
  std::int64_t last_stable_offset(std::int64_t high_watermark) const;
  // Aborted transactions that overlap [from, to): what a read_committed fetch of that
  // range needs to skip.
  std::vector<aborted_transaction> aborted_between(std::int64_t from, std::int64_t to) const;
  // Drops aborted ranges wholly below the log start (after retention or DeleteRecords).
  void forget_aborted_before(std::int64_t log_start_offset);

 private:
  struct batch_range {
    std::int32_t first_sequence;
    std::int32_t last_sequence;
    std::int64_t first_offset;
  };
  struct entry {
    std::int16_t epoch = -1;
    std::deque<batch_range> batches;
  };

  std::unordered_map<std::int64_t, entry> producers_;

  mutable std::mutex transactions_mutex_;
  std::map<std::int64_t, std::int64_t> open_transactions_;  // producer id -> first offset
  std::vector<aborted_transaction> aborted_;                // in marker order
};

}  // namespace wharf::broker
