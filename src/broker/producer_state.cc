#include "broker/producer_state.h"

#include <fmt/format.h>

#include "kafka/records/batch.h"
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
  if (it == producers_.end()) {
    if (base_sequence != 0) {
      return {verdict::kind::reject, error_code::out_of_order_sequence_number, -1,
              fmt::format("Invalid sequence number for new producer {}: {} (expected 0)",
                          producer_id, base_sequence)};
    }
    return {};
  }
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
      if (h.has_producer_id() && !h.is_control()) {
        record(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count, h.base_offset);
      }
    }
    if (read->next_offset <= offset) break;
    offset = read->next_offset;
  }
}

}  // namespace wharf::broker
