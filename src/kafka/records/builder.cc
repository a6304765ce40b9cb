// Record and batch encoding.
#include "kafka/records/builder.h"

#include "base/bytes.h"

namespace wharf::kafka::records {

namespace {

std::size_t nullable_size(std::optional<std::string_view> bytes) {
  if (!bytes) return varint_size(-1);
  return varint_size(static_cast<std::int64_t>(bytes->size())) + bytes->size();
}

void write_nullable(byte_writer& w, std::optional<std::string_view> bytes) {
  if (!bytes) {
    w.write_varint(-1);
    return;
  }
  w.write_varint(static_cast<std::int32_t>(bytes->size()));
  w.write_bytes(*bytes);
}

std::size_t body_size(std::int64_t timestamp_delta, std::int32_t offset_delta,
                      std::optional<std::string_view> key, std::optional<std::string_view> value,
                      std::span<const record_header> headers) {
  std::size_t size = 1 + varint_size(timestamp_delta) + varint_size(offset_delta) +
                     nullable_size(key) + nullable_size(value) +
                     varint_size(static_cast<std::int64_t>(headers.size()));
  for (const auto& h : headers) size += nullable_size(h.key) + nullable_size(h.value);
  return size;
}

}  // namespace

std::size_t record_size(std::int64_t timestamp_delta, std::int32_t offset_delta,
                        std::optional<std::string_view> key, std::optional<std::string_view> value,
                        std::span<const record_header> headers) {
  auto body = body_size(timestamp_delta, offset_delta, key, value, headers);
  return varint_size(static_cast<std::int64_t>(body)) + body;
}

batch_builder::batch_builder(batch_options options) : options_(options) {
  buffer_.resize(layout::header_size);
}

void batch_builder::append(std::int64_t timestamp_ms, std::optional<std::string_view> key,
                           std::optional<std::string_view> value,
                           std::span<const record_header> headers) {
  if (count_ == 0) base_timestamp_ = timestamp_ms;
  if (count_ == 0 || timestamp_ms > max_timestamp_) max_timestamp_ = timestamp_ms;
  std::int64_t timestamp_delta = static_cast<std::int64_t>(
      static_cast<std::uint64_t>(timestamp_ms) - static_cast<std::uint64_t>(base_timestamp_));
  auto body = body_size(timestamp_delta, count_, key, value, headers);
  // Our own callers' records; Kafka caps a batch at 2 GiB anyway.
  WHARF_ASSERT(body <= static_cast<std::size_t>(INT32_MAX));
  byte_writer w(buffer_);
  w.write_varint(static_cast<std::int32_t>(body));
  w.write_int8(0);  // record attributes: unused in v2
  w.write_varlong(timestamp_delta);
  w.write_varint(count_);
  write_nullable(w, key);
  write_nullable(w, value);
  w.write_varint(static_cast<std::int32_t>(headers.size()));
  for (const auto& h : headers) {
    write_nullable(w, h.key);
    write_nullable(w, h.value);
  }
  ++count_;
}

records_result<std::string> batch_builder::build() && {
  if (count_ == 0) {
    return records_error(error_code::unknown_server_error, "cannot build a batch of no records");
  }
  std::string out;
  if (options_.compression == compression_type::none) {
    out = std::move(buffer_);
  } else {
    out.reserve(layout::header_size + buffer_.size() / 2);
    out.resize(layout::header_size);
    WHARF_RETURN_IF_ERROR(compress_append(options_.compression,
                                          std::string_view(buffer_).substr(layout::header_size),
                                          out, options_.compress));
  }
  if (out.size() - layout::log_overhead > static_cast<std::size_t>(INT32_MAX)) {
    return records_error(error_code::message_too_large, "record batch exceeds 2 GiB");
  }

  std::int16_t attributes = static_cast<std::int16_t>(options_.compression);
  if (options_.ts_type == timestamp_type::log_append_time) attributes |= attribute::log_append_time;
  if (options_.transactional) attributes |= attribute::transactional;
  if (options_.control) attributes |= attribute::control;

  std::string header;
  header.reserve(layout::header_size);
  byte_writer w(header);
  w.write_int64(options_.base_offset);
  w.write_int32(static_cast<std::int32_t>(out.size() - layout::log_overhead));
  w.write_int32(options_.partition_leader_epoch);
  w.write_int8(current_magic);
  w.write_uint32(0);  // crc, below
  w.write_int16(attributes);
  w.write_int32(count_ - 1);
  w.write_int64(base_timestamp_);
  w.write_int64(options_.ts_type == timestamp_type::log_append_time ? options_.log_append_time_ms
                                                                    : max_timestamp_);
  w.write_int64(options_.producer_id);
  w.write_int16(options_.producer_epoch);
  w.write_int32(options_.base_sequence);
  w.write_int32(count_);
  out.replace(0, layout::header_size, header);

  std::uint32_t crc = crc32c(std::string_view(out).substr(layout::attributes));
  byte_writer patch(out);
  patch.patch_int32(layout::crc, static_cast<std::int32_t>(crc));
  return out;
}

std::string encode_control_record_key(control_record_type type) {
  std::string out;
  byte_writer w(out);
  w.write_int16(0);
  w.write_int16(static_cast<std::int16_t>(type));
  return out;
}

std::string encode_end_txn_marker(std::int32_t coordinator_epoch) {
  std::string out;
  byte_writer w(out);
  w.write_int16(0);
  w.write_int32(coordinator_epoch);
  return out;
}

std::string build_end_txn_marker_batch(const end_txn_marker_options& options) {
  batch_options batch;
  batch.base_offset = options.base_offset;
  batch.partition_leader_epoch = options.partition_leader_epoch;
  batch.producer_id = options.producer_id;
  batch.producer_epoch = options.producer_epoch;
  batch.transactional = true;
  batch.control = true;
  batch_builder builder(batch);
  auto key = encode_control_record_key(options.commit ? control_record_type::commit
                                                      : control_record_type::abort);
  auto value = encode_end_txn_marker(options.coordinator_epoch);
  builder.append(options.timestamp_ms, key, value);
  // An uncompressed batch of one record cannot fail to build.
  return std::move(builder).build().value();
}

}  // namespace wharf::kafka::records
