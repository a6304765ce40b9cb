// Validation of the record batches a client produces, with the error codes Apache Kafka
// answers (UnifiedLog.analyzeAndValidateRecords + LogValidator + DefaultRecordBatch):
//
//   framing: length vs bytes present, magic      CORRUPT_MESSAGE; magic 0/1:
//                                                UNSUPPORTED_FOR_MESSAGE_FORMAT
//   batch larger than max_batch_bytes             MESSAGE_TOO_LARGE
//   CRC-32C of attributes..end                    CORRUPT_MESSAGE
//   codec id 5-7, or zstd where not allowed       UNSUPPORTED_COMPRESSION_TYPE
//   counts, offset deltas, producer fields,
//   control batches from clients, records         INVALID_RECORD
//   timestamps out of bounds, LogAppendTime set   INVALID_TIMESTAMP
//   decompressed size over the cap                MESSAGE_TOO_LARGE
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kafka/records/batch.h"
#include "kafka/records/error.h"
#include "kafka/records/record.h"

namespace wharf::kafka::records {

// CreateTime bounds (message.timestamp.before.max.ms / after.max.ms): a record timestamp
// must lie in [now - before_max_ms, now + after_max_ms].
struct timestamp_limits {
  std::int64_t now_ms = 0;
  std::int64_t before_max_ms = INT64_MAX;
  std::int64_t after_max_ms = INT64_MAX;
};

struct validation_options {
  // message.max.bytes (Kafka's default: 1 MiB + 12).
  std::size_t max_batch_bytes = 1048588;
  std::size_t max_decompressed_bytes = default_max_decompressed_bytes;
  // Kafka decompresses and checks every record of a compressed batch; turning this off
  // trusts the client's records and checks only the header (see the benchmark for the cost).
  bool validate_compressed_records = true;
  // Clients may not write control batches; the broker's own writes may.
  bool allow_control_batches = false;
  // Produce requests below v7 may not carry zstd.
  bool allow_zstd = true;
  // A producer's batch starts at offset 0; the broker assigns the real one.
  bool require_zero_base_offset = true;
  // Producers must not set the LogAppendTime bit.
  bool allow_log_append_time = false;
  // Compacted topics need a key on every record.
  bool require_keys = false;
  std::optional<timestamp_limits> timestamps;
};

// What validation learned, for the append that follows.
struct batch_summary {
  batch_header header;
  // True when every record was decoded and checked.
  bool records_checked = false;
  // The largest record timestamp and the offset delta of the first record that has it,
  // from the records when checked, otherwise maxTimestamp / lastOffsetDelta of the header.
  std::int64_t max_timestamp = no_timestamp;
  std::int32_t offset_delta_of_max_timestamp = 0;
  // The size of the records once decompressed (records_data size when not compressed,
  // 0 when compressed records were not checked).
  std::size_t uncompressed_records_bytes = 0;
};

// Validates one whole batch (bytes must hold exactly the batch).
records_result<batch_summary> validate_batch(std::string_view batch,
                                             const validation_options& options = {});

// Validates a produce request's records for one partition: since produce v3 they must be
// exactly one v2 batch (INVALID_RECORD otherwise).
records_result<batch_summary> validate_produce_records(std::string_view records,
                                                       const validation_options& options = {});

}  // namespace wharf::kafka::records
