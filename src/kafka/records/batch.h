// Kafka's RecordBatch v2 (magic 2) header, read in place from raw bytes, and iteration over
// a "records" blob holding several batches back to back (a produce request partition, a
// fetch response partition, a log segment).
//
//   offset  size  field                     offset  size  field
//        0     8  baseOffset                    27     8  baseTimestamp
//        8     4  batchLength (after this)      35     8  maxTimestamp
//       12     4  partitionLeaderEpoch          43     8  producerId
//       16     1  magic                         51     2  producerEpoch
//       17     4  crc (CRC-32C of 21..end)      53     4  baseSequence
//       21     2  attributes                    57     4  recordCount
//       23     4  lastOffsetDelta               61        records...
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "kafka/records/compression.h"
#include "kafka/records/error.h"

namespace wharf::kafka::records {

namespace layout {
constexpr std::size_t base_offset = 0;
constexpr std::size_t batch_length = 8;
constexpr std::size_t partition_leader_epoch = 12;
constexpr std::size_t magic = 16;
constexpr std::size_t crc = 17;
constexpr std::size_t attributes = 21;
constexpr std::size_t last_offset_delta = 23;
constexpr std::size_t base_timestamp = 27;
constexpr std::size_t max_timestamp = 35;
constexpr std::size_t producer_id = 43;
constexpr std::size_t producer_epoch = 51;
constexpr std::size_t base_sequence = 53;
constexpr std::size_t record_count = 57;
constexpr std::size_t header_size = 61;
// baseOffset + batchLength: the part batchLength does not count.
constexpr std::size_t log_overhead = 12;
// Enough to read the magic byte, which sits at the same place in every message format.
constexpr std::size_t header_size_up_to_magic = 17;
// The smallest legacy (magic 0) message; shorter lengths are corrupt in any format.
constexpr std::size_t legacy_min_length = 14;
}  // namespace layout

namespace attribute {
constexpr std::int16_t compression_mask = 0x07;
constexpr std::int16_t log_append_time = 0x08;
constexpr std::int16_t transactional = 0x10;
constexpr std::int16_t control = 0x20;
constexpr std::int16_t delete_horizon = 0x40;
}  // namespace attribute

constexpr std::int8_t current_magic = 2;
constexpr std::int64_t no_producer_id = -1;
constexpr std::int16_t no_producer_epoch = -1;
constexpr std::int32_t no_sequence = -1;
constexpr std::int32_t no_partition_leader_epoch = -1;
constexpr std::int64_t no_timestamp = -1;

// Offsets and timestamps of untrusted batches may sit near the int64 limits; adding deltas
// wraps (as in Java) instead of overflowing, which would be undefined behaviour in C++.
constexpr std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

enum class timestamp_type : std::uint8_t { create_time = 0, log_append_time = 1 };

// The decoded fixed-size header of a v2 batch.
struct batch_header {
  std::int64_t base_offset = 0;
  std::int32_t batch_length = 0;
  std::int32_t partition_leader_epoch = no_partition_leader_epoch;
  std::int8_t magic = current_magic;
  std::uint32_t crc = 0;
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = no_timestamp;
  std::int64_t max_timestamp = no_timestamp;
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  std::int32_t base_sequence = no_sequence;
  std::int32_t record_count = 0;

  int compression_id() const { return attributes & attribute::compression_mask; }
  // nullopt for the unassigned codec ids 5-7.
  std::optional<compression_type> compression() const {
    return compression_from_id(compression_id());
  }
  timestamp_type ts_type() const {
    return (attributes & attribute::log_append_time) ? timestamp_type::log_append_time
                                                     : timestamp_type::create_time;
  }
  bool is_transactional() const { return (attributes & attribute::transactional) != 0; }
  bool is_control() const { return (attributes & attribute::control) != 0; }
  bool has_delete_horizon() const { return (attributes & attribute::delete_horizon) != 0; }
  bool has_producer_id() const { return producer_id >= 0; }

  std::int64_t last_offset() const { return wrapping_add(base_offset, last_offset_delta); }
  std::int64_t next_offset() const { return wrapping_add(last_offset(), 1); }
  // The whole batch: batchLength plus the 12 bytes before it.
  std::size_t size_bytes() const {
    return layout::log_overhead + static_cast<std::uint32_t>(batch_length);
  }
  // With the delete-horizon bit (set by compaction), baseTimestamp holds the horizon.
  std::optional<std::int64_t> delete_horizon_ms() const {
    if (!has_delete_horizon()) return std::nullopt;
    return base_timestamp;
  }
};

// A v2 batch over bytes it does not own. Creating one checks the framing (length, magic)
// but not the CRC or the records: validate_batch() does that.
class batch_view {
 public:
  // bytes must hold exactly one whole batch.
  static records_result<batch_view> parse(std::string_view bytes);

  const batch_header& header() const { return header_; }
  std::string_view bytes() const { return bytes_; }
  std::size_t size_bytes() const { return bytes_.size(); }
  // The bytes after the header: the records, compressed as a whole if the batch is.
  std::string_view records_data() const { return bytes_.substr(layout::header_size); }
  // The bytes the CRC covers: attributes to the end.
  std::string_view crc_data() const { return bytes_.substr(layout::attributes); }

  std::uint32_t compute_crc() const;
  bool crc_ok() const { return compute_crc() == header_.crc; }

 private:
  batch_view(std::string_view bytes, const batch_header& header) : bytes_(bytes), header_(header) {}

  std::string_view bytes_;
  batch_header header_;
};

// Decodes the 61-byte header at the start of bytes (no framing checks beyond its size).
records_result<batch_header> read_batch_header(std::string_view bytes);

// Walks the batches of a records blob one at a time without copying. A blob may end in a
// partial batch (a fetch response cut at max_bytes does); next() then returns nullopt and
// partial_tail() holds those bytes. Broken framing (a length below the minimum, a magic
// other than 2, more than max_batch_bytes) is an error, after which next() keeps failing.
class batch_reader {
 public:
  explicit batch_reader(std::string_view blob,
                        std::size_t max_batch_bytes = static_cast<std::size_t>(INT32_MAX))
      : blob_(blob), max_batch_bytes_(max_batch_bytes) {}

  records_result<std::optional<batch_view>> next();

  // Where the next batch starts in the blob.
  std::size_t position() const { return position_; }
  // The trailing bytes that do not make a whole batch (empty unless next() ended early).
  std::string_view partial_tail() const { return blob_.substr(position_); }
  bool has_partial_tail() const { return done_ && position_ < blob_.size(); }

 private:
  std::string_view blob_;
  std::size_t max_batch_bytes_;
  std::size_t position_ = 0;
  bool done_ = false;
  std::optional<records_error> error_;
};

enum class partial_batches { reject, allow };

struct split_batches_result {
  std::vector<batch_view> batches;
  // Bytes after the last whole batch; always empty with partial_batches::reject.
  std::string_view partial_tail;
};

// All batches of a blob. With partial_batches::reject (produce requests, our own log) a
// trailing partial batch is CORRUPT_MESSAGE; with ::allow (fetch responses) it is returned
// in partial_tail.
records_result<split_batches_result> split_batches(
    std::string_view blob, partial_batches partial,
    std::size_t max_batch_bytes = static_cast<std::size_t>(INT32_MAX));

}  // namespace wharf::kafka::records
