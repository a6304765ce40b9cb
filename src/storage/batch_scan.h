// Internal: walking the record batches of a segment file. The scanner reads the file in
// chunks and hands out one batch header at a time (and, on request, the whole batch), for
// reads, index rebuilds and crash recovery. Broken framing is a parse_error value at the
// position where it starts, so recovery can truncate there; a failed read is an io_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "kafka/records/batch.h"
#include "storage/file.h"

namespace wharf::storage::detail {

namespace records = wharf::kafka::records;

// A batch's place in a segment file and its header.
struct batch_meta {
  std::uint64_t position = 0;
  records::batch_header header;

  std::uint64_t size() const { return header.size_bytes(); }
  std::uint64_t end_position() const { return position + size(); }
  std::int64_t base_offset() const { return header.base_offset; }
  std::int64_t last_offset() const { return header.last_offset(); }
  std::int64_t next_offset() const { return header.next_offset(); }
  std::int64_t max_timestamp() const { return header.max_timestamp; }
};

// Decodes and checks the framing of the 61-byte header at the front of bytes: a batch
// length that cannot hold the header, a magic other than 2, or negative counts are a
// parse_error (a torn or garbage tail looks like this).
result<records::batch_header> parse_batch_header(std::string_view bytes);

// CRC-32C of the batch against the CRC its header carries.
bool batch_crc_ok(std::string_view batch_bytes);

class batch_scanner {
 public:
  // Scans [start, end) of file. chunk is the read-ahead size.
  batch_scanner(const file_handle& file, std::uint64_t start, std::uint64_t end,
                std::size_t chunk = 64 * 1024)
      : file_(file), position_(start), end_(end), chunk_(chunk) {}

  // The next batch, nullopt at the end. A batch that runs past the end, or broken framing,
  // is a parse_error; position() then still points at that batch.
  result<std::optional<batch_meta>> next();

  // The whole bytes of the batch next() returned last (valid until the next call).
  result<std::string_view> current_bytes();

  // Where the next batch starts (after next() succeeded: after the returned batch).
  std::uint64_t position() const { return position_; }

 private:
  result<std::string_view> view(std::uint64_t position, std::size_t size);

  const file_handle& file_;
  std::uint64_t position_;
  std::uint64_t end_;
  std::size_t chunk_;
  std::string buffer_;
  std::uint64_t buffer_position_ = 0;
  std::optional<batch_meta> current_;
};

}  // namespace wharf::storage::detail
