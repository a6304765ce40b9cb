// Record decoding, lazy decompression of a batch's records, and control record payloads.
#include "kafka/records/record.h"

#include <algorithm>

namespace wharf::kafka::records {

namespace {

// The smallest encoded record: length, attributes, timestampDelta, offsetDelta, key length,
// value length and header count, one byte each.
constexpr std::size_t min_record_size = 7;

records_error invalid(std::string message) {
  return records_error(error_code::invalid_record, std::move(message));
}

// A nullable byte field: length -1 is null, other negative lengths are malformed (Kafka reads
// any negative length as null; no client writes one, so we refuse them).
std::optional<std::string_view> read_nullable_bytes(byte_reader& r, const char* what) {
  std::int32_t length = r.read_varint();
  if (length == -1) return std::nullopt;
  if (length < 0) {
    r.fail(what);
    return std::nullopt;
  }
  return r.read_bytes(static_cast<std::size_t>(length));
}

}  // namespace

void headers_view::iterator::load() {
  if (left_ <= 0) {
    done_ = true;
    return;
  }
  --left_;
  std::int32_t key_length = reader_.read_varint();
  current_.key = reader_.read_bytes(static_cast<std::size_t>(std::max(key_length, 0)));
  current_.value = read_nullable_bytes(reader_, "negative header value length");
  done_ = !reader_.ok();
}

std::vector<record_header> headers_view::to_vector() const {
  std::vector<record_header> out;
  out.reserve(static_cast<std::size_t>(std::max(count_, 0)));
  for (const auto& h : *this) out.push_back(h);
  return out;
}

records_result<record> read_record(std::string_view& data) {
  byte_reader prefix(data);
  std::int32_t length = prefix.read_varint();
  if (!prefix.ok()) return invalid(fmt::format("record length is malformed: {}", prefix.error()));
  if (length < 0 || static_cast<std::size_t>(length) > prefix.remaining()) {
    return invalid(fmt::format("record length {} does not fit the {} bytes left in the batch",
                               length, prefix.remaining()));
  }
  std::size_t body_at = prefix.position();
  byte_reader r(data.substr(body_at, static_cast<std::size_t>(length)));
  record rec;
  rec.attributes = r.read_int8();
  rec.timestamp_delta = r.read_varlong();
  rec.offset_delta = r.read_varint();
  rec.key = read_nullable_bytes(r, "negative key length");
  rec.value = read_nullable_bytes(r, "negative value length");
  rec.header_count = r.read_varint();
  if (r.ok() && rec.header_count < 0) {
    return invalid(fmt::format("invalid number of record headers {}", rec.header_count));
  }
  std::size_t headers_at = r.position();
  for (std::int32_t i = 0; i < rec.header_count && r.ok(); ++i) {
    std::int32_t key_length = r.read_varint();
    if (key_length < 0) {
      if (r.ok()) return invalid(fmt::format("negative header key length {}", key_length));
      break;
    }
    r.skip(static_cast<std::size_t>(key_length));
    (void)read_nullable_bytes(r, "negative header value length");
  }
  if (!r.ok()) return invalid(fmt::format("record structure is malformed: {}", r.error()));
  if (!r.at_end()) {
    return invalid(fmt::format("record length {} leaves {} bytes unread", length, r.remaining()));
  }
  rec.headers_data = r.data().substr(headers_at);
  rec.size_bytes = body_at + static_cast<std::size_t>(length);
  data.remove_prefix(rec.size_bytes);
  return rec;
}

records_status record_reader::open() {
  const auto& h = batch_.header();
  if (h.record_count < 0) {
    return invalid(fmt::format("invalid record count {}", h.record_count));
  }
  auto codec = h.compression();
  if (!codec) {
    return make_records_error(error_code::unsupported_compression_type,
                              "unknown compression type id {}", h.compression_id());
  }
  if (*codec == compression_type::none) {
    rest_ = batch_.records_data();
  } else {
    decompressed_ = std::make_unique<std::string>();
    WHARF_RETURN_IF_ERROR(
        decompress_append(*codec, batch_.records_data(), max_decompressed_bytes_, *decompressed_));
    rest_ = *decompressed_;
  }
  // Each record takes at least 7 bytes: a count the data cannot hold is caught up front.
  if (static_cast<std::size_t>(h.record_count) > rest_.size() / min_record_size) {
    return invalid(fmt::format("record count {} cannot fit in {} bytes of records", h.record_count,
                               rest_.size()));
  }
  if (h.record_count == 0 && !rest_.empty()) {
    return invalid(fmt::format("{} bytes of records in a batch of 0 records", rest_.size()));
  }
  opened_ = true;
  return {};
}

records_result<std::string_view> record_reader::records_data() {
  if (error_) return *error_;
  if (!opened_) {
    auto status = open();
    if (!status.ok()) {
      error_ = status.err();
      return *error_;
    }
  }
  return decompressed_ ? std::string_view(*decompressed_) : batch_.records_data();
}

records_result<std::optional<record>> record_reader::next() {
  if (error_) return *error_;
  if (!opened_) {
    auto status = open();
    if (!status.ok()) {
      error_ = status.err();
      return *error_;
    }
  }
  const auto& h = batch_.header();
  if (read_ >= h.record_count) return std::optional<record>();
  auto rec = read_record(rest_);
  if (!rec.ok()) {
    error_ = rec.err().with_context(fmt::format("record {}", read_));
    return *error_;
  }
  ++read_;
  if (read_ == h.record_count && !rest_.empty()) {
    error_ = invalid(
        fmt::format("{} bytes remain after the batch's {} records", rest_.size(), h.record_count));
    return *error_;
  }
  rec->offset = wrapping_add(h.base_offset, rec->offset_delta);
  rec->timestamp = h.ts_type() == timestamp_type::log_append_time
                       ? h.max_timestamp
                       : wrapping_add(h.base_timestamp, rec->timestamp_delta);
  return std::optional<record>(std::move(rec).value());
}

records_result<decoded_batch> decode_batch(const batch_view& batch,
                                           std::size_t max_decompressed_bytes) {
  record_reader reader(batch, max_decompressed_bytes);
  WHARF_ASSIGN_OR_RETURN(std::string_view data, reader.records_data());
  decoded_batch out;
  out.header = batch.header();
  out.records.reserve(std::min<std::size_t>(static_cast<std::size_t>(batch.header().record_count),
                                            data.size() / min_record_size + 1));
  for (;;) {
    WHARF_ASSIGN_OR_RETURN(std::optional<record> rec, reader.next());
    if (!rec) break;
    out.records.push_back(*rec);
  }
  // The reader's buffer moves into the result; the records' views follow the heap block.
  out.storage = std::move(reader).take_storage();
  return out;
}

records_result<control_record_key> parse_control_record_key(std::string_view key) {
  byte_reader r(key);
  control_record_key out;
  out.version = r.read_int16();
  out.type = r.read_int16();
  if (!r.ok()) {
    return invalid(fmt::format("control record key of {} bytes is shorter than 4", key.size()));
  }
  if (out.version < 0) {
    return invalid(fmt::format("invalid control record key version {}", out.version));
  }
  return out;
}

records_result<end_txn_marker> parse_end_txn_marker(std::string_view value) {
  byte_reader r(value);
  end_txn_marker out;
  out.version = r.read_int16();
  out.coordinator_epoch = r.read_int32();
  if (!r.ok()) {
    return invalid(
        fmt::format("end transaction marker of {} bytes is shorter than 6", value.size()));
  }
  if (out.version < 0) {
    return invalid(fmt::format("invalid end transaction marker version {}", out.version));
  }
  return out;
}

}  // namespace wharf::kafka::records
