#include "broker/producer_state.h"

#include <fmt/format.h>

#include <algorithm>

#include "kafka/records/batch.h"
#include "kafka/records/record.h"
#include "storage/partition_log.h"

namespace wharf::broker {
namespace {

using kafka::protocol::error_code;

// Sequences wrap to 0 after INT32_MAX, as Kafka's do.
std::int32_t add_sequence(std::int32_t sequence, std::int64_t delta) {
  return static_cast<std::int32_t>((static_cast<std::int64_t>(sequence) + delta) %
                                   (static_cast<std::int64_t>(INT32_MAX) + 1));
}

}  // namespace

producer_state::verdict producer_state::check(std::int64_t producer_id, std::int16_t epoch,
                                              std::int32_t base_sequence,
                                              std::int32_t record_count) const {
  if (producer_id < 0) return {};
  auto last_sequence = add_sequence(base_sequence, record_count - 1);
  auto it = producers_.find(producer_id);
  // A producer this partition knows nothing of may start at any sequence, as in Kafka
  // (ProducerAppendInfo accepts any sequence while the producer has no epoch here): its
  // state may have gone with retention, or the topic was deleted and created again while
  // the producer kept its sequences (librdkafka treats a rejection as fatal).
  if (it == producers_.end()) return {};
  const auto& e = it->second;
  if (epoch < e.epoch) {
    return {verdict::kind::reject, error_code::invalid_producer_epoch, -1,
            fmt::format("Epoch of producer {} is {}, which is smaller than the last seen epoch {}",
                        producer_id, epoch, e.epoch)};
  }
  if (epoch > e.epoch) {
    if (base_sequence != 0) {
      return {verdict::kind::reject, error_code::out_of_order_sequence_number, -1,
              fmt::format("Invalid sequence number for new epoch {} of producer {}: {} "
                          "(expected 0)",
                          epoch, producer_id, base_sequence)};
    }
    return {};
  }
  for (const auto& b : e.batches) {
    if (b.first_sequence == base_sequence && b.last_sequence == last_sequence) {
      return {verdict::kind::duplicate, error_code::none, b.first_offset, {}};
    }
  }
  auto expected = e.batches.empty() ? 0 : add_sequence(e.batches.back().last_sequence, 1);
  if (base_sequence != expected) {
    return {
        verdict::kind::reject, error_code::out_of_order_sequence_number, -1,
        fmt::format("Out of order sequence number for producer {} at epoch {}: {} (expected {})",
                    producer_id, epoch, base_sequence, expected)};
  }
  return {};
}

void producer_state::record(std::int64_t producer_id, std::int16_t epoch,
                            std::int32_t base_sequence, std::int32_t record_count,
                            std::int64_t base_offset) {
  if (producer_id < 0) return;
  auto& e = producers_[producer_id];
  if (epoch != e.epoch) {
    e.epoch = epoch;
    e.batches.clear();
  }
  e.batches.push_back({base_sequence, add_sequence(base_sequence, record_count - 1), base_offset});
  while (e.batches.size() > batches_kept) e.batches.pop_front();
}

void producer_state::rebuild(const storage::partition_log& log) {
  producers_.clear();
  auto offset = log.log_start_offset();
  auto end = log.log_end_offset();
  while (offset < end) {
    auto read = log.read(offset, 4 << 20, INT64_MAX, true);
    if (!read || read->records.empty()) break;
    kafka::records::batch_reader reader(read->records.bytes());
    while (true) {
      auto next = reader.next();
      if (!next.ok() || !next->has_value()) break;
      const auto& h = (*next)->header();
      if (!h.has_producer_id()) continue;
      if (!h.is_control()) {
        if (h.is_transactional()) note_transactional_batch(h.producer_id, h.base_offset);
        record(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count, h.base_offset);
        continue;
      }
      // A control batch: a COMMIT or ABORT marker ends the producer's transaction.
      kafka::records::record_reader records(**next);
      auto marker = records.next();
      if (!marker.ok() || !marker->has_value() || !(*marker)->key) continue;
      auto key = kafka::records::parse_control_record_key(*(*marker)->key);
      if (!key.ok() || !key->is_end_txn_marker()) continue;
      end_transaction(
          h.producer_id, h.producer_epoch,
          key->type == static_cast<std::int16_t>(kafka::records::control_record_type::commit),
          h.base_offset);
    }
    if (read->next_offset <= offset) break;
    offset = read->next_offset;
  }
}

void producer_state::note_transactional_batch(std::int64_t producer_id, std::int64_t base_offset) {
  std::lock_guard lock(transactions_mutex_);
  open_transactions_.try_emplace(producer_id, base_offset);
}

void producer_state::forget_transaction_start(std::int64_t producer_id, std::int64_t base_offset) {
  std::lock_guard lock(transactions_mutex_);
  auto it = open_transactions_.find(producer_id);
  if (it != open_transactions_.end() && it->second == base_offset) open_transactions_.erase(it);
}

void producer_state::end_transaction(std::int64_t producer_id, std::int16_t epoch, bool commit,
                                     std::int64_t marker_offset) {
  // The marker carries the coordinator's (possibly bumped) epoch: older batches are fenced.
  auto& e = producers_[producer_id];
  if (epoch > e.epoch) {
    e.epoch = epoch;
    e.batches.clear();
  }
  std::lock_guard lock(transactions_mutex_);
  auto it = open_transactions_.find(producer_id);
  if (it == open_transactions_.end()) return;  // a marker for a partition with no data
  if (!commit) aborted_.push_back({producer_id, it->second, marker_offset});
  open_transactions_.erase(it);
}

bool producer_state::has_open_transaction(std::int64_t producer_id) const {
  std::lock_guard lock(transactions_mutex_);
  return open_transactions_.contains(producer_id);
}

std::int64_t producer_state::last_stable_offset(std::int64_t high_watermark) const {
  std::lock_guard lock(transactions_mutex_);
  std::int64_t lso = high_watermark;
  for (const auto& [id, first] : open_transactions_) lso = std::min(lso, first);
  return lso;
}

std::vector<producer_state::aborted_transaction> producer_state::aborted_between(
    std::int64_t from, std::int64_t to) const {
  std::vector<aborted_transaction> out;
  std::lock_guard lock(transactions_mutex_);
  for (const auto& a : aborted_) {
    if (a.last_offset >= from && a.first_offset < to) out.push_back(a);
  }
  return out;
}

void producer_state::forget_aborted_before(std::int64_t log_start_offset) {
  std::lock_guard lock(transactions_mutex_);
  std::erase_if(aborted_,
                [&](const aborted_transaction& a) { return a.last_offset < log_start_offset; });
}

}  // namespace wharf::broker
