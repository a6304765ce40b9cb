// The records inside a v2 batch, decoded for the broker's own consumers (compaction, the
// group and transaction coordinators): key, value, headers, offset and timestamp. A batch's
// records are decompressed lazily, on the first read, and every field is a view into the
// batch bytes or into the reader's decompressed copy.
//
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint | key | valueLength varint | value |
//   headerCount varint | (headerKeyLength varint | headerKey | headerValueLength varint | value)*
//
// A length of -1 is a null key, value or header value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "kafka/records/batch.h"
#include "kafka/records/error.h"

namespace wharf::kafka::records {

// Kafka's message.max.bytes is about 1 MiB of compressed data; real record data compresses
// 2-20x, so 64 MiB leaves ample room while bounding what a bomb can cost.
constexpr std::size_t default_max_decompressed_bytes = 64u << 20;

struct record_header {
  std::string_view key;
  std::optional<std::string_view> value;

  bool operator==(const record_header&) const = default;
};

// The headers of a decoded record, parsed as they are iterated (they were checked when the
// record was decoded, so iteration cannot fail).
class headers_view {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = record_header;
    using difference_type = std::ptrdiff_t;
    using pointer = const record_header*;
    using reference = const record_header&;

    iterator() = default;
    iterator(std::string_view data, std::int32_t count) : reader_(data), left_(count) { load(); }

    const record_header& operator*() const { return current_; }
    const record_header* operator->() const { return &current_; }
    iterator& operator++() {
      load();
      return *this;
    }
    bool operator==(const iterator& other) const { return done_ == other.done_ && done_; }

   private:
    void load();

    byte_reader reader_;
    std::int32_t left_ = 0;
    record_header current_;
    bool done_ = true;
  };

  headers_view() = default;
  headers_view(std::string_view data, std::int32_t count) : data_(data), count_(count) {}

  iterator begin() const { return iterator(data_, count_); }
  iterator end() const { return iterator(); }
  std::int32_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::vector<record_header> to_vector() const;

 private:
  std::string_view data_;
  std::int32_t count_ = 0;
};

struct record {
  std::int8_t attributes = 0;
  std::int64_t timestamp_delta = 0;
  std::int32_t offset_delta = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::int32_t header_count = 0;
  // The encoded headers, decoded by headers().
  std::string_view headers_data;
  // The whole encoded record, length prefix included.
  std::size_t size_bytes = 0;

  // Absolute values, filled in by record_reader from the batch header.
  std::int64_t offset = 0;
  // baseTimestamp + timestampDelta, or the batch's maxTimestamp for LogAppendTime batches.
  std::int64_t timestamp = 0;

  headers_view headers() const { return headers_view(headers_data, header_count); }
};

// Decodes the record at the front of data and advances data past it. Malformed structure
// is INVALID_RECORD (Kafka's InvalidRecordException); offset and timestamp are left 0.
records_result<record> read_record(std::string_view& data);

// Reads the records of one batch in order. Nothing is decompressed until the first next().
// The records' views stay valid while the reader and the batch bytes live (moving the
// reader keeps them valid too).
class record_reader {
 public:
  explicit record_reader(const batch_view& batch,
                         std::size_t max_decompressed_bytes = default_max_decompressed_bytes)
      : batch_(batch), max_decompressed_bytes_(max_decompressed_bytes) {}

  // The next record, nullopt after the last. After the batch's record count it checks that
  // no bytes are left over (INVALID_RECORD otherwise, as Kafka does).
  records_result<std::optional<record>> next();

  // The (decompressed) records bytes; decompresses if that has not happened yet.
  records_result<std::string_view> records_data();
  std::int32_t records_read() const { return read_; }
  const batch_view& batch() const { return batch_; }
  // Hands over the decompressed bytes the records point into (null if uncompressed).
  std::unique_ptr<std::string> take_storage() && { return std::move(decompressed_); }

 private:
  records_status open();

  batch_view batch_;
  std::size_t max_decompressed_bytes_;
  std::unique_ptr<std::string> decompressed_;
  std::string_view rest_;
  bool opened_ = false;
  std::int32_t read_ = 0;
  std::optional<records_error> error_;
};

// A batch decoded in full, owning its decompressed bytes (the records point into them or
// into the original batch bytes, which must outlive this).
struct decoded_batch {
  batch_header header;
  std::unique_ptr<std::string> storage;
  std::vector<record> records;
};

records_result<decoded_batch> decode_batch(
    const batch_view& batch, std::size_t max_decompressed_bytes = default_max_decompressed_bytes);

// Control records (in batches with the control bit): the key is version int16 + type int16.
enum class control_record_type : std::int16_t {
  abort = 0,
  commit = 1,
  // KRaft's own log; listed so they can be told apart, not interpreted here.
  leader_change = 2,
  snapshot_header = 3,
  snapshot_footer = 4,
  kraft_version = 5,
  kraft_voters = 6,
};

struct control_record_key {
  std::int16_t version = 0;
  std::int16_t type = 0;  // a control_record_type, or an id newer than we know

  bool is_end_txn_marker() const { return type == 0 || type == 1; }
};

// EndTxnMarker, the value of ABORT and COMMIT control records.
struct end_txn_marker {
  std::int16_t version = 0;
  std::int32_t coordinator_epoch = 0;
};

records_result<control_record_key> parse_control_record_key(std::string_view key);
records_result<end_txn_marker> parse_end_txn_marker(std::string_view value);

}  // namespace wharf::kafka::records
