// The durable log of one partition, laid out on disk as Apache Kafka lays it out:
// "<dir>/<20-digit base offset>.log" segments of RecordBatch v2 bytes, each with a sparse
// ".index" (offset -> file position) and ".timeindex" (timestamp -> offset). It assigns
// offsets on append, serves whole batches to fetches, answers ListOffsets, and does
// DeleteRecords, retention and compaction. Crash recovery, the flush settings and the file
// formats are described in docs/storage.md.
//
// Errors are values: errc::out_of_range for an offset outside [log start, log end]
// (OFFSET_OUT_OF_RANGE), errc::io_error for a failed disk operation (KAFKA_STORAGE_ERROR),
// errc::invalid_argument for bytes that are not whole v2 batches.
//
// Thread safety: every method may be called from any thread. Appends, retention, DeleteRecords
// and configuration changes are serialized by the partition's append lock; reads and ListOffsets
// run concurrently with them (and with segment deletion: a read in progress keeps the
// descriptor of a segment deleted under it). compact() and flush() do their slow part outside
// the append lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/log_config.h"

namespace wharf::storage {

namespace detail {
class file_handle;
class segment;
}  // namespace detail

// Whole record batches read from one segment file: a view of the file's pages through a
// shared read-only mapping (no copy), which the slice keeps alive, so the bytes stay
// readable after the segment is deleted or compacted away. The file and position are
// named too, for a sender that prefers sendfile.
class file_slice {
 public:
  file_slice() = default;

  std::string_view bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  // The source: a descriptor valid while this slice lives, and the byte position in it.
  int fd() const;
  std::uint64_t file_position() const { return position_; }
  // What keeps bytes() valid; hold it to keep the bytes past this slice's life.
  std::shared_ptr<const void> owner() const { return owner_; }
  // What keeps fd() open; hold it to send from the descriptor past this slice's life.
  std::shared_ptr<const void> file_owner() const { return file_; }

 private:
  friend class partition_log;

  std::shared_ptr<const detail::file_handle> file_;
  std::shared_ptr<const void> owner_;
  std::uint64_t position_ = 0;
  std::string_view bytes_;
};

struct read_result {
  // Whole batches; empty when there is nothing (yet) to return.
  file_slice records;
  // Base offset of the first batch returned (may be below the offset asked for, since
  // batches are returned whole), and the offset after the last one; both equal the offset
  // asked for when nothing is returned.
  std::int64_t first_offset = 0;
  std::int64_t next_offset = 0;
  std::int64_t log_start_offset = 0;
  std::int64_t log_end_offset = 0;
};

struct append_options {
  // The broker's clock, for segment.ms and LogAppendTime; -1 reads the system clock.
  std::int64_t now_ms = -1;
  // Written into every batch's partitionLeaderEpoch when set.
  std::optional<std::int32_t> partition_leader_epoch;
  // Called for each batch under the append lock once its offsets are assigned and before
  // any byte is written, e.g. for producer-state checks. It may change the batch if it keeps
  // the CRC valid. An error aborts the whole append with nothing written.
  std::function<status(std::span<char> batch, std::int64_t base_offset)> before_write;
};

struct append_result {
  std::int64_t base_offset = 0;  // offset of the first record
  std::int64_t last_offset = 0;  // offset of the last record
  // The time stamped into the batches under LogAppendTime, else -1 (ProduceResponse field).
  std::int64_t log_append_time_ms = -1;
  // Where the first batch went: its segment and byte position in that segment's file.
  std::int64_t segment_base_offset = 0;
  std::uint64_t position = 0;
};

struct timestamp_and_offset {
  std::int64_t timestamp = -1;
  std::int64_t offset = -1;
};

struct deleted_segment {
  enum class reason { retention_ms, retention_bytes, log_start_offset };
  std::int64_t base_offset = 0;
  std::int64_t next_offset = 0;
  std::uint64_t size_bytes = 0;
  reason why = reason::retention_ms;
};

struct retention_result {
  std::vector<deleted_segment> deleted;
  std::int64_t log_start_offset = 0;
};

struct compaction_options {
  // The broker's last stable offset: nothing at or past it is cleaned. Without it the log
  // derives one (the first transactional batch whose marker has not been written).
  std::optional<std::int64_t> last_stable_offset;
  // Clean even when the dirty share is below min.cleanable.dirty.ratio (or zero: a pass
  // over a clean log still drops tombstones whose delete horizon has passed).
  bool ignore_dirty_ratio = false;
};

struct compaction_result {
  bool cleaned = false;  // false: nothing cleanable, or not dirty enough
  double dirty_ratio = 0;
  std::int64_t first_dirty_offset = 0;
  std::int64_t cleaned_up_to = 0;  // offsets below this are now clean
  std::size_t segments_before = 0;
  std::size_t segments_after = 0;
  std::uint64_t bytes_before = 0;
  std::uint64_t bytes_after = 0;
  std::int64_t records_removed = 0;
  std::int64_t tombstones_removed = 0;
};

// What open() found and repaired.
struct recovery_summary {
  bool clean_shutdown = false;
  std::size_t segments_scanned = 0;        // read in full and checked (after an unclean stop)
  std::size_t indexes_rebuilt = 0;         // segments whose index files were rebuilt
  std::uint64_t bytes_truncated = 0;       // torn or corrupt tail bytes cut away
  std::size_t segments_dropped = 0;        // whole segments after a corrupt one
  std::size_t leftover_files_removed = 0;  // .cleaned, .deleted and .tmp files
  bool swap_completed = false;             // a compaction that had committed was finished
};

class partition_log {
 public:
  // Opens the log in dir (creating an empty one if dir holds none) and recovers it if it
  // was not closed cleanly. now_ms = -1 reads the system clock.
  static result<std::unique_ptr<partition_log>> open(std::filesystem::path dir, log_config config,
                                                     std::int64_t now_ms = -1);

  // Without close(), the next open() treats the stop as a crash and recovers.
  ~partition_log();
  partition_log(const partition_log&) = delete;
  partition_log& operator=(const partition_log&) = delete;

  // Appends whole v2 batches (validated by the caller), giving them offsets from
  // log_end_offset() on. append() patches a copy; append_in_place() patches the caller's
  // buffer (baseOffset, and for LogAppendTime topics the timestamp fields and CRC).
  result<append_result> append(std::string_view batches, const append_options& options = {});
  result<append_result> append_in_place(std::span<char> batches,
                                        const append_options& options = {});

  // Whole batches from the one holding `offset` on, from one segment, up to max_bytes and
  // never including a batch that reaches max_offset_exclusive (high watermark, last stable
  // offset). With min_one_batch the first batch is returned even when larger than max_bytes
  // (KIP-74). offset == log_end_offset() returns nothing; outside [log start, log end] is
  // errc::out_of_range.
  result<read_result> read(std::int64_t offset, std::size_t max_bytes,
                           std::int64_t max_offset_exclusive = INT64_MAX,
                           bool min_one_batch = true) const;

  std::int64_t log_start_offset() const { return log_start_offset_.load(); }
  // The offset the next appended record gets.
  std::int64_t log_end_offset() const { return log_end_offset_.load(); }
  std::uint64_t size_bytes() const { return size_bytes_.load(); }
  std::size_t segment_count() const;
  // Offsets below this are known to be on disk (fsynced).
  std::int64_t recovery_point() const { return recovery_point_.load(); }
  const std::filesystem::path& dir() const { return dir_; }
  const recovery_summary& last_recovery() const { return recovery_; }

  // ListOffsets with a timestamp: the first record (in offset order, at or after the log
  // start) whose timestamp is >= timestamp; nullopt when there is none.
  result<std::optional<timestamp_and_offset>> offset_for_timestamp(std::int64_t timestamp) const;
  // ListOffsets -3 (MAX_TIMESTAMP): the first record carrying the largest timestamp.
  result<std::optional<timestamp_and_offset>> max_timestamp() const;

  // DeleteRecords: moves the log start to offset (durably) and deletes the segments wholly
  // below it. Returns the new log start. offset > log_end_offset() is out_of_range.
  result<std::int64_t> delete_records_before(std::int64_t offset);
  // retention.ms / retention.bytes (with cleanup.policy delete): deletes the oldest
  // segments that are past them, never the active one.
  result<retention_result> enforce_retention(std::int64_t now_ms);
  // cleanup.policy compact: keeps only the latest record of every key in the segments
  // before the active one (see docs/storage.md).
  result<compaction_result> compact(std::int64_t now_ms, const compaction_options& options = {});

  // fsyncs everything appended so far and advances the recovery point.
  status flush();
  // flush.ms: flushes if the last flush is that old; also flushes rolled segments (as
  // Kafka does on roll). Call periodically. Returns whether anything was synced.
  result<bool> flush_if_due(std::int64_t now_ms);

  log_config config() const;
  status set_config(const log_config& config);

  // Flushes, writes the final index entries and the clean-shutdown marker. Later calls
  // other than remove() fail.
  status close();
  // Closes (without the marker) and deletes the directory with everything in it.
  status remove();

 private:
  using segment_list = std::vector<std::shared_ptr<detail::segment>>;

  partition_log(std::filesystem::path dir, log_config config);

  status load(std::int64_t now_ms);
  std::shared_ptr<const segment_list> segments() const;
  void publish(segment_list list);
  status check_open() const;
  status persist_checkpoint();
  result<append_result> append_locked(std::span<char> batches, const append_options& options);
  status maybe_roll_locked(std::uint64_t bytes, std::size_t batches, std::int64_t last_delta,
                           std::int64_t max_timestamp, std::int64_t now_ms);
  status sync_unflushed(bool include_active, bool* synced);
  result<bool> swap_cleaned(const std::vector<std::shared_ptr<detail::segment>>& group,
                            std::shared_ptr<detail::segment> cleaned);
  status delete_segment_locked(const std::shared_ptr<detail::segment>& seg);

  const std::filesystem::path dir_;

  // Appends, rolls, segment deletion, checkpoint contents, config, close.
  mutable std::mutex append_mutex_;
  // Guards only the segments_ pointer; the list itself is immutable once published.
  mutable std::mutex segments_mutex_;
  std::shared_ptr<const segment_list> segments_;
  std::mutex cleaner_mutex_;
  std::mutex flush_mutex_;
  std::mutex checkpoint_mutex_;

  log_config config_;
  std::atomic<std::int64_t> log_start_offset_{0};
  std::atomic<std::int64_t> log_end_offset_{0};
  std::atomic<std::int64_t> recovery_point_{0};
  std::atomic<std::int64_t> cleaner_offset_{0};
  std::atomic<std::uint64_t> size_bytes_{0};
  std::atomic<bool> closed_{false};
  // Set when an fsync failed: the page cache may have dropped data, so the log refuses
  // appends until it is reopened (and recovered).
  std::atomic<bool> failed_{false};
  std::atomic<std::int64_t> last_flush_ms_{0};
  // A segment file was created since the directory was last fsynced.
  std::atomic<bool> directory_dirty_{false};
  std::atomic<std::int64_t> checkpointed_recovery_point_{-1};
  recovery_summary recovery_;
};

}  // namespace wharf::storage
