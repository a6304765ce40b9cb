// RecordBatch v2 header decoding and batch framing.
#include "kafka/records/batch.h"

#include "base/bytes.h"

namespace wharf::kafka::records {

records_result<batch_header> read_batch_header(std::string_view bytes) {
  if (bytes.size() < layout::header_size) {
    return make_records_error(error_code::corrupt_message,
                              "record batch of {} bytes is shorter than its {}-byte header",
                              bytes.size(), layout::header_size);
  }
  byte_reader r(bytes.substr(0, layout::header_size));
  batch_header h;
  h.base_offset = r.read_int64();
  h.batch_length = r.read_int32();
  h.partition_leader_epoch = r.read_int32();
  h.magic = r.read_int8();
  h.crc = r.read_uint32();
  h.attributes = r.read_int16();
  h.last_offset_delta = r.read_int32();
  h.base_timestamp = r.read_int64();
  h.max_timestamp = r.read_int64();
  h.producer_id = r.read_int64();
  h.producer_epoch = r.read_int16();
  h.base_sequence = r.read_int32();
  h.record_count = r.read_int32();
  return h;
}

namespace {

// The framing checks Kafka's log input stream makes on the first 17 bytes of a batch:
// returns the batch's total size, or an error for a length or magic no batch can have.
records_result<std::size_t> check_framing(std::string_view head, std::size_t max_batch_bytes) {
  byte_reader r(head.substr(0, layout::header_size_up_to_magic));
  r.skip(layout::batch_length);
  std::int32_t length = r.read_int32();
  r.skip(layout::magic - layout::partition_leader_epoch);
  std::int8_t magic = r.read_int8();
  if (length < static_cast<std::int32_t>(layout::legacy_min_length)) {
    return make_records_error(error_code::corrupt_message,
                              "record batch length {} is less than the minimum of {}", length,
                              layout::legacy_min_length);
  }
  if (magic == 0 || magic == 1) {
    return make_records_error(error_code::unsupported_for_message_format,
                              "message format v{} (magic {}) is not supported; clients must "
                              "send RecordBatch v2",
                              magic, magic);
  }
  if (magic != current_magic) {
    return make_records_error(error_code::corrupt_message, "invalid magic byte {} in record batch",
                              magic);
  }
  std::size_t size = layout::log_overhead + static_cast<std::size_t>(length);
  if (size > max_batch_bytes) {
    return make_records_error(error_code::message_too_large,
                              "record batch of {} bytes exceeds the maximum of {}", size,
                              max_batch_bytes);
  }
  if (size < layout::header_size) {
    return make_records_error(error_code::corrupt_message,
                              "record batch of {} bytes is shorter than its {}-byte header", size,
                              layout::header_size);
  }
  return size;
}

}  // namespace

records_result<batch_view> batch_view::parse(std::string_view bytes) {
  if (bytes.size() < layout::header_size_up_to_magic) {
    return make_records_error(error_code::corrupt_message, "record batch of {} bytes is cut short",
                              bytes.size());
  }
  WHARF_ASSIGN_OR_RETURN(std::size_t size, check_framing(bytes, SIZE_MAX));
  if (size != bytes.size()) {
    return make_records_error(error_code::corrupt_message,
                              "record batch length says {} bytes but {} are present", size,
                              bytes.size());
  }
  WHARF_ASSIGN_OR_RETURN(batch_header header, read_batch_header(bytes));
  return batch_view(bytes, header);
}

std::uint32_t batch_view::compute_crc() const { return crc32c(crc_data()); }

records_result<std::optional<batch_view>> batch_reader::next() {
  if (error_) return *error_;
  if (done_) return std::optional<batch_view>();
  std::string_view rest = blob_.substr(position_);
  if (rest.empty() || rest.size() < layout::header_size_up_to_magic) {
    done_ = true;
    return std::optional<batch_view>();
  }
  auto size = check_framing(rest, max_batch_bytes_);
  if (!size.ok()) {
    error_ = size.err().with_context(fmt::format("at byte {} of the records", position_));
    return *error_;
  }
  if (*size > rest.size()) {
    done_ = true;
    return std::optional<batch_view>();
  }
  auto view = batch_view::parse(rest.substr(0, *size));
  if (!view.ok()) {
    error_ = view.err();
    return *error_;
  }
  position_ += *size;
  return std::optional<batch_view>(*view);
}

records_result<split_batches_result> split_batches(std::string_view blob, partial_batches partial,
                                                   std::size_t max_batch_bytes) {
  split_batches_result out;
  batch_reader reader(blob, max_batch_bytes);
  for (;;) {
    WHARF_ASSIGN_OR_RETURN(std::optional<batch_view> batch, reader.next());
    if (!batch) break;
    out.batches.push_back(*batch);
  }
  if (reader.has_partial_tail()) {
    if (partial == partial_batches::reject) {
      return make_records_error(error_code::corrupt_message,
                                "records end with a partial batch of {} bytes",
                                reader.partial_tail().size());
    }
    out.partial_tail = reader.partial_tail();
  }
  return out;
}

}  // namespace wharf::kafka::records
