// Internal: one segment of a partition log, "<20-digit base offset>.log" with its ".index"
// and ".timeindex". The log file is written only at its end, by the partition's appender
// (which holds the partition's append lock); readers take a consistent snapshot of the
// committed size and indexes under the segment's shared lock and then read the file
// without any lock, through a shared file_handle that outlives the segment's deletion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/batch_scan.h"
#include "storage/file.h"
#include "storage/segment_index.h"

namespace wharf::storage::detail {

inline constexpr std::string_view log_suffix = ".log";
inline constexpr std::string_view index_suffix = ".index";
inline constexpr std::string_view time_index_suffix = ".timeindex";

// "00000000000000001234" + suffix.
std::string segment_file_name(std::int64_t base_offset, std::string_view suffix);
// The base offset of "<20 digits>.log" (with exactly that suffix), or nullopt.
std::optional<std::int64_t> parse_segment_file_name(std::string_view name, std::string_view suffix);

// What a reader sees of a segment at one moment.
struct segment_state {
  std::uint64_t size = 0;
  std::int64_t next_offset = 0;
  // Largest batch maxTimestamp, and the last offset of the first batch that carried it.
  std::int64_t max_timestamp = -1;
  std::int64_t offset_of_max_timestamp = -1;
  // maxTimestamp of the first batch (-1 when empty), for segment.ms.
  std::int64_t first_batch_timestamp = -1;
};

// What opening a segment found and repaired.
struct segment_load_report {
  bool scanned = false;          // the whole log was read and checked
  bool indexes_rebuilt = false;  // index files were missing or failed their checks
  std::uint64_t truncated_bytes = 0;
  std::string truncation_reason;  // why the tail was cut
};

struct segment_open_options {
  // Check every batch (framing, CRC, offsets), truncate a bad tail, rebuild the indexes.
  bool recover = false;
  // Offsets in this segment stay below this (the next segment's base), for index checks.
  std::int64_t offset_limit = INT64_MAX;
  std::int64_t index_interval_bytes = 4096;
  std::int64_t now_ms = 0;
};

class segment {
 public:
  // Creates an empty segment whose log file, "<base>.log" in dir unless log_path is given,
  // must not exist yet. Compaction writes its output through a segment created on a
  // ".cleaned" path; index files are written only by persist_indexes().
  static result<std::shared_ptr<segment>> create(const std::filesystem::path& dir,
                                                 std::int64_t base_offset, std::int64_t now_ms,
                                                 std::filesystem::path log_path = {});
  // Opens the segment at log_path (any file name: compaction opens its .cleaned output),
  // loading or rebuilding its indexes as options say.
  static result<std::shared_ptr<segment>> open(const std::filesystem::path& dir,
                                               std::int64_t base_offset,
                                               const std::filesystem::path& log_path,
                                               const segment_open_options& options,
                                               segment_load_report* report);

  std::int64_t base_offset() const { return base_offset_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path index_path() const;
  std::filesystem::path time_index_path() const;
  const std::shared_ptr<file_handle>& log_file() const { return log_; }
  segment_state state() const;
  // When this segment object was created or opened (segment.ms for segments without
  // timestamps).
  std::int64_t created_ms() const { return created_ms_; }
  // The segment's age for retention.ms: its largest timestamp, or the file's mtime when no
  // batch carries one.
  std::int64_t largest_timestamp() const;

  // --- Writer side: called with the partition's append lock held. ---

  // Appends whole batches (batches[i].position is relative to the start of bytes). On a
  // write error the file is cut back to its committed size and the segment is unchanged.
  status append(std::string_view bytes, std::span<const batch_meta> batches,
                std::int64_t index_interval_bytes);
  // True if appending `batches` more batches could overflow an index of max_bytes.
  bool index_would_overflow(std::size_t batches, std::int64_t max_bytes) const;
  // Adds the final time-index entry (the segment's largest timestamp), on roll and close.
  void seal();
  // Cuts bytes a failed write may have left past the committed size.
  status trim_to_committed();

  // --- Durability. ---

  status sync_log();
  // Writes index entries the files do not have yet and fsyncs them.
  status persist_indexes();

  // --- Reader side: any thread. ---

  // The first batch whose last offset is >= offset, within the committed bytes; nullopt if
  // the segment has none.
  result<std::optional<batch_meta>> find_batch(std::int64_t offset) const;
  // Where to start scanning for the first record with timestamp >= timestamp.
  std::uint64_t position_for_timestamp(std::int64_t timestamp) const;

  // Unlinks "<base>.log" and its index files in dir(); readers holding the file_handle
  // keep reading.
  status delete_files();

 private:
  segment(std::filesystem::path dir, std::int64_t base_offset, std::shared_ptr<file_handle> log)
      : dir_(std::move(dir)), base_offset_(base_offset), log_(std::move(log)) {}

  status load_indexes(const segment_open_options& options, std::uint64_t file_size,
                      segment_load_report* report);
  status rebuild(const segment_open_options& options, std::uint64_t file_size, bool check_crc,
                 segment_load_report* report);
  void index_batch_locked(const batch_meta& batch, std::int64_t index_interval_bytes);
  std::int32_t relative(std::int64_t offset) const {
    return static_cast<std::int32_t>(offset - base_offset_);
  }

  std::filesystem::path dir_;
  std::int64_t base_offset_;
  std::shared_ptr<file_handle> log_;
  std::int64_t created_ms_ = 0;

  // Guards everything below against the appender; readers take it shared.
  mutable std::shared_mutex mutex_;
  segment_state state_;
  offset_index offset_index_;
  time_index time_index_;
  // Appender-only: bytes appended since the last offset-index entry.
  std::int64_t bytes_since_index_entry_ = 0;

  // Serializes persist_indexes(); the entry counts already in the files.
  std::mutex persist_mutex_;
  std::size_t offset_entries_persisted_ = 0;
  std::size_t time_entries_persisted_ = 0;
  bool index_files_stale_ = false;
};

}  // namespace wharf::storage::detail
