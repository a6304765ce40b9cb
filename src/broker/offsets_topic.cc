#include "broker/offsets_topic.h"

#include <chrono>

#include "base/logging.h"
#include "broker/append_notifier.h"
#include "broker/topic_manager.h"
#include "kafka/records/builder.h"
#include "kafka/records/record.h"
#include "net/io_runtime.h"

namespace wharf::broker {

namespace kr = kafka::records;
using groups::error_code;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Kafka's offsets.topic.segment.bytes default: smaller segments than ordinary topics, so
// compaction can clean them sooner.
constexpr const char* offsets_segment_bytes = "104857600";

}  // namespace

offsets_topic_log::offsets_topic_log(topic_manager& topics, append_notifier& appends,
                                     std::int32_t partitions)
    : topics_(topics), appends_(appends), partitions_(partitions) {
  if (auto existing = topics_.find(offsets_topic_name)) {
    partitions_ = static_cast<std::int32_t>(existing->partitions.size());
  }
}

std::shared_ptr<const topic> offsets_topic_log::ensure() {
  if (auto t = topics_.find(offsets_topic_name)) return t;
  std::lock_guard lock(create_mutex_);
  if (auto t = topics_.find(offsets_topic_name)) return t;
  topic_manager::create_spec spec;
  spec.name = offsets_topic_name;
  spec.partitions = partitions_;
  spec.configs = {{"cleanup.policy", "compact"}, {"segment.bytes", offsets_segment_bytes}};
  auto created = topics_.create(spec);
  if (!created) {
    if (created.err().code == kafka::protocol::error_code::topic_already_exists) {
      return topics_.find(offsets_topic_name);
    }
    logging::get("groups")->error("cannot create {}: {}", offsets_topic_name,
                                  created.err().message);
    return nullptr;
  }
  logging::get("groups")->info("created {} with {} partitions", offsets_topic_name, partitions_);
  return *created;
}

error_code offsets_topic_log::prepare() {
  return ensure() ? error_code::none : error_code::coordinator_not_available;
}

error_code offsets_topic_log::append(std::int32_t partition, const std::vector<record>& records) {
  auto t = ensure();
  if (!t) return error_code::coordinator_not_available;
  if (partition < 0 || static_cast<std::size_t>(partition) >= t->partitions.size()) {
    // The topic was deleted and recreated with fewer partitions.
    return error_code::coordinator_not_available;
  }
  auto now = wall_ms();
  kr::batch_builder builder({});
  for (const auto& r : records) {
    builder.append(now, r.key, r.value ? std::optional<std::string_view>(*r.value) : std::nullopt);
  }
  auto batch = std::move(builder).build();
  if (!batch) {
    logging::get("groups")->error("cannot build a {} batch: {}", offsets_topic_name,
                                  batch.err().message());
    return error_code::unknown_server_error;
  }
  auto& part = *t->partitions[static_cast<std::size_t>(partition)];
  storage::append_options options;
  options.now_ms = now;
  options.partition_leader_epoch = 0;
  auto appended = part.log().append(*batch, options);
  if (!appended) {
    logging::get("groups")->error("append to {}-{} failed: {}", offsets_topic_name, partition,
                                  appended.err().message());
    // Kafka answers a storage error of the coordinator's log with NOT_COORDINATOR.
    return error_code::not_coordinator;
  }
  appends_.notify(&part, static_cast<std::int64_t>(batch->size()));
  return error_code::none;
}

status offsets_topic_log::replay_into(groups::group_coordinator& coordinator) const {
  auto t = topics_.find(offsets_topic_name);
  if (t) {
    for (const auto& p : t->partitions) {
      const auto& log = p->log();
      auto offset = log.log_start_offset();
      const auto end = log.log_end_offset();
      while (offset < end) {
        auto read = log.read(offset, 1 << 20, end, true);
        if (!read) {
          return read.err().with_context(
              fmt::format("reading {}-{}", offsets_topic_name, p->index()));
        }
        if (read->records.empty() || read->next_offset <= offset) break;
        auto split = kr::split_batches(read->records.bytes(), kr::partial_batches::allow);
        if (!split) {
          return make_error(errc::parse_error, "{}-{} at offset {}: {}", offsets_topic_name,
                            p->index(), offset, split.err().message());
        }
        for (const auto& batch : split->batches) {
          const auto& header = batch.header();
          auto decoded = kr::decode_batch(batch);
          if (!decoded) {
            logging::get("groups")->warn("skipping an unreadable batch of {}-{} at {}: {}",
                                         offsets_topic_name, p->index(), header.base_offset,
                                         decoded.err().message());
            continue;
          }
          for (const auto& r : decoded->records) {
            if (header.is_control()) {
              if (!r.key) continue;
              auto key = kr::parse_control_record_key(*r.key);
              if (key && key->is_end_txn_marker()) {
                coordinator.replay_transaction_marker(header.producer_id, key->type == 1);
              }
              continue;
            }
            if (!r.key) continue;
            groups::replayed_record rr;
            rr.key = *r.key;
            rr.value = r.value;
            if (header.is_transactional()) rr.transactional_producer_id = header.producer_id;
            coordinator.replay(rr);
          }
        }
        offset = read->next_offset;
      }
    }
  }
  coordinator.finish_replay();
  return {};
}

namespace {

class io_timer final : public groups::scheduler::timer {
 public:
  explicit io_timer(std::shared_ptr<net::io_runtime::timer> t) : timer_(std::move(t)) {}
  bool cancel() override { return timer_->cancel(); }

 private:
  std::shared_ptr<net::io_runtime::timer> timer_;
};

class io_scheduler final : public groups::scheduler {
 public:
  explicit io_scheduler(net::io_runtime& runtime) : runtime_(runtime) {}

  std::int64_t now_ms() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t wall_ms() override { return broker::wall_ms(); }
  std::shared_ptr<timer> schedule(std::int64_t delay_ms, std::function<void()> fn) override {
    return std::make_shared<io_timer>(runtime_.run_after(
        std::chrono::milliseconds(std::max<std::int64_t>(delay_ms, 0)), std::move(fn)));
  }

 private:
  net::io_runtime& runtime_;
};

}  // namespace

std::shared_ptr<groups::scheduler> make_io_scheduler(net::io_runtime& runtime) {
  return std::make_shared<io_scheduler>(runtime);
}

}  // namespace wharf::broker
