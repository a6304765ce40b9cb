// One segment of a partition log: appends, index upkeep, loading and repair (see segment.h).
#include "storage/segment.h"

#include <algorithm>
#include <charconv>

#include "base/logging.h"

namespace wharf::storage::detail {
namespace {

constexpr std::int64_t max_relative = std::numeric_limits<std::int32_t>::max();

// Reads a whole index file; a missing file is not_found.
result<std::string> read_index_file(const std::filesystem::path& path) {
  if (!file_exists(path)) return make_error(errc::not_found, "{} is missing", path.string());
  WHARF_ASSIGN_OR_RETURN(auto file, file_handle::open(path, file_handle::mode::read_only));
  WHARF_ASSIGN_OR_RETURN(std::uint64_t size, file->size());
  std::string bytes(size, '\0');
  WHARF_RETURN_IF_ERROR(file->read_exact(0, bytes.data(), bytes.size()));
  return bytes;
}

// Writes the tail of an index file from entry `from` on and cuts anything after it.
status write_index_tail(const std::filesystem::path& path, std::size_t from_bytes,
                        std::string_view tail) {
  WHARF_ASSIGN_OR_RETURN(auto file, file_handle::open(path, file_handle::mode::open_or_create));
  WHARF_RETURN_IF_ERROR(file->write_all(from_bytes, tail));
  WHARF_ASSIGN_OR_RETURN(std::uint64_t size, file->size());
  if (size != from_bytes + tail.size())
    WHARF_RETURN_IF_ERROR(file->truncate(from_bytes + tail.size()));
  return file->sync();
}

}  // namespace

std::string segment_file_name(std::int64_t base_offset, std::string_view suffix) {
  return fmt::format("{:020d}{}", base_offset, suffix);
}

std::optional<std::int64_t> parse_segment_file_name(std::string_view name,
                                                    std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) return std::nullopt;
  std::int64_t value = 0;
  auto digits = name.substr(0, 20);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

result<std::shared_ptr<segment>> segment::create(const std::filesystem::path& dir,
                                                 std::int64_t base_offset, std::int64_t now_ms,
                                                 std::filesystem::path log_path) {
  if (log_path.empty()) log_path = dir / segment_file_name(base_offset, log_suffix);
  WHARF_ASSIGN_OR_RETURN(auto log, file_handle::open(log_path, file_handle::mode::create_new));
  std::shared_ptr<segment> seg(new segment(dir, base_offset, std::move(log)));
  seg->created_ms_ = now_ms;
  seg->state_.next_offset = base_offset;
  // Index files of an older segment with this base (deleted by retention) must not be
  // mistaken for this one's.
  seg->index_files_stale_ = true;
  return seg;
}

result<std::shared_ptr<segment>> segment::open(const std::filesystem::path& dir,
                                               std::int64_t base_offset,
                                               const std::filesystem::path& log_path,
                                               const segment_open_options& options,
                                               segment_load_report* report) {
  WHARF_ASSIGN_OR_RETURN(auto log, file_handle::open(log_path, file_handle::mode::read_write));
  std::shared_ptr<segment> seg(new segment(dir, base_offset, std::move(log)));
  seg->created_ms_ = options.now_ms;
  seg->state_.next_offset = base_offset;
  WHARF_ASSIGN_OR_RETURN(std::uint64_t size, seg->log_->size());
  if (size > static_cast<std::uint64_t>(max_relative)) {
    // Positions are int32 in the index: a larger file was not written by a Kafka-like log.
    return make_error(errc::parse_error, "{} is {} bytes, larger than a segment can be",
                      log_path.string(), size);
  }
  segment_load_report local;
  if (!report) report = &local;
  if (options.recover) {
    WHARF_RETURN_IF_ERROR(seg->rebuild(options, size, /*check_crc=*/true, report));
    return seg;
  }
  auto loaded = seg->load_indexes(options, size, report);
  if (!loaded.ok()) {
    if (loaded.err().code() == errc::io_error) return loaded.err();
    if (loaded.err().code() != errc::not_found) {
      logging::get("storage")->warn("rebuilding the indexes of {}: {}", log_path.string(),
                                    loaded.err().message());
    }
    seg->offset_index_ = {};
    seg->time_index_ = {};
    seg->state_ = {};
    seg->state_.next_offset = base_offset;
    seg->bytes_since_index_entry_ = 0;
    WHARF_RETURN_IF_ERROR(seg->rebuild(options, size, /*check_crc=*/false, report));
  }
  return seg;
}

std::filesystem::path segment::index_path() const {
  return dir_ / segment_file_name(base_offset_, index_suffix);
}

std::filesystem::path segment::time_index_path() const {
  return dir_ / segment_file_name(base_offset_, time_index_suffix);
}

segment_state segment::state() const {
  std::shared_lock lock(mutex_);
  return state_;
}

std::int64_t segment::largest_timestamp() const {
  std::int64_t max_ts = state().max_timestamp;
  if (max_ts >= 0) return max_ts;
  auto modified = log_->modified_ms();
  return modified.ok() ? *modified : created_ms_;
}

status segment::load_indexes(const segment_open_options& options, std::uint64_t file_size,
                             segment_load_report* report) {
  std::int64_t limit = std::min(options.offset_limit - base_offset_, max_relative + 1);
  WHARF_ASSIGN_OR_RETURN(std::string index_bytes, read_index_file(index_path()));
  WHARF_ASSIGN_OR_RETURN(std::string time_bytes, read_index_file(time_index_path()));
  WHARF_ASSIGN_OR_RETURN(offset_index_, offset_index::decode(index_bytes, file_size, limit));
  WHARF_ASSIGN_OR_RETURN(time_index_, time_index::decode(time_bytes, limit));

  // The index says where the last indexed batch starts; read the batches from there on to
  // learn the segment's end, and check that the entry really names that batch.
  std::uint64_t start = offset_index_.empty() ? 0 : offset_index_.back().position;
  batch_scanner scanner(*log_, start, file_size);
  std::int64_t next = base_offset_;
  std::int64_t tail_max_ts = -1;
  std::int64_t tail_max_offset = -1;
  bool first = true;
  for (;;) {
    WHARF_ASSIGN_OR_RETURN(auto meta, scanner.next());
    if (!meta) break;
    // Older Kafka versions indexed a whole append (several batches) by its last offset, so
    // the entry may name an offset past this batch, but never one before it.
    if (first && !offset_index_.empty() &&
        meta->base_offset() > base_offset_ + offset_index_.back().relative_offset) {
      return make_error(errc::parse_error, "the last index entry does not name the batch at {}",
                        start);
    }
    if (meta->base_offset() < next || meta->last_offset() - base_offset_ > max_relative ||
        meta->last_offset() >= options.offset_limit) {
      return make_error(errc::parse_error, "batch at {} has offsets {}..{} out of order",
                        meta->position, meta->base_offset(), meta->last_offset());
    }
    first = false;
    next = meta->next_offset();
    if (meta->max_timestamp() > tail_max_ts) {
      tail_max_ts = meta->max_timestamp();
      tail_max_offset = meta->last_offset();
    }
  }
  if (!time_index_.empty() && base_offset_ + time_index_.back().relative_offset >= next) {
    return make_error(errc::parse_error, "the time index names offset {} past the log's end {}",
                      base_offset_ + time_index_.back().relative_offset, next);
  }
  state_.size = file_size;
  state_.next_offset = next;
  if (!time_index_.empty()) {
    state_.max_timestamp = time_index_.back().timestamp;
    state_.offset_of_max_timestamp = base_offset_ + time_index_.back().relative_offset;
  }
  if (tail_max_ts > state_.max_timestamp) {
    state_.max_timestamp = tail_max_ts;
    state_.offset_of_max_timestamp = tail_max_offset;
  }
  if (file_size > 0) {
    batch_scanner head(*log_, 0, file_size, records::layout::header_size);
    WHARF_ASSIGN_OR_RETURN(auto first_batch, head.next());
    if (first_batch) state_.first_batch_timestamp = first_batch->max_timestamp();
  }
  bytes_since_index_entry_ = static_cast<std::int64_t>(file_size - start);
  offset_entries_persisted_ = offset_index_.size();
  time_entries_persisted_ = time_index_.size();
  report->scanned = false;
  return {};
}

status segment::rebuild(const segment_open_options& options, std::uint64_t file_size,
                        bool check_crc, segment_load_report* report) {
  batch_scanner scanner(*log_, 0, file_size, check_crc ? 1 << 20 : 64 * 1024);
  std::uint64_t good_end = 0;
  std::string problem;
  std::unique_lock lock(mutex_);
  for (;;) {
    auto next = scanner.next();
    if (!next.ok()) {
      if (next.err().code() != errc::parse_error) return next.err();
      problem = next.err().message();
      break;
    }
    if (!*next) break;
    const batch_meta& meta = **next;
    if (meta.base_offset() < state_.next_offset) {
      problem = fmt::format("batch at {} starts at offset {}, before the expected {}",
                            meta.position, meta.base_offset(), state_.next_offset);
      break;
    }
    if (meta.last_offset() - base_offset_ > max_relative ||
        meta.last_offset() >= options.offset_limit) {
      problem = fmt::format("batch at {} has offsets {}..{} outside the segment", meta.position,
                            meta.base_offset(), meta.last_offset());
      break;
    }
    if (check_crc) {
      WHARF_ASSIGN_OR_RETURN(std::string_view bytes, scanner.current_bytes());
      if (!batch_crc_ok(bytes)) {
        problem =
            fmt::format("batch at {} (offset {}) fails its CRC", meta.position, meta.base_offset());
        break;
      }
    }
    index_batch_locked(meta, options.index_interval_bytes);
    good_end = meta.end_position();
  }
  // The final time-index entry a roll or close would have written.
  if (state_.offset_of_max_timestamp >= 0) {
    time_index_.maybe_append({state_.max_timestamp, relative(state_.offset_of_max_timestamp)});
  }
  lock.unlock();
  report->scanned = check_crc;
  report->indexes_rebuilt = true;
  if (good_end < file_size) {
    report->truncated_bytes = file_size - good_end;
    report->truncation_reason = problem.empty() ? "trailing bytes" : problem;
    logging::get("storage")->warn("truncating {} from {} to {} bytes: {}", log_->path().string(),
                                  file_size, good_end, report->truncation_reason);
    WHARF_RETURN_IF_ERROR(log_->truncate(good_end));
    WHARF_RETURN_IF_ERROR(log_->sync());
  }
  index_files_stale_ = true;
  return persist_indexes();
}

void segment::index_batch_locked(const batch_meta& batch, std::int64_t index_interval_bytes) {
  if (batch.position == 0) state_.first_batch_timestamp = batch.max_timestamp();
  if (batch.max_timestamp() > state_.max_timestamp) {
    state_.max_timestamp = batch.max_timestamp();
    state_.offset_of_max_timestamp = batch.last_offset();
  }
  // As Kafka does: the batch that starts after more than index.interval.bytes gets an entry.
  if (bytes_since_index_entry_ > index_interval_bytes) {
    offset_index_.append(
        {relative(batch.last_offset()), static_cast<std::uint32_t>(batch.position)});
    if (state_.offset_of_max_timestamp >= 0) {
      time_index_.maybe_append({state_.max_timestamp, relative(state_.offset_of_max_timestamp)});
    }
    bytes_since_index_entry_ = 0;
  }
  bytes_since_index_entry_ += static_cast<std::int64_t>(batch.size());
  state_.size = batch.end_position();
  state_.next_offset = batch.next_offset();
}

status segment::append(std::string_view bytes, std::span<const batch_meta> batches,
                       std::int64_t index_interval_bytes) {
  // Only the appender changes state_, so it may read it without the lock.
  std::uint64_t position = state_.size;
  auto written = log_->write_all(position, bytes);
  if (!written.ok()) {
    auto cut = log_->truncate(position);
    if (!cut.ok()) {
      // Appends write at explicit positions and readers stop at the committed size, so the
      // stray bytes are harmless until close() or recovery cuts them.
      logging::get("storage")->error("cannot cut a failed write: {}", cut.err().message());
    }
    return written;
  }
  std::unique_lock lock(mutex_);
  for (batch_meta meta : batches) {
    meta.position += position;
    index_batch_locked(meta, index_interval_bytes);
  }
  return {};
}

bool segment::index_would_overflow(std::size_t batches, std::int64_t max_bytes) const {
  auto max_offset_entries = static_cast<std::size_t>(max_bytes) / offset_index::entry_size;
  // One more time entry may come from seal().
  auto max_time_entries = static_cast<std::size_t>(max_bytes) / time_index::entry_size;
  std::shared_lock lock(mutex_);
  return offset_index_.size() + batches > max_offset_entries ||
         time_index_.size() + batches + 1 > max_time_entries;
}

void segment::seal() {
  std::unique_lock lock(mutex_);
  if (state_.offset_of_max_timestamp >= 0) {
    time_index_.maybe_append({state_.max_timestamp, relative(state_.offset_of_max_timestamp)});
  }
}

status segment::trim_to_committed() {
  WHARF_ASSIGN_OR_RETURN(std::uint64_t size, log_->size());
  std::uint64_t committed = state().size;
  if (size > committed) WHARF_RETURN_IF_ERROR(log_->truncate(committed));
  return {};
}

status segment::sync_log() { return log_->sync(); }

status segment::persist_indexes() {
  std::lock_guard persist(persist_mutex_);
  if (index_files_stale_) {
    offset_entries_persisted_ = 0;
    time_entries_persisted_ = 0;
  }
  std::string offset_tail;
  std::string time_tail;
  std::size_t offset_count;
  std::size_t time_count;
  {
    std::shared_lock lock(mutex_);
    offset_count = offset_index_.size();
    time_count = time_index_.size();
    if (offset_count == offset_entries_persisted_ && time_count == time_entries_persisted_ &&
        !index_files_stale_) {
      return {};
    }
    offset_tail = offset_index_.encode(offset_entries_persisted_);
    time_tail = time_index_.encode(time_entries_persisted_);
  }
  WHARF_RETURN_IF_ERROR(write_index_tail(
      index_path(), offset_entries_persisted_ * offset_index::entry_size, offset_tail));
  WHARF_RETURN_IF_ERROR(write_index_tail(
      time_index_path(), time_entries_persisted_ * time_index::entry_size, time_tail));
  offset_entries_persisted_ = offset_count;
  time_entries_persisted_ = time_count;
  index_files_stale_ = false;
  return {};
}

result<std::optional<batch_meta>> segment::find_batch(std::int64_t offset) const {
  segment_state st;
  std::uint64_t start = 0;
  {
    std::shared_lock lock(mutex_);
    st = state_;
    if (offset >= st.next_offset) return std::optional<batch_meta>();
    if (offset > base_offset_) {
      auto rel = static_cast<std::int32_t>(std::min(offset - base_offset_, max_relative));
      if (auto entry = offset_index_.lookup(rel)) start = entry->position;
    }
  }
  batch_scanner scanner(*log_, start, st.size, 16 * 1024);
  for (;;) {
    auto meta = scanner.next();
    if (!meta.ok()) {
      return meta.err().with_context(fmt::format("reading {}", log_->path().string()));
    }
    if (!*meta || (*meta)->last_offset() >= offset) return meta;
  }
}

std::uint64_t segment::position_for_timestamp(std::int64_t timestamp) const {
  std::shared_lock lock(mutex_);
  auto entry = time_index_.lookup(timestamp);
  if (!entry) return 0;
  auto position = offset_index_.lookup(entry->relative_offset);
  return position ? position->position : 0;
}

status segment::delete_files() {
  WHARF_RETURN_IF_ERROR(remove_file(dir_ / segment_file_name(base_offset_, log_suffix)));
  WHARF_RETURN_IF_ERROR(remove_file(index_path()));
  return remove_file(time_index_path());
}

}  // namespace wharf::storage::detail
