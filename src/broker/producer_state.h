// Idempotent-producer state of one partition: for every producer id, its epoch and the
// sequence ranges of its last five batches, so a retried batch is answered with its
// original offset instead of being written twice, and gaps or fenced epochs are refused
// (Kafka's ProducerStateManager). Rebuilt from the log's batch headers when a partition
// opens.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

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

  // Replays the batch headers of the whole log.
  void rebuild(const storage::partition_log& log);

  std::size_t producer_count() const { return producers_.size(); }

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
};

}  // namespace wharf::broker
