// The log cleaner (see compaction.h and docs/storage.md). One run:
//   1. reads every batch header of the log to learn each producer's last batch, which
//      transactions were aborted, and where the first still-open transaction starts;
//   2. picks the cleanable range: whole segments before the active one, before the last
//      stable offset and older than min.compaction.lag.ms;
//   3. maps every key in the dirty part of that range to its latest offset;
//   4. rewrites the range group by group, keeping a record only if it is the latest for its
//      key (or its key is not in the dirty map), dropping aborted transactional data and,
//      once their delete horizon has passed, tombstones and empty transactions' markers.
#include "storage/compaction.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "base/bytes.h"
#include "base/logging.h"
#include "kafka/records/compression.h"
#include "kafka/records/record.h"

namespace wharf::storage::detail {
namespace {

std::atomic<bool> stop_after_write{false};

constexpr std::int64_t max_relative = std::numeric_limits<std::int32_t>::max();
constexpr std::size_t output_buffer_bytes = 1 << 20;

error from_records(const records::records_error& e, const batch_meta& meta) {
  return make_error(errc::parse_error, "batch at offset {}: {}", meta.base_offset(), e.message());
}

result<records::decoded_batch> decode(std::string_view bytes, const batch_meta& meta) {
  auto view = records::batch_view::parse(bytes);
  if (!view.ok()) return from_records(view.err(), meta);
  auto decoded = records::decode_batch(*view);
  if (!decoded.ok()) return from_records(decoded.err(), meta);
  return std::move(decoded).value();
}

// What the whole log says about producers and transactions.
struct producer_scan {
  // The base offset of each producer's last batch: kept (possibly empty) by the cleaner so
  // the producer's last sequence number survives, as Kafka does.
  std::unordered_map<std::int64_t, std::int64_t> last_batch_of_producer;
  // Base offsets of transactional data batches whose transaction was aborted.
  std::unordered_set<std::int64_t> aborted_batches;
  // The first offset of a transaction with no marker yet (the log's own last stable offset).
  std::optional<std::int64_t> first_unstable_offset;
};

// The marker type of a control batch: 0 abort, 1 commit, other values for non-transaction
// control records, nullopt if it carries no record.
result<std::optional<std::int16_t>> control_type(const records::decoded_batch& batch,
                                                 const batch_meta& meta) {
  if (batch.records.empty() || !batch.records.front().key) return std::optional<std::int16_t>();
  auto key = records::parse_control_record_key(*batch.records.front().key);
  if (!key.ok()) return from_records(key.err(), meta);
  return std::optional<std::int16_t>(key->type);
}

result<producer_scan> scan_producers(const cleaner_input& in) {
  struct open_transaction {
    std::int64_t first_offset = 0;
    std::vector<std::int64_t> batches;
  };
  std::unordered_map<std::int64_t, open_transaction> open;
  producer_scan out;
  for (const auto& seg : in.segments) {
    batch_scanner scanner(*seg->log_file(), 0, seg->state().size);
    for (;;) {
      WHARF_ASSIGN_OR_RETURN(auto meta, scanner.next());
      if (!meta) break;
      const auto& h = meta->header;
      if (h.producer_id >= 0) out.last_batch_of_producer[h.producer_id] = h.base_offset;
      if (!h.is_transactional()) continue;
      if (!h.is_control()) {
        auto [it, inserted] = open.try_emplace(h.producer_id);
        if (inserted) it->second.first_offset = h.base_offset;
        it->second.batches.push_back(h.base_offset);
        continue;
      }
      WHARF_ASSIGN_OR_RETURN(std::string_view bytes, scanner.current_bytes());
      WHARF_ASSIGN_OR_RETURN(auto decoded, decode(bytes, *meta));
      WHARF_ASSIGN_OR_RETURN(auto type, control_type(decoded, *meta));
      if (!type || (*type != 0 && *type != 1)) continue;
      auto it = open.find(h.producer_id);
      if (it == open.end()) continue;
      if (*type == 0) {
        out.aborted_batches.insert(it->second.batches.begin(), it->second.batches.end());
      }
      open.erase(it);
    }
  }
  for (const auto& [pid, txn] : open) {
    if (!out.first_unstable_offset || txn.first_offset < *out.first_unstable_offset) {
      out.first_unstable_offset = txn.first_offset;
    }
  }
  return out;
}

void encode_record(std::string& out, const records::record& r, std::int64_t timestamp_delta) {
  std::string body;
  byte_writer w(body);
  w.write_int8(r.attributes);
  w.write_varlong(timestamp_delta);
  w.write_varint(r.offset_delta);
  for (const auto& field : {r.key, r.value}) {
    if (field) {
      w.write_varint(static_cast<std::int32_t>(field->size()));
      w.write_bytes(*field);
    } else {
      w.write_varint(-1);
    }
  }
  w.write_varint(r.header_count);
  w.write_bytes(r.headers_data);
  byte_writer o(out);
  o.write_varint(static_cast<std::int32_t>(body.size()));
  o.write_bytes(body);
}

struct batch_fields {
  std::int16_t attributes = 0;
  std::int64_t base_timestamp = -1;
  std::int64_t max_timestamp = -1;
  std::int32_t record_count = 0;
};

// A v2 batch with h's offsets, producer fields and leader epoch, and the given records blob
// (already compressed as attributes say).
std::string build_batch(const records::batch_header& h, const batch_fields& f,
                        std::string_view records_blob) {
  std::string out;
  byte_writer w(out);
  w.reserve(records::layout::header_size + records_blob.size());
  w.write_int64(h.base_offset);
  w.write_int32(0);  // batchLength, patched below
  w.write_int32(h.partition_leader_epoch);
  w.write_int8(records::current_magic);
  w.write_uint32(0);  // crc, patched below
  w.write_int16(f.attributes);
  w.write_int32(h.last_offset_delta);
  w.write_int64(f.base_timestamp);
  w.write_int64(f.max_timestamp);
  w.write_int64(h.producer_id);
  w.write_int16(h.producer_epoch);
  w.write_int32(h.base_sequence);
  w.write_int32(f.record_count);
  w.write_bytes(records_blob);
  w.patch_int32(records::layout::batch_length,
                static_cast<std::int32_t>(out.size() - records::layout::log_overhead));
  std::uint32_t crc = crc32c(std::string_view(out).substr(records::layout::attributes));
  w.patch_int32(records::layout::crc, static_cast<std::int32_t>(crc));
  return out;
}

// The survivors of a batch in a new batch with the original base offset and last offset
// delta (as Kafka's cleaner keeps them, so producer sequence numbers stay right), the same
// codec, and with the delete horizon when given. Timestamps are preserved: they are
// re-encoded against the new base timestamp.
result<std::string> rewrite_batch(const records::batch_header& h,
                                  const std::vector<const records::record*>& kept,
                                  std::optional<std::int64_t> delete_horizon) {
  batch_fields f;
  f.attributes = static_cast<std::int16_t>(h.attributes & ~records::attribute::delete_horizon);
  if (delete_horizon) {
    f.attributes = static_cast<std::int16_t>(f.attributes | records::attribute::delete_horizon);
  }
  f.record_count = static_cast<std::int32_t>(kept.size());
  f.base_timestamp = delete_horizon ? *delete_horizon : kept.front()->timestamp;
  bool log_append_time = h.ts_type() == records::timestamp_type::log_append_time;
  f.max_timestamp = log_append_time ? h.max_timestamp : records::no_timestamp;
  std::string raw;
  for (const auto* r : kept) {
    if (!log_append_time) f.max_timestamp = std::max(f.max_timestamp, r->timestamp);
    encode_record(raw, *r, r->timestamp - f.base_timestamp);
  }
  auto codec = h.compression().value_or(records::compression_type::none);
  if (codec == records::compression_type::none) return build_batch(h, f, raw);
  std::string compressed;
  auto st = records::compress_append(codec, raw, compressed);
  if (!st.ok()) {
    return make_error(errc::internal, "recompressing batch {}: {}", h.base_offset,
                      st.err().message());
  }
  return build_batch(h, f, compressed);
}

// A batch with no records that keeps h's offsets and producer fields (Kafka's "retain
// empty" batch for a producer's last sequence number).
std::string empty_batch(const records::batch_header& h) {
  batch_fields f;
  f.attributes = static_cast<std::int16_t>(h.attributes & (records::attribute::log_append_time |
                                                           records::attribute::transactional |
                                                           records::attribute::control));
  f.base_timestamp = h.max_timestamp;
  f.max_timestamp = h.max_timestamp;
  return build_batch(h, f, {});
}

// Buffers output batches and appends them to the cleaned segment in large writes.
class cleaned_writer {
 public:
  cleaned_writer(std::shared_ptr<segment> out, std::int64_t index_interval)
      : out_(std::move(out)), index_interval_(index_interval) {}

  status add(std::string_view batch) {
    WHARF_ASSIGN_OR_RETURN(auto header, parse_batch_header(batch));
    metas_.push_back(batch_meta{pending_.size(), header});
    pending_.append(batch);
    if (pending_.size() >= output_buffer_bytes) return flush();
    return {};
  }

  status flush() {
    if (pending_.empty()) return {};
    WHARF_RETURN_IF_ERROR(out_->append(pending_, metas_, index_interval_));
    pending_.clear();
    metas_.clear();
    return {};
  }

 private:
  std::shared_ptr<segment> out_;
  std::int64_t index_interval_;
  std::string pending_;
  std::vector<batch_meta> metas_;
};

class cleaner {
 public:
  cleaner(const cleaner_input& in, const producer_scan& producers,
          const std::unordered_map<std::string, std::int64_t>& latest, compaction_result& stats)
      : in_(in), producers_(producers), latest_(latest), stats_(stats) {}

  // Writes the survivors of group's segments to "<base>.log.cleaned".
  result<std::shared_ptr<segment>> clean_group(const std::vector<std::shared_ptr<segment>>& group) {
    std::int64_t base = group.front()->base_offset();
    auto path = in_.dir / (segment_file_name(base, log_suffix) + std::string(cleaned_suffix));
    WHARF_RETURN_IF_ERROR(remove_file(path));
    WHARF_ASSIGN_OR_RETURN(auto out, segment::create(in_.dir, base, in_.now_ms, path));
    auto written = write_group(group, out);
    if (!written.ok()) {
      (void)remove_file(path);
      return written.err();
    }
    return out;
  }

 private:
  status write_group(const std::vector<std::shared_ptr<segment>>& group,
                     const std::shared_ptr<segment>& out) {
    cleaned_writer writer(out, in_.config.index_interval_bytes);
    for (const auto& seg : group) {
      batch_scanner scanner(*seg->log_file(), 0, seg->state().size, 1 << 20);
      for (;;) {
        WHARF_ASSIGN_OR_RETURN(auto meta, scanner.next());
        if (!meta) break;
        WHARF_ASSIGN_OR_RETURN(std::string_view bytes, scanner.current_bytes());
        WHARF_RETURN_IF_ERROR(clean_batch(*meta, bytes, writer));
      }
    }
    WHARF_RETURN_IF_ERROR(writer.flush());
    out->seal();
    return out->sync_log();
  }

  status clean_batch(const batch_meta& meta, std::string_view bytes, cleaned_writer& writer) {
    const auto& h = meta.header;
    if (h.last_offset() < in_.log_start_offset) {
      stats_.records_removed += h.record_count;
      return {};  // wholly below the log start: DeleteRecords already hid it
    }
    std::optional<std::int64_t> horizon = h.delete_horizon_ms();
    bool horizon_passed = horizon && in_.now_ms >= *horizon;
    WHARF_ASSIGN_OR_RETURN(auto decoded, decode(bytes, meta));

    if (h.is_control()) {
      WHARF_ASSIGN_OR_RETURN(auto type, control_type(decoded, meta));
      if (!type || (*type != 0 && *type != 1)) return writer.add(bytes);
      bool had_data = transaction_has_data_.erase(h.producer_id) > 0;
      if (had_data) return writer.add(bytes);
      // The transaction's data is gone: the marker goes too, one delete horizon later.
      if (horizon_passed) {
        stats_.records_removed += h.record_count;
        return retain_if_last_of_producer(h, writer);
      }
      if (horizon) return writer.add(bytes);
      std::vector<const records::record*> kept;
      for (const auto& r : decoded.records) kept.push_back(&r);
      WHARF_ASSIGN_OR_RETURN(auto rewritten,
                             rewrite_batch(h, kept, in_.now_ms + in_.config.delete_retention_ms));
      return writer.add(rewritten);
    }

    bool aborted = h.is_transactional() && producers_.aborted_batches.count(h.base_offset) > 0;
    std::vector<const records::record*> kept;
    bool kept_tombstone = false;
    for (const auto& r : decoded.records) {
      bool keep = !aborted && r.key.has_value() && r.offset >= in_.log_start_offset;
      if (keep) {
        auto it = latest_.find(std::string(*r.key));
        if (it != latest_.end() && it->second > r.offset) keep = false;
      }
      if (keep && !r.value) {
        if (horizon_passed) {
          keep = false;
          ++stats_.tombstones_removed;
        } else {
          kept_tombstone = true;
        }
      }
      if (keep) {
        kept.push_back(&r);
      } else {
        ++stats_.records_removed;
      }
    }
    if (h.is_transactional() && !kept.empty()) transaction_has_data_.insert(h.producer_id);

    bool set_horizon = kept_tombstone && !horizon;
    if (kept.size() == decoded.records.size() && !set_horizon) return writer.add(bytes);
    if (kept.empty()) return retain_if_last_of_producer(h, writer);
    std::optional<std::int64_t> new_horizon = horizon;
    if (set_horizon) new_horizon = in_.now_ms + in_.config.delete_retention_ms;
    WHARF_ASSIGN_OR_RETURN(auto rewritten, rewrite_batch(h, kept, new_horizon));
    return writer.add(rewritten);
  }

  // A batch left without records is dropped, unless it is its producer's last: then its
  // header stays (Kafka's RETAIN_EMPTY), so the producer's last sequence survives.
  status retain_if_last_of_producer(const records::batch_header& h, cleaned_writer& writer) {
    auto last = producers_.last_batch_of_producer.find(h.producer_id);
    if (h.producer_id >= 0 && last != producers_.last_batch_of_producer.end() &&
        last->second == h.base_offset) {
      return writer.add(empty_batch(h));
    }
    return {};
  }

  const cleaner_input& in_;
  const producer_scan& producers_;
  const std::unordered_map<std::string, std::int64_t>& latest_;
  compaction_result& stats_;
  // Producers whose open transaction (in offset order) has kept at least one record.
  std::unordered_set<std::int64_t> transaction_has_data_;
};

}  // namespace

void set_compaction_stop_after_write_for_testing(bool stop) { stop_after_write = stop; }

result<compaction_result> run_compaction(const cleaner_input& in, const swap_cleaned_fn& swap) {
  compaction_result stats;
  const auto& segs = in.segments;
  stats.segments_before = segs.size();
  stats.segments_after = segs.size();
  if (segs.size() < 2) return stats;

  // The cleanable range: whole segments before `end`. Decided twice: first without the
  // log's own open transactions, so that a log that is not dirty enough costs no reading;
  // then with them, once the producer scan has found them.
  std::int64_t end = segs.back()->base_offset();
  if (in.options.last_stable_offset) end = std::min(end, *in.options.last_stable_offset);
  if (in.config.min_compaction_lag_ms > 0) {
    for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
      if (segs[i]->largest_timestamp() > in.now_ms - in.config.min_compaction_lag_ms) {
        end = std::min(end, segs[i]->base_offset());
        break;
      }
    }
  }
  std::int64_t first_dirty =
      std::max({in.first_dirty_offset, in.log_start_offset, segs.front()->base_offset()});
  stats.first_dirty_offset = first_dirty;
  stats.cleaned_up_to = first_dirty;
  std::size_t count = 0;
  std::int64_t clean_end = 0;
  // Sets count and clean_end for `end`; false when there is nothing worth cleaning.
  auto plan = [&]() {
    count = 0;
    while (count + 1 < segs.size() && segs[count + 1]->base_offset() <= end) ++count;
    if (count == 0) return false;
    clean_end = segs[count]->base_offset();
    std::uint64_t total = 0;
    std::uint64_t dirty = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::uint64_t size = segs[i]->state().size;
      total += size;
      if (segs[i + 1]->base_offset() > first_dirty) dirty += size;
    }
    if (total == 0) return false;
    if (first_dirty >= clean_end) dirty = 0;
    stats.dirty_ratio = static_cast<double>(dirty) / static_cast<double>(total);
    // A forced run over a clean log still drops tombstones and markers whose horizon passed.
    return in.options.ignore_dirty_ratio ||
           (dirty > 0 && stats.dirty_ratio >= in.config.min_cleanable_dirty_ratio);
  };
  if (!plan()) return stats;

  WHARF_ASSIGN_OR_RETURN(producer_scan producers, scan_producers(in));
  if (!in.options.last_stable_offset && producers.first_unstable_offset &&
      *producers.first_unstable_offset < end) {
    end = *producers.first_unstable_offset;
    if (!plan()) return stats;
  }

  // The latest offset of every key in the dirty range.
  std::unordered_map<std::string, std::int64_t> latest;
  for (std::size_t i = 0; i < count; ++i) {
    if (segs[i + 1]->base_offset() <= first_dirty) continue;
    batch_scanner scanner(*segs[i]->log_file(), 0, segs[i]->state().size, 1 << 20);
    for (;;) {
      WHARF_ASSIGN_OR_RETURN(auto meta, scanner.next());
      if (!meta) break;
      const auto& h = meta->header;
      if (meta->last_offset() < first_dirty || h.is_control()) continue;
      if (h.is_transactional() && producers.aborted_batches.count(h.base_offset)) continue;
      WHARF_ASSIGN_OR_RETURN(std::string_view bytes, scanner.current_bytes());
      WHARF_ASSIGN_OR_RETURN(auto decoded, decode(bytes, *meta));
      for (const auto& r : decoded.records) {
        if (r.key && r.offset >= first_dirty && r.offset < clean_end) {
          latest[std::string(*r.key)] = r.offset;
        }
      }
    }
  }

  // Groups of consecutive segments whose output fits one segment.
  std::vector<std::vector<std::shared_ptr<segment>>> groups;
  std::uint64_t group_bytes = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t size = segs[i]->state().size;
    std::int64_t last_possible = segs[i + 1]->base_offset() - 1;
    if (groups.empty() ||
        group_bytes + size > static_cast<std::uint64_t>(in.config.segment_bytes) ||
        last_possible - groups.back().front()->base_offset() > max_relative) {
      groups.emplace_back();
      group_bytes = 0;
    }
    groups.back().push_back(segs[i]);
    group_bytes += size;
  }

  cleaner clean(in, producers, latest, stats);
  std::size_t segments_after = segs.size();
  for (const auto& group : groups) {
    std::uint64_t before = 0;
    for (const auto& seg : group) before += seg->state().size;
    WHARF_ASSIGN_OR_RETURN(auto cleaned, clean.clean_group(group));
    if (stop_after_write) {
      return make_error(errc::internal, "compaction stopped after writing (test hook)");
    }
    WHARF_ASSIGN_OR_RETURN(bool swapped, swap(group, cleaned));
    if (!swapped) {
      logging::get("storage")->info("{}: compaction abandoned, the log changed under it",
                                    in.dir.string());
      return stats;
    }
    stats.bytes_before += before;
    stats.bytes_after += cleaned->state().size;
    segments_after -= group.size() - 1;
  }
  stats.cleaned = true;
  stats.cleaned_up_to = clean_end;
  stats.segments_after = segments_after;
  return stats;
}

}  // namespace wharf::storage::detail
