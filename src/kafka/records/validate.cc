// Produce-side validation of v2 record batches.
#include "kafka/records/validate.h"

namespace wharf::kafka::records {

namespace {

constexpr std::size_t min_record_size = 7;
// The thread's decompression buffer is kept for reuse unless a batch made it this large.
constexpr std::size_t kept_buffer_capacity = 4u << 20;

records_error invalid(std::string message) {
  return records_error(error_code::invalid_record, std::move(message));
}

bool outside(const timestamp_limits& limits, std::int64_t ts) {
  // 128-bit arithmetic: the bounds default to INT64_MAX.
  __int128 diff = static_cast<__int128>(ts) - limits.now_ms;
  return diff < -static_cast<__int128>(limits.before_max_ms) ||
         diff > static_cast<__int128>(limits.after_max_ms);
}

records_error bad_timestamp(const timestamp_limits& limits, std::int64_t ts, std::int32_t index) {
  return make_records_error(error_code::invalid_timestamp,
                            "timestamp {} of record {} is outside [{}, {}] (now {}, before max "
                            "{} ms, after max {} ms)",
                            ts, index,
                            static_cast<__int128>(limits.now_ms) - limits.before_max_ms < INT64_MIN
                                ? INT64_MIN
                                : limits.now_ms - limits.before_max_ms,
                            static_cast<__int128>(limits.now_ms) + limits.after_max_ms > INT64_MAX
                                ? INT64_MAX
                                : limits.now_ms + limits.after_max_ms,
                            limits.now_ms, limits.before_max_ms, limits.after_max_ms);
}

records_status check_header(const batch_view& batch, const validation_options& options) {
  const auto& h = batch.header();
  if (options.require_zero_base_offset && h.base_offset != 0) {
    return invalid(
        fmt::format("the baseOffset of a produced record batch must be 0, not {}", h.base_offset));
  }
  if (batch.size_bytes() > options.max_batch_bytes) {
    return make_records_error(error_code::message_too_large,
                              "record batch of {} bytes exceeds the maximum of {}",
                              batch.size_bytes(), options.max_batch_bytes);
  }
  std::uint32_t crc = batch.compute_crc();
  if (crc != h.crc) {
    return make_records_error(error_code::corrupt_message,
                              "record batch CRC mismatch: the batch says {:#010x}, its bytes give "
                              "{:#010x}",
                              h.crc, crc);
  }
  auto codec = h.compression();
  if (!codec) {
    return make_records_error(error_code::unsupported_compression_type,
                              "unknown compression type id {}", h.compression_id());
  }
  if (*codec == compression_type::zstd && !options.allow_zstd) {
    return records_error(error_code::unsupported_compression_type,
                         "zstd compression needs produce request version 7 or later");
  }
  std::int64_t count_from_offsets = std::int64_t{h.last_offset_delta} + 1;
  if (count_from_offsets <= 0) {
    return invalid(fmt::format("invalid lastOffsetDelta {}", h.last_offset_delta));
  }
  if (h.record_count <= 0) {
    return invalid(fmt::format("invalid record count {}", h.record_count));
  }
  if (count_from_offsets != h.record_count) {
    return invalid(fmt::format("record count {} does not match lastOffsetDelta {}", h.record_count,
                               h.last_offset_delta));
  }
  if (h.is_control() && !options.allow_control_batches) {
    return invalid("clients are not allowed to write control records");
  }
  // Control batches carry no sequence (the coordinator writes them with -1).
  if (h.has_producer_id() && h.base_sequence < 0 && !h.is_control()) {
    return invalid(fmt::format("invalid sequence number {} for producer id {}", h.base_sequence,
                               h.producer_id));
  }
  if (h.is_transactional() && !h.has_producer_id()) {
    return invalid("a transactional record batch needs a producer id");
  }
  if (h.ts_type() == timestamp_type::log_append_time && !options.allow_log_append_time) {
    return records_error(error_code::invalid_timestamp,
                         "producers must not set the LogAppendTime timestamp type");
  }
  return {};
}

records_status check_records(std::string_view data, const batch_header& h,
                             const validation_options& options, batch_summary& summary) {
  if (static_cast<std::size_t>(h.record_count) > data.size() / min_record_size) {
    return invalid(fmt::format("record count {} cannot fit in {} bytes of records", h.record_count,
                               data.size()));
  }
  bool check_time = options.timestamps.has_value() && h.ts_type() == timestamp_type::create_time;
  std::int64_t max_timestamp = no_timestamp;
  std::int32_t max_delta = 0;
  for (std::int32_t i = 0; i < h.record_count; ++i) {
    auto rec = read_record(data);
    if (!rec.ok()) return rec.err().with_context(fmt::format("record {}", i));
    if (rec->offset_delta != i) {
      return invalid(fmt::format("record {} has offset delta {}; the deltas must run 0, 1, 2...", i,
                                 rec->offset_delta));
    }
    if (options.require_keys && !rec->key) {
      return invalid(fmt::format("record {} has no key, which a compacted topic requires", i));
    }
    std::int64_t ts = wrapping_add(h.base_timestamp, rec->timestamp_delta);
    if (check_time && outside(*options.timestamps, ts)) {
      return bad_timestamp(*options.timestamps, ts, i);
    }
    if (i == 0 || ts > max_timestamp) {
      max_timestamp = ts;
      max_delta = i;
    }
  }
  if (!data.empty()) {
    return invalid(
        fmt::format("{} bytes remain after the batch's {} records", data.size(), h.record_count));
  }
  summary.records_checked = true;
  summary.max_timestamp = max_timestamp;
  summary.offset_delta_of_max_timestamp = max_delta;
  return {};
}

}  // namespace

records_result<batch_summary> validate_batch(std::string_view bytes,
                                             const validation_options& options) {
  WHARF_ASSIGN_OR_RETURN(batch_view batch, batch_view::parse(bytes));
  WHARF_RETURN_IF_ERROR(check_header(batch, options));
  const auto& h = batch.header();
  batch_summary summary;
  summary.header = h;
  summary.max_timestamp = h.max_timestamp;
  summary.offset_delta_of_max_timestamp = h.last_offset_delta;

  auto codec = *h.compression();
  if (codec == compression_type::none) {
    summary.uncompressed_records_bytes = batch.records_data().size();
    WHARF_RETURN_IF_ERROR(check_records(batch.records_data(), h, options, summary));
    return summary;
  }
  if (!options.validate_compressed_records) {
    // Only the header's timestamps can be checked without decompressing.
    if (options.timestamps && h.ts_type() == timestamp_type::create_time) {
      if (outside(*options.timestamps, h.base_timestamp)) {
        return bad_timestamp(*options.timestamps, h.base_timestamp, 0);
      }
      if (outside(*options.timestamps, h.max_timestamp)) {
        return bad_timestamp(*options.timestamps, h.max_timestamp, h.last_offset_delta);
      }
    }
    return summary;
  }
  // Reusing one buffer per thread saves an allocation and its page faults per batch.
  thread_local std::string buffer;
  buffer.clear();
  auto status =
      decompress_append(codec, batch.records_data(), options.max_decompressed_bytes, buffer);
  if (status.ok()) {
    summary.uncompressed_records_bytes = buffer.size();
    status = check_records(buffer, h, options, summary);
  }
  if (buffer.capacity() > kept_buffer_capacity) std::string().swap(buffer);
  if (!status.ok()) return status.err();
  return summary;
}

records_result<batch_summary> validate_produce_records(std::string_view records,
                                                       const validation_options& options) {
  if (records.empty()) {
    return invalid("produce requests must carry exactly one record batch per partition, not 0");
  }
  // Kafka's produce path (ProduceRequest.validateRecords) sees no batch at all in bytes
  // too short for the one they announce, and refuses other magics, both as INVALID_RECORD
  // before any CRC is looked at.
  constexpr std::size_t magic_at = 16;
  if (records.size() <= magic_at) {
    return invalid("produce requests with version 3+ must have at least one record batch");
  }
  byte_reader length_reader(records.substr(8, 4));
  auto announced = static_cast<std::int64_t>(length_reader.read_int32());
  if (announced < 0 || 12 + announced > static_cast<std::int64_t>(records.size())) {
    return invalid("produce requests with version 3+ must have at least one record batch");
  }
  if (records[magic_at] != 2) {
    return invalid(
        "produce requests with version 3+ are only allowed to contain record batches with magic "
        "version 2");
  }
  batch_reader reader(records);
  WHARF_ASSIGN_OR_RETURN(std::optional<batch_view> first, reader.next());
  if (!first) {
    return make_records_error(error_code::corrupt_message,
                              "records of {} bytes do not hold a whole record batch",
                              records.size());
  }
  if (reader.position() != records.size()) {
    auto second = reader.next();
    if (second.ok() && second->has_value()) {
      return invalid("produce requests must carry exactly one record batch per partition");
    }
    return make_records_error(error_code::corrupt_message,
                              "{} bytes follow the record batch of {} bytes",
                              records.size() - reader.position(), first->size_bytes());
  }
  return validate_batch(first->bytes(), options);
}

}  // namespace wharf::kafka::records
