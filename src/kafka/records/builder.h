// Builds v2 record batches: the broker's own writes (group offsets, transaction markers,
// compaction output) and test data. Records are encoded as they are added; build() adds
// the header, compresses and computes the CRC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kafka/records/batch.h"
#include "kafka/records/compression.h"
#include "kafka/records/error.h"
#include "kafka/records/record.h"

namespace wharf::kafka::records {

struct batch_options {
  compression_type compression = compression_type::none;
  compress_options compress;
  std::int64_t base_offset = 0;
  std::int32_t partition_leader_epoch = no_partition_leader_epoch;
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  std::int32_t base_sequence = no_sequence;
  bool transactional = false;
  bool control = false;
  // With log_append_time, every record's timestamp reads as log_append_time_ms (stored in
  // maxTimestamp); the records keep their own deltas.
  timestamp_type ts_type = timestamp_type::create_time;
  std::int64_t log_append_time_ms = no_timestamp;
};

class batch_builder {
 public:
  explicit batch_builder(batch_options options);

  // Adds a record with the next offset. The first record's timestamp becomes the batch's
  // baseTimestamp; later ones are stored as deltas from it.
  void append(std::int64_t timestamp_ms, std::optional<std::string_view> key,
              std::optional<std::string_view> value, std::span<const record_header> headers = {});

  std::int32_t record_count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The batch's size if it were built uncompressed.
  std::size_t uncompressed_size() const { return buffer_.size(); }

  // The finished batch. The builder is spent afterwards.
  records_result<std::string> build() &&;

 private:
  batch_options options_;
  // Header placeholder followed by the encoded records.
  std::string buffer_;
  std::int32_t count_ = 0;
  std::int64_t base_timestamp_ = no_timestamp;
  std::int64_t max_timestamp_ = no_timestamp;
};

// The encoded size of one record, length prefix included.
std::size_t record_size(std::int64_t timestamp_delta, std::int32_t offset_delta,
                        std::optional<std::string_view> key, std::optional<std::string_view> value,
                        std::span<const record_header> headers);

// A control batch holding one COMMIT or ABORT marker, as a transaction coordinator writes
// to each partition of a transaction: transactional + control attributes, no sequence.
struct end_txn_marker_options {
  bool commit = true;
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  std::int32_t coordinator_epoch = 0;
  std::int64_t timestamp_ms = no_timestamp;
  std::int64_t base_offset = 0;
  std::int32_t partition_leader_epoch = no_partition_leader_epoch;
};
std::string build_end_txn_marker_batch(const end_txn_marker_options& options);

// Encoded control record key and EndTxnMarker value (version 0 of each).
std::string encode_control_record_key(control_record_type type);
std::string encode_end_txn_marker(std::int32_t coordinator_epoch);

}  // namespace wharf::kafka::records
