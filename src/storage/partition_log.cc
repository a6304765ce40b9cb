// The partition log: loading and recovery, appends and rolls, reads, ListOffsets,
// DeleteRecords, retention, flushing, the compaction swap, and shutdown.
#include "storage/partition_log.h"

#include <algorithm>
#include <chrono>

#include "base/logging.h"
#include "kafka/records/patch.h"
#include "kafka/records/record.h"
#include "storage/batch_scan.h"
#include "storage/checkpoint.h"
#include "storage/compaction.h"
#include "storage/file.h"
#include "storage/segment.h"

namespace wharf::storage {

using detail::batch_meta;
using detail::file_handle;
using detail::segment;
namespace records = wharf::kafka::records;

namespace {

constexpr std::int64_t max_relative = std::numeric_limits<std::int32_t>::max();

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t now_or_clock(std::int64_t now_ms) { return now_ms >= 0 ? now_ms : system_now_ms(); }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void atomic_max(std::atomic<std::int64_t>& target, std::int64_t value) {
  std::int64_t current = target.load();
  while (current < value && !target.compare_exchange_weak(current, value)) {
  }
}

// The first record of a batch at or after min_offset whose timestamp satisfies pred.
template <typename Pred>
result<std::optional<timestamp_and_offset>> find_record(std::string_view bytes,
                                                        std::int64_t min_offset, Pred pred) {
  auto view = records::batch_view::parse(bytes);
  if (!view.ok()) return make_error(errc::parse_error, "{}", view.err().message());
  records::record_reader reader(*view);
  for (;;) {
    auto rec = reader.next();
    if (!rec.ok()) return make_error(errc::parse_error, "{}", rec.err().message());
    if (!*rec) return std::optional<timestamp_and_offset>();
    const auto& r = **rec;
    if (r.offset >= min_offset && pred(r.timestamp)) {
      return std::optional<timestamp_and_offset>(timestamp_and_offset{r.timestamp, r.offset});
    }
  }
}

}  // namespace

int file_slice::fd() const { return file_ ? file_->fd() : -1; }

partition_log::partition_log(std::filesystem::path dir, log_config config)
    : dir_(std::move(dir)), config_(config) {}

partition_log::~partition_log() = default;

result<std::unique_ptr<partition_log>> partition_log::open(std::filesystem::path dir,
                                                           log_config config, std::int64_t now_ms) {
  WHARF_RETURN_IF_ERROR(validate_log_config(config));
  std::unique_ptr<partition_log> log(new partition_log(std::move(dir), config));
  auto loaded = log->load(now_or_clock(now_ms));
  if (!loaded.ok()) return loaded.err().with_context(fmt::format("opening {}", log->dir_.string()));
  return log;
}

status partition_log::load(std::int64_t now_ms) {
  auto logger = logging::get("storage");
  WHARF_RETURN_IF_ERROR(detail::create_directories(dir_));
  WHARF_ASSIGN_OR_RETURN(auto names, detail::list_directory(dir_));

  // Leftovers of interrupted work: compaction output that never committed, Kafka's
  // to-be-deleted files, half-written checkpoints. Committed compaction output (".swap")
  // is finished below.
  std::vector<std::int64_t> bases;
  std::vector<std::int64_t> swaps;
  std::string swap_log_suffix = std::string(detail::log_suffix) + std::string(detail::swap_suffix);
  for (const auto& name : names) {
    if (ends_with(name, detail::cleaned_suffix) || ends_with(name, ".deleted") ||
        ends_with(name, ".tmp") ||
        (ends_with(name, detail::swap_suffix) && !ends_with(name, swap_log_suffix))) {
      WHARF_RETURN_IF_ERROR(detail::remove_file(dir_ / name));
      ++recovery_.leftover_files_removed;
      continue;
    }
    if (auto base = detail::parse_segment_file_name(name, swap_log_suffix)) {
      swaps.push_back(*base);
    } else if (auto base = detail::parse_segment_file_name(name, detail::log_suffix)) {
      bases.push_back(*base);
    }
  }
  std::sort(bases.begin(), bases.end());
  std::sort(swaps.begin(), swaps.end());

  // A ".log.swap" is compaction output that was committed: it replaces the segment with its
  // base and every later one that its offsets cover.
  for (std::int64_t base : swaps) {
    auto swap_path = dir_ / (detail::segment_file_name(base, detail::log_suffix) +
                             std::string(detail::swap_suffix));
    WHARF_ASSIGN_OR_RETURN(auto file, file_handle::open(swap_path, file_handle::mode::read_only));
    WHARF_ASSIGN_OR_RETURN(std::uint64_t size, file->size());
    detail::batch_scanner scanner(*file, 0, size);
    std::int64_t next = base;
    for (;;) {
      auto meta = scanner.next();
      if (!meta.ok() || !*meta) break;
      next = (*meta)->next_offset();
    }
    file.reset();
    std::vector<std::int64_t> kept;
    for (std::int64_t b : bases) {
      if (b > base && b < next) {
        for (auto suffix : {detail::log_suffix, detail::index_suffix, detail::time_index_suffix}) {
          WHARF_RETURN_IF_ERROR(detail::remove_file(dir_ / detail::segment_file_name(b, suffix)));
        }
      } else {
        kept.push_back(b);
      }
    }
    bases = std::move(kept);
    WHARF_RETURN_IF_ERROR(
        detail::remove_file(dir_ / detail::segment_file_name(base, detail::index_suffix)));
    WHARF_RETURN_IF_ERROR(
        detail::remove_file(dir_ / detail::segment_file_name(base, detail::time_index_suffix)));
    WHARF_RETURN_IF_ERROR(
        detail::rename_file(swap_path, dir_ / detail::segment_file_name(base, detail::log_suffix)));
    WHARF_RETURN_IF_ERROR(detail::sync_directory(dir_));
    if (!std::binary_search(bases.begin(), bases.end(), base)) {
      bases.insert(std::upper_bound(bases.begin(), bases.end(), base), base);
    }
    recovery_.swap_completed = true;
    logger->info("{}: finished a committed compaction of segment {}", dir_.string(), base);
  }

  // Index files without their log.
  for (const auto& name : names) {
    for (auto suffix : {detail::index_suffix, detail::time_index_suffix}) {
      auto base = detail::parse_segment_file_name(name, suffix);
      if (base && !std::binary_search(bases.begin(), bases.end(), *base)) {
        WHARF_RETURN_IF_ERROR(detail::remove_file(dir_ / name));
      }
    }
  }

  detail::log_checkpoint checkpoint;
  bool has_checkpoint = false;
  auto read = detail::read_checkpoint(dir_);
  if (!read.ok()) {
    if (read.err().code() == errc::io_error) return read.err();
    logger->warn("{}: ignoring the state checkpoint: {}", dir_.string(), read.err().message());
  } else if (*read) {
    checkpoint = **read;
    has_checkpoint = true;
  }
  auto marker = dir_ / detail::clean_shutdown_file_name;
  recovery_.clean_shutdown = detail::file_exists(marker) && has_checkpoint;
  if (detail::file_exists(marker)) {
    // From here on a crash must be noticed: the marker goes before anything is appended.
    WHARF_RETURN_IF_ERROR(detail::remove_file(marker));
    WHARF_RETURN_IF_ERROR(detail::sync_directory(dir_));
  }
  std::int64_t recovery_point = recovery_.clean_shutdown ? INT64_MAX : checkpoint.recovery_point;

  segment_list list;
  for (std::size_t i = 0; i < bases.size(); ++i) {
    bool last = i + 1 == bases.size();
    detail::segment_open_options options;
    options.offset_limit = last ? INT64_MAX : bases[i + 1];
    // A segment that may hold offsets at or past the recovery point was not known to be
    // on disk: read it all and check every batch.
    options.recover = !recovery_.clean_shutdown && (last || bases[i + 1] > recovery_point);
    options.index_interval_bytes = config_.index_interval_bytes;
    options.now_ms = now_ms;
    detail::segment_load_report report;
    auto path = dir_ / detail::segment_file_name(bases[i], detail::log_suffix);
    WHARF_ASSIGN_OR_RETURN(auto seg, segment::open(dir_, bases[i], path, options, &report));
    if (report.scanned) {
      ++recovery_.segments_scanned;
      // Recovered bytes may still sit only in the page cache (a process crash).
      WHARF_RETURN_IF_ERROR(seg->sync_log());
    }
    if (report.indexes_rebuilt) ++recovery_.indexes_rebuilt;
    recovery_.bytes_truncated += report.truncated_bytes;
    list.push_back(seg);
    if (report.truncated_bytes > 0 && !last) {
      // Offsets after a corrupt batch cannot be trusted to follow on: drop what comes after.
      for (std::size_t j = i + 1; j < bases.size(); ++j) {
        logger->warn("{}: deleting segment {} after the corrupt segment {}", dir_.string(),
                     bases[j], bases[i]);
        for (auto suffix : {detail::log_suffix, detail::index_suffix, detail::time_index_suffix}) {
          WHARF_RETURN_IF_ERROR(
              detail::remove_file(dir_ / detail::segment_file_name(bases[j], suffix)));
        }
        ++recovery_.segments_dropped;
      }
      WHARF_RETURN_IF_ERROR(detail::sync_directory(dir_));
      break;
    }
  }
  if (list.empty()) {
    std::int64_t base = has_checkpoint ? checkpoint.log_start_offset : 0;
    WHARF_ASSIGN_OR_RETURN(auto seg, segment::create(dir_, base, now_ms));
    WHARF_RETURN_IF_ERROR(detail::sync_directory(dir_));
    list.push_back(seg);
  }
  if (recovery_.bytes_truncated > 0 || recovery_.segments_dropped > 0) {
    logger->warn("{}: recovery cut {} bytes and {} segments of a torn or corrupt tail",
                 dir_.string(), recovery_.bytes_truncated, recovery_.segments_dropped);
  }

  std::int64_t end = list.back()->state().next_offset;
  std::uint64_t size = 0;
  for (const auto& seg : list) size += seg->state().size;
  std::int64_t start = std::clamp(has_checkpoint ? checkpoint.log_start_offset : 0,
                                  list.front()->base_offset(), end);
  log_start_offset_ = start;
  log_end_offset_ = end;
  size_bytes_ = size;
  recovery_point_ = end;
  cleaner_offset_ = std::clamp(checkpoint.cleaner_offset, start, end);
  last_flush_ms_ = now_ms;
  publish(std::move(list));
  return persist_checkpoint();
}

std::shared_ptr<const partition_log::segment_list> partition_log::segments() const {
  std::lock_guard lock(segments_mutex_);
  return segments_;
}

void partition_log::publish(segment_list list) {
  auto next = std::make_shared<const segment_list>(std::move(list));
  std::lock_guard lock(segments_mutex_);
  segments_ = std::move(next);
}

std::size_t partition_log::segment_count() const { return segments()->size(); }

status partition_log::check_open() const {
  if (closed_) return make_error(errc::io_error, "the log of {} is closed", dir_.string());
  return {};
}

status partition_log::persist_checkpoint() {
  std::lock_guard lock(checkpoint_mutex_);
  detail::log_checkpoint c;
  c.log_start_offset = log_start_offset_;
  c.recovery_point = recovery_point_;
  c.cleaner_offset = cleaner_offset_;
  WHARF_RETURN_IF_ERROR(detail::write_checkpoint(dir_, c));
  checkpointed_recovery_point_ = c.recovery_point;
  return {};
}

log_config partition_log::config() const {
  std::lock_guard lock(append_mutex_);
  return config_;
}

status partition_log::set_config(const log_config& config) {
  WHARF_RETURN_IF_ERROR(validate_log_config(config));
  std::lock_guard lock(append_mutex_);
  config_ = config;
  return {};
}

// ---- Appends ----

result<append_result> partition_log::append(std::string_view batches,
                                            const append_options& options) {
  std::string copy(batches);
  return append_in_place(std::span<char>(copy.data(), copy.size()), options);
}

result<append_result> partition_log::append_in_place(std::span<char> batches,
                                                     const append_options& options) {
  std::lock_guard lock(append_mutex_);
  return append_locked(batches, options);
}

result<append_result> partition_log::append_locked(std::span<char> data,
                                                   const append_options& options) {
  WHARF_RETURN_IF_ERROR(check_open());
  if (failed_) {
    return make_error(errc::io_error, "{}: the log is offline after a failed fsync; reopen it",
                      dir_.string());
  }
  std::string_view bytes(data.data(), data.size());
  if (bytes.empty()) return make_error(errc::invalid_argument, "nothing to append");
  std::vector<batch_meta> metas;
  std::int64_t offsets = 0;
  for (std::uint64_t position = 0; position < bytes.size();) {
    auto header = detail::parse_batch_header(bytes.substr(position));
    if (!header.ok()) return make_error(errc::invalid_argument, "{}", header.err().message());
    batch_meta meta{position, *header};
    if (meta.size() > bytes.size() - position) {
      return make_error(errc::invalid_argument, "batch at {} runs past the end of the input",
                        position);
    }
    metas.push_back(meta);
    offsets += meta.header.last_offset_delta + 1;
    position += meta.size();
  }
  if (bytes.size() > static_cast<std::uint64_t>(config_.segment_bytes)) {
    return make_error(errc::invalid_argument,
                      "{} bytes of batches are more than segment.bytes ({})", bytes.size(),
                      config_.segment_bytes);
  }
  if (offsets - 1 > max_relative) {
    return make_error(errc::invalid_argument, "an append may span at most 2^31 offsets");
  }

  std::int64_t now = now_or_clock(options.now_ms);
  bool log_append_time = config_.message_timestamp_type == timestamp_type_config::log_append_time;
  std::int64_t max_timestamp = -1;
  for (const auto& meta : metas) max_timestamp = std::max(max_timestamp, meta.max_timestamp());
  if (log_append_time) max_timestamp = now;
  WHARF_RETURN_IF_ERROR(
      maybe_roll_locked(bytes.size(), metas.size(), offsets - 1, max_timestamp, now));

  std::int64_t next = log_end_offset_;
  for (auto& meta : metas) {
    std::span<char> batch = data.subspan(meta.position, meta.size());
    records::append_patch patch;
    patch.base_offset = next;
    patch.partition_leader_epoch =
        options.partition_leader_epoch.value_or(meta.header.partition_leader_epoch);
    if (log_append_time) patch.log_append_time_ms = now;
    records::patch_for_append(batch, patch);
    if (options.before_write) WHARF_RETURN_IF_ERROR(options.before_write(batch, next));
    // The header as written (the hook may have changed it).
    auto header = detail::parse_batch_header(std::string_view(batch.data(), batch.size()));
    if (!header.ok()) return make_error(errc::invalid_argument, "{}", header.err().message());
    meta.header = *header;
    next = meta.next_offset();
  }

  auto active = segments()->back();
  append_result out;
  out.base_offset = metas.front().base_offset();
  out.last_offset = metas.back().last_offset();
  out.log_append_time_ms = log_append_time ? now : -1;
  out.segment_base_offset = active->base_offset();
  out.position = active->state().size;
  auto written = active->append(bytes, metas, config_.index_interval_bytes);
  if (!written.ok()) {
    logging::get("storage")->error("{}: append failed: {}", dir_.string(), written.err().message());
    return written.err();
  }
  size_bytes_ += bytes.size();
  log_end_offset_ = next;

  if (config_.flushes_on_messages() &&
      log_end_offset_ - recovery_point_ >= config_.flush_messages) {
    bool synced = false;
    WHARF_RETURN_IF_ERROR(sync_unflushed(true, &synced));
  }
  return out;
}

status partition_log::maybe_roll_locked(std::uint64_t bytes, std::size_t batches,
                                        std::int64_t last_delta, std::int64_t max_timestamp,
                                        std::int64_t now_ms) {
  auto list = segments();
  const auto& active = list->back();
  auto st = active->state();
  if (st.size == 0) return {};
  // segment.ms as Kafka measures it: from the first batch's timestamp to the new batches'
  // largest, or by the clock when the segment's first batch has no timestamp.
  std::int64_t waited = st.first_batch_timestamp >= 0 ? max_timestamp - st.first_batch_timestamp
                                                      : now_ms - active->created_ms();
  bool roll = st.size + bytes > static_cast<std::uint64_t>(config_.segment_bytes) ||
              waited > config_.segment_ms ||
              active->index_would_overflow(batches, config_.segment_index_bytes) ||
              log_end_offset_ + last_delta - active->base_offset() > max_relative;
  if (!roll) return {};
  WHARF_ASSIGN_OR_RETURN(auto next, segment::create(dir_, log_end_offset_, now_ms));
  active->seal();
  segment_list updated(*list);
  updated.push_back(std::move(next));
  publish(std::move(updated));
  directory_dirty_ = true;
  return {};
}

// ---- Reads ----

result<read_result> partition_log::read(std::int64_t offset, std::size_t max_bytes,
                                        std::int64_t max_offset_exclusive,
                                        bool min_one_batch) const {
  WHARF_RETURN_IF_ERROR(check_open());
  // The log end first: every segment holding offsets below it is already published.
  std::int64_t end = log_end_offset_;
  std::int64_t start = log_start_offset_;
  if (offset < start || offset > end) {
    return make_error(errc::out_of_range, "offset {} is outside the log's range [{}, {}]", offset,
                      start, end);
  }
  auto list = segments();
  read_result out;
  out.first_offset = offset;
  out.next_offset = offset;
  out.log_start_offset = start;
  out.log_end_offset = end;
  if (offset == end) return out;

  auto it =
      std::upper_bound(list->begin(), list->end(), offset,
                       [](std::int64_t o, const auto& seg) { return o < seg->base_offset(); });
  if (it != list->begin()) --it;
  for (; it != list->end(); ++it) {
    const auto& seg = *it;
    WHARF_ASSIGN_OR_RETURN(auto first, seg->find_batch(offset));
    if (!first) continue;
    if (first->last_offset() >= max_offset_exclusive) return out;
    if (first->size() > max_bytes && !min_one_batch) return out;
    std::uint64_t available = seg->state().size - first->position;
    std::uint64_t want = std::min<std::uint64_t>(
        available, std::max<std::uint64_t>(max_bytes, min_one_batch ? first->size() : 0));
    WHARF_ASSIGN_OR_RETURN(auto mapping, seg->log_file()->map_through(first->position + want));
    std::string_view view(mapping->data() + first->position, static_cast<std::size_t>(want));
    // Keep whole batches within max_bytes (the first always) and below max_offset_exclusive.
    std::size_t taken = 0;
    std::int64_t next = offset;
    while (taken + records::layout::header_size <= view.size()) {
      auto header = detail::parse_batch_header(view.substr(taken));
      if (!header.ok()) {
        return make_error(errc::io_error, "{}: corrupt batch at position {}: {}",
                          seg->log_file()->path().string(), first->position + taken,
                          header.err().message());
      }
      std::size_t size = header->size_bytes();
      if (size > view.size() - taken || header->last_offset() >= max_offset_exclusive) break;
      if (taken > 0 && taken + size > max_bytes) break;
      taken += size;
      next = header->next_offset();
    }
    // DeleteRecords or retention may have moved the start past offset while we read.
    if (offset < log_start_offset_) {
      return make_error(errc::out_of_range, "offset {} is below the log start {}", offset,
                        log_start_offset_.load());
    }
    out.records.file_ = seg->log_file();
    out.records.position_ = first->position;
    out.records.bytes_ = view.substr(0, taken);
    out.records.owner_ = std::move(mapping);
    out.first_offset = first->base_offset();
    out.next_offset = next;
    return out;
  }
  return out;
}

result<std::optional<timestamp_and_offset>> partition_log::offset_for_timestamp(
    std::int64_t timestamp) const {
  WHARF_RETURN_IF_ERROR(check_open());
  auto list = segments();
  std::int64_t start = log_start_offset_;
  for (const auto& seg : *list) {
    auto st = seg->state();
    if (st.max_timestamp < timestamp || st.next_offset <= start) continue;
    detail::batch_scanner scanner(*seg->log_file(), seg->position_for_timestamp(timestamp),
                                  st.size);
    for (;;) {
      WHARF_ASSIGN_OR_RETURN(auto meta, scanner.next());
      if (!meta) break;
      if (meta->max_timestamp() < timestamp || meta->last_offset() < start) continue;
      WHARF_ASSIGN_OR_RETURN(std::string_view bytes, scanner.current_bytes());
      WHARF_ASSIGN_OR_RETURN(auto found, find_record(bytes, start, [timestamp](std::int64_t ts) {
                               return ts >= timestamp;
                             }));
      if (found) return found;
    }
  }
  return std::optional<timestamp_and_offset>();
}

result<std::optional<timestamp_and_offset>> partition_log::max_timestamp() const {
  WHARF_RETURN_IF_ERROR(check_open());
  auto list = segments();
  std::shared_ptr<segment> best;
  detail::segment_state best_state;
  for (const auto& seg : *list) {
    auto st = seg->state();
    if (st.offset_of_max_timestamp >= 0 && (!best || st.max_timestamp > best_state.max_timestamp)) {
      best = seg;
      best_state = st;
    }
  }
  if (!best) return std::optional<timestamp_and_offset>();
  timestamp_and_offset fallback{best_state.max_timestamp, best_state.offset_of_max_timestamp};
  WHARF_ASSIGN_OR_RETURN(auto batch, best->find_batch(best_state.offset_of_max_timestamp));
  if (!batch) return std::optional<timestamp_and_offset>(fallback);
  std::string bytes(static_cast<std::size_t>(batch->size()), '\0');
  WHARF_RETURN_IF_ERROR(best->log_file()->read_exact(batch->position, bytes.data(), bytes.size()));
  std::int64_t max_ts = best_state.max_timestamp;
  WHARF_ASSIGN_OR_RETURN(auto found,
                         find_record(bytes, 0, [max_ts](std::int64_t ts) { return ts == max_ts; }));
  return std::optional<timestamp_and_offset>(found.value_or(fallback));
}

// ---- Deletion ----

status partition_log::delete_segment_locked(const std::shared_ptr<segment>& seg) {
  size_bytes_ -= seg->state().size;
  return seg->delete_files();
}

result<std::int64_t> partition_log::delete_records_before(std::int64_t offset) {
  std::lock_guard lock(append_mutex_);
  WHARF_RETURN_IF_ERROR(check_open());
  if (offset < 0 || offset > log_end_offset_) {
    return make_error(errc::out_of_range, "cannot delete records before {}: the log ends at {}",
                      offset, log_end_offset_.load());
  }
  std::int64_t previous = log_start_offset_;
  if (offset <= previous) return previous;
  log_start_offset_ = offset;
  // The new start is durable before any segment goes, so a restart never shows deleted
  // records again.
  auto persisted = persist_checkpoint();
  if (!persisted.ok()) {
    log_start_offset_ = previous;
    return persisted.err();
  }
  auto list = segments();
  segment_list kept(*list);
  std::size_t drop = 0;
  while (drop + 1 < kept.size() && kept[drop + 1]->base_offset() <= offset) ++drop;
  if (drop == 0) return offset;
  std::vector<std::shared_ptr<segment>> gone(kept.begin(), kept.begin() + drop);
  kept.erase(kept.begin(), kept.begin() + drop);
  publish(std::move(kept));
  for (const auto& seg : gone) WHARF_RETURN_IF_ERROR(delete_segment_locked(seg));
  return offset;
}

result<retention_result> partition_log::enforce_retention(std::int64_t now_ms) {
  std::lock_guard lock(append_mutex_);
  WHARF_RETURN_IF_ERROR(check_open());
  auto list = segments();
  segment_list kept(*list);
  retention_result out;
  std::vector<std::shared_ptr<segment>> gone;
  auto drop_front = [&](deleted_segment::reason why) {
    auto st = kept.front()->state();
    out.deleted.push_back({kept.front()->base_offset(), kept[1]->base_offset(), st.size, why});
    gone.push_back(kept.front());
    kept.erase(kept.begin());
  };
  // As Kafka orders them: segments below the log start, then size, then time.
  while (kept.size() > 1 && kept[1]->base_offset() <= log_start_offset_) {
    drop_front(deleted_segment::reason::log_start_offset);
  }
  if (config_.cleanup_delete && config_.retention_bytes >= 0) {
    std::int64_t excess = static_cast<std::int64_t>(size_bytes_.load()) - config_.retention_bytes;
    for (const auto& seg : gone) excess -= static_cast<std::int64_t>(seg->state().size);
    while (kept.size() > 1 && excess >= static_cast<std::int64_t>(kept.front()->state().size)) {
      excess -= static_cast<std::int64_t>(kept.front()->state().size);
      drop_front(deleted_segment::reason::retention_bytes);
    }
  }
  if (config_.cleanup_delete && config_.retention_ms >= 0) {
    while (kept.size() > 1 && now_ms - kept.front()->largest_timestamp() > config_.retention_ms) {
      drop_front(deleted_segment::reason::retention_ms);
    }
  }
  out.log_start_offset = log_start_offset_;
  if (gone.empty()) return out;
  // The start moves before the segments leave the list, so a reader that finds them gone
  // also finds its offset below the start.
  std::int64_t new_start = std::max(log_start_offset_.load(), kept.front()->base_offset());
  log_start_offset_ = new_start;
  out.log_start_offset = new_start;
  publish(kept);
  for (const auto& seg : gone) WHARF_RETURN_IF_ERROR(delete_segment_locked(seg));
  WHARF_RETURN_IF_ERROR(persist_checkpoint());
  for (const auto& d : out.deleted) {
    logging::get("storage")->info(
        "{}: deleted segment {} ({} bytes) by {}", dir_.string(), d.base_offset, d.size_bytes,
        d.why == deleted_segment::reason::retention_ms      ? "retention.ms"
        : d.why == deleted_segment::reason::retention_bytes ? "retention.bytes"
                                                            : "log start offset");
  }
  return out;
}

// ---- Compaction ----

result<compaction_result> partition_log::compact(std::int64_t now_ms,
                                                 const compaction_options& options) {
  std::lock_guard cleaning(cleaner_mutex_);
  detail::cleaner_input in;
  {
    std::lock_guard lock(append_mutex_);
    WHARF_RETURN_IF_ERROR(check_open());
    in.config = config_;
    auto list = segments();
    in.segments.assign(list->begin(), list->end());
    in.log_start_offset = log_start_offset_;
    in.log_end_offset = log_end_offset_;
    in.first_dirty_offset = cleaner_offset_;
  }
  compaction_result none;
  none.segments_before = none.segments_after = in.segments.size();
  if (!in.config.cleanup_compact) return none;
  in.dir = dir_;
  in.now_ms = now_ms;
  in.options = options;
  WHARF_ASSIGN_OR_RETURN(auto out,
                         detail::run_compaction(in, [this](const auto& group, auto cleaned) {
                           return swap_cleaned(group, std::move(cleaned));
                         }));
  if (out.cleaned) {
    atomic_max(cleaner_offset_, out.cleaned_up_to);
    WHARF_RETURN_IF_ERROR(persist_checkpoint());
    logging::get("storage")->info(
        "{}: compacted {} segments into {}, {} -> {} bytes, {} records removed", dir_.string(),
        out.segments_before, out.segments_after, out.bytes_before, out.bytes_after,
        out.records_removed);
  }
  return out;
}

result<bool> partition_log::swap_cleaned(const std::vector<std::shared_ptr<segment>>& group,
                                         std::shared_ptr<segment> cleaned) {
  std::int64_t base = group.front()->base_offset();
  auto log_path = dir_ / detail::segment_file_name(base, detail::log_suffix);
  auto cleaned_path = log_path;
  cleaned_path += detail::cleaned_suffix;
  auto swap_path = log_path;
  swap_path += detail::swap_suffix;

  std::lock_guard lock(append_mutex_);
  auto list = segments();
  auto first = std::find(list->begin(), list->end(), group.front());
  bool intact = !closed_ && first != list->end() &&
                static_cast<std::size_t>(list->end() - first) > group.size() &&
                std::equal(group.begin(), group.end(), first);
  if (!intact) {
    WHARF_RETURN_IF_ERROR(detail::remove_file(cleaned_path));
    return false;
  }
  // The commit point: once "<base>.log.swap" exists, recovery finishes the swap.
  auto committed = detail::rename_file(cleaned_path, swap_path);
  if (committed.ok()) committed = detail::sync_directory(dir_);
  if (!committed.ok()) {
    (void)detail::remove_file(cleaned_path);
    (void)detail::remove_file(swap_path);
    return committed.err();
  }
  for (std::size_t i = 1; i < group.size(); ++i) WHARF_RETURN_IF_ERROR(group[i]->delete_files());
  // The old indexes must never be read against the new log file.
  WHARF_RETURN_IF_ERROR(
      detail::remove_file(dir_ / detail::segment_file_name(base, detail::index_suffix)));
  WHARF_RETURN_IF_ERROR(
      detail::remove_file(dir_ / detail::segment_file_name(base, detail::time_index_suffix)));
  WHARF_RETURN_IF_ERROR(detail::rename_file(swap_path, log_path));
  WHARF_RETURN_IF_ERROR(cleaned->persist_indexes());
  WHARF_RETURN_IF_ERROR(detail::sync_directory(dir_));

  std::uint64_t old_size = 0;
  for (const auto& seg : group) old_size += seg->state().size;
  segment_list updated(list->begin(), first);
  updated.push_back(cleaned);
  updated.insert(updated.end(), first + static_cast<std::ptrdiff_t>(group.size()), list->end());
  publish(std::move(updated));
  size_bytes_ += cleaned->state().size;
  size_bytes_ -= old_size;
  return true;
}

// ---- Flushing ----

status partition_log::sync_unflushed(bool include_active, bool* synced) {
  // No lock needed for the snapshot: every offset below the log end read first lives in a
  // segment already published.
  std::int64_t end = log_end_offset_;
  auto list = segments();
  std::int64_t target = include_active ? end : list->back()->base_offset();
  std::int64_t from = recovery_point_;
  if (target <= from) return {};
  for (const auto& seg : *list) {
    bool active = seg == list->back();
    if (active && !include_active) break;
    if (seg->state().next_offset <= from && !active) continue;
    auto st = seg->sync_log();
    if (st.ok() && !active) st = seg->persist_indexes();
    if (!st.ok()) {
      // After a failed fsync the kernel may have dropped the dirty pages: nothing written
      // since the last good flush can be trusted until recovery reads it back.
      failed_ = true;
      logging::get("storage")->error("{}: flush failed, the log goes offline: {}", dir_.string(),
                                     st.err().message());
      return st;
    }
    *synced = true;
  }
  // Segment files created since the last flush must survive a power loss too.
  if (directory_dirty_.exchange(false)) {
    auto st = detail::sync_directory(dir_);
    if (!st.ok()) {
      directory_dirty_ = true;
      return st;
    }
  }
  atomic_max(recovery_point_, target);
  return {};
}

status partition_log::flush() {
  std::lock_guard flushing(flush_mutex_);
  WHARF_RETURN_IF_ERROR(check_open());
  bool synced = false;
  WHARF_RETURN_IF_ERROR(sync_unflushed(true, &synced));
  if (recovery_point_ != checkpointed_recovery_point_) WHARF_RETURN_IF_ERROR(persist_checkpoint());
  return {};
}

result<bool> partition_log::flush_if_due(std::int64_t now_ms) {
  std::lock_guard flushing(flush_mutex_);
  WHARF_RETURN_IF_ERROR(check_open());
  std::int64_t flush_ms = config().flush_ms;
  bool due = flush_ms != kafka_never && now_ms - last_flush_ms_ >= flush_ms &&
             log_end_offset_ > recovery_point_;
  bool synced = false;
  WHARF_RETURN_IF_ERROR(sync_unflushed(due, &synced));
  if (due) last_flush_ms_ = now_ms;
  if (recovery_point_ != checkpointed_recovery_point_) WHARF_RETURN_IF_ERROR(persist_checkpoint());
  return synced;
}

// ---- Shutdown ----

status partition_log::close() {
  std::lock_guard cleaning(cleaner_mutex_);
  std::lock_guard flushing(flush_mutex_);
  std::lock_guard lock(append_mutex_);
  if (closed_) return {};
  auto list = segments();
  const auto& active = list->back();
  active->seal();
  WHARF_RETURN_IF_ERROR(active->trim_to_committed());
  std::int64_t from = recovery_point_;
  for (const auto& seg : *list) {
    if (seg->state().next_offset > from || seg == active) WHARF_RETURN_IF_ERROR(seg->sync_log());
    WHARF_RETURN_IF_ERROR(seg->persist_indexes());
  }
  WHARF_RETURN_IF_ERROR(detail::sync_directory(dir_));
  recovery_point_ = log_end_offset_.load();
  WHARF_RETURN_IF_ERROR(persist_checkpoint());
  WHARF_RETURN_IF_ERROR(
      detail::write_file_atomically(dir_ / detail::clean_shutdown_file_name, "clean\n"));
  closed_ = true;
  return {};
}

status partition_log::remove() {
  std::lock_guard cleaning(cleaner_mutex_);
  std::lock_guard flushing(flush_mutex_);
  std::lock_guard lock(append_mutex_);
  closed_ = true;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) return make_error(errc::io_error, "remove {}: {}", dir_.string(), ec.message());
  return {};
}

}  // namespace wharf::storage
