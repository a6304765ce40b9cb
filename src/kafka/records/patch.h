// In-place patching of a validated batch as the broker appends it to a partition log:
// baseOffset and partitionLeaderEpoch (outside the CRC), and for LogAppendTime topics the
// timestamp-type bit and maxTimestamp (inside it). Nothing is decompressed or copied, and
// the CRC is updated from the changed bytes alone, in time independent of the batch size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "kafka/records/batch.h"

namespace wharf::kafka::records {

struct append_patch {
  std::int64_t base_offset = 0;
  std::int32_t partition_leader_epoch = no_partition_leader_epoch;
  // For LogAppendTime topics: the broker's clock. Sets the timestamp-type bit and
  // maxTimestamp, which readers then report as every record's timestamp.
  std::optional<std::int64_t> log_append_time_ms;
  // For CreateTime topics: the records' real maximum (batch_summary::max_timestamp), which
  // Kafka writes over whatever the client put there. nullopt leaves the field alone.
  std::optional<std::int64_t> max_timestamp;
};

// Patches a batch that validate_batch() accepted (batch holds exactly that batch). The CRC
// stays valid. Returns the batch's next offset (base_offset + lastOffsetDelta + 1).
std::int64_t patch_for_append(std::span<char> batch, const append_patch& patch);

// crc32c(data) after `zeros` more zero bytes, given crc = crc32c(data): the CRC register
// advanced by a GF(2) matrix power, O(log zeros) instead of O(zeros).
std::uint32_t crc32c_extend_zeros(std::uint32_t crc, std::uint64_t zeros);

// The CRC of a message after `changed` overwrote `old` at byte `at`, from the old CRC of the
// whole `total`-byte message, without reading the rest of it.
std::uint32_t crc32c_update(std::uint32_t crc, std::size_t total, std::size_t at,
                            std::span<const std::uint8_t> old_bytes,
                            std::span<const std::uint8_t> new_bytes);

}  // namespace wharf::kafka::records
