// The group coordinator's place in the broker: its log is the internal, compacted
// __consumer_offsets topic (created on first use, read back at start-up), and its timers
// run on the I/O runtime.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "base/result.h"
#include "broker/groups/coordinator.h"

namespace wharf::net {
class io_runtime;
}

namespace wharf::broker {

class append_notifier;
class topic_manager;
struct topic;

inline constexpr const char* offsets_topic_name = "__consumer_offsets";

class offsets_topic_log final : public groups::group_log {
 public:
  // partitions: offsets.topic.num.partitions, used when the topic does not exist yet (an
  // existing topic keeps its own count, so groups keep their partition).
  offsets_topic_log(topic_manager& topics, append_notifier& appends, std::int32_t partitions);

  std::int32_t partition_count() const override { return partitions_; }
  groups::error_code prepare() override;
  groups::error_code append(std::int32_t partition, const std::vector<record>& records) override;

  // Reads every partition from its start and feeds the records to the coordinator, then
  // calls its finish_replay().
  status replay_into(groups::group_coordinator& coordinator) const;

 private:
  std::shared_ptr<const topic> ensure();

  topic_manager& topics_;
  append_notifier& appends_;
  std::int32_t partitions_;
  std::mutex create_mutex_;
};

// The coordinator's clock and timers: steady and system clocks, io_runtime::run_after.
std::shared_ptr<groups::scheduler> make_io_scheduler(net::io_runtime& runtime);

}  // namespace wharf::broker
