// Internal: the two sparse indexes of a segment, held in memory and mirrored to Kafka's
// file formats (big endian, no header):
//   .index      relative offset int32 | file position int32     (8 bytes an entry)
//   .timeindex  timestamp int64       | relative offset int32   (12 bytes an entry)
// An offset entry names the last offset of a batch and the position where that batch
// starts; a time entry names the largest timestamp seen so far in the segment and the last
// offset of the batch that carried it. Both grow only at the end, and decode() refuses a
// file that could not have been written that way, so a corrupt index gets rebuilt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wharf::storage::detail {

struct offset_entry {
  std::int32_t relative_offset = 0;
  std::uint32_t position = 0;
};

struct time_entry {
  std::int64_t timestamp = 0;
  std::int32_t relative_offset = 0;
};

class offset_index {
 public:
  static constexpr std::size_t entry_size = 8;

  // Checks every entry: strictly growing offsets below max_relative_offset (exclusive),
  // growing positions below log_size.
  static result<offset_index> decode(std::string_view bytes, std::uint64_t log_size,
                                     std::int64_t max_relative_offset);

  void append(offset_entry entry) { entries_.push_back(entry); }
  // The entry with the largest offset <= relative_offset, if any.
  std::optional<offset_entry> lookup(std::int32_t relative_offset) const;
  // The entry with the largest position <= position, if any.
  std::optional<offset_entry> lookup_position(std::uint64_t position) const;

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const offset_entry& back() const { return entries_.back(); }
  // The file bytes of entries [from, size()).
  std::string encode(std::size_t from = 0) const;

 private:
  std::vector<offset_entry> entries_;
};

class time_index {
 public:
  static constexpr std::size_t entry_size = 12;

  // Checks every entry: strictly growing timestamps, growing offsets below
  // max_relative_offset (exclusive).
  static result<time_index> decode(std::string_view bytes, std::int64_t max_relative_offset);

  // Adds an entry if timestamp is larger than the last one's.
  bool maybe_append(time_entry entry);
  // The entry with the largest timestamp <= timestamp, if any.
  std::optional<time_entry> lookup(std::int64_t timestamp) const;

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const time_entry& back() const { return entries_.back(); }
  std::string encode(std::size_t from = 0) const;

 private:
  std::vector<time_entry> entries_;
};

}  // namespace wharf::storage::detail
