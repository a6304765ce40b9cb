// The offset and time indexes of a segment (see segment_index.h).
#include "storage/segment_index.h"

#include <algorithm>

#include "base/bytes.h"

namespace wharf::storage::detail {

result<offset_index> offset_index::decode(std::string_view bytes, std::uint64_t log_size,
                                          std::int64_t max_relative_offset) {
  if (bytes.size() % entry_size != 0) {
    return make_error(errc::parse_error, "offset index of {} bytes is not a multiple of {}",
                      bytes.size(), entry_size);
  }
  offset_index index;
  index.entries_.reserve(bytes.size() / entry_size);
  byte_reader r(bytes);
  while (!r.at_end()) {
    offset_entry e;
    e.relative_offset = r.read_int32();
    e.position = r.read_uint32();
    if (e.relative_offset < 0 || e.relative_offset >= max_relative_offset) {
      return make_error(errc::parse_error, "offset index entry {} has relative offset {}",
                        index.size(), e.relative_offset);
    }
    if (e.position >= log_size) {
      return make_error(errc::parse_error, "offset index entry {} points at {} past the log's {}",
                        index.size(), e.position, log_size);
    }
    if (!index.empty() && (e.relative_offset <= index.back().relative_offset ||
                           e.position <= index.back().position)) {
      return make_error(errc::parse_error, "offset index entry {} does not follow the one before",
                        index.size());
    }
    index.entries_.push_back(e);
  }
  return index;
}

std::optional<offset_entry> offset_index::lookup(std::int32_t relative_offset) const {
  auto it = std::upper_bound(
      entries_.begin(), entries_.end(), relative_offset,
      [](std::int32_t target, const offset_entry& e) { return target < e.relative_offset; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::optional<offset_entry> offset_index::lookup_position(std::uint64_t position) const {
  auto it = std::upper_bound(
      entries_.begin(), entries_.end(), position,
      [](std::uint64_t target, const offset_entry& e) { return target < e.position; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::string offset_index::encode(std::size_t from) const {
  std::string out;
  byte_writer w(out);
  w.reserve((entries_.size() - std::min(from, entries_.size())) * entry_size);
  for (std::size_t i = from; i < entries_.size(); ++i) {
    w.write_int32(entries_[i].relative_offset);
    w.write_uint32(entries_[i].position);
  }
  return out;
}

result<time_index> time_index::decode(std::string_view bytes, std::int64_t max_relative_offset) {
  if (bytes.size() % entry_size != 0) {
    return make_error(errc::parse_error, "time index of {} bytes is not a multiple of {}",
                      bytes.size(), entry_size);
  }
  time_index index;
  index.entries_.reserve(bytes.size() / entry_size);
  byte_reader r(bytes);
  while (!r.at_end()) {
    time_entry e;
    e.timestamp = r.read_int64();
    e.relative_offset = r.read_int32();
    if (e.relative_offset < 0 || e.relative_offset >= max_relative_offset) {
      return make_error(errc::parse_error, "time index entry {} has relative offset {}",
                        index.size(), e.relative_offset);
    }
    std::int64_t previous = index.empty() ? -1 : index.back().timestamp;
    if (e.timestamp <= previous ||
        (!index.empty() && e.relative_offset < index.back().relative_offset)) {
      return make_error(errc::parse_error, "time index entry {} does not follow the one before",
                        index.size());
    }
    index.entries_.push_back(e);
  }
  return index;
}

bool time_index::maybe_append(time_entry entry) {
  // As in Kafka, an empty index behaves as if its last timestamp were -1 (no timestamp).
  std::int64_t previous = entries_.empty() ? -1 : entries_.back().timestamp;
  if (entry.timestamp <= previous) return false;
  entries_.push_back(entry);
  return true;
}

std::optional<time_entry> time_index::lookup(std::int64_t timestamp) const {
  auto it = std::upper_bound(
      entries_.begin(), entries_.end(), timestamp,
      [](std::int64_t target, const time_entry& e) { return target < e.timestamp; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::string time_index::encode(std::size_t from) const {
  std::string out;
  byte_writer w(out);
  w.reserve((entries_.size() - std::min(from, entries_.size())) * entry_size);
  for (std::size_t i = from; i < entries_.size(); ++i) {
    w.write_int64(entries_[i].timestamp);
    w.write_int32(entries_[i].relative_offset);
  }
  return out;
}

}  // namespace wharf::storage::detail
