// A consumer (one librdkafka consumer handle) as a REST consumer instance or a service
// uses it: subscribe or assign, seek, poll, commit. Calls block (poll up to its timeout,
// commit and committed until the coordinator answers): run them on a worker thread, and
// only one at a time per consumer (a serial_queue).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kafka/client/errors.h"
#include "kafka/client/types.h"

namespace wharf::kafka::client {

struct consumer_options {
  std::string group_id;
  std::string client_id = "wharf";
  std::string auto_offset_reset = "latest";  // earliest, latest, or none (error)
  bool auto_commit = true;                   // commit stored offsets every 5 s
  // Any other librdkafka consumer property ("session.timeout.ms", ...).
  std::map<std::string, std::string> properties;
  // Group rebalances, called from inside poll(). on_assign sees the partitions this
  // consumer gets, each with offset -1001 (start at the committed offset, else as
  // auto_offset_reset says), and may set where each starts. on_revoke runs before
  // partitions go to another member.
  std::function<void(std::vector<partition_offset>& assigned)> on_assign;
  std::function<void(const std::vector<topic_partition>& revoked)> on_revoke;
};

class consumer {
 public:
  virtual ~consumer() = default;

  // Topic names; a name starting with '^' is a regular expression (librdkafka's rule).
  virtual status subscribe(const std::vector<std::string>& topics) = 0;
  virtual status unsubscribe() = 0;
  virtual result<std::vector<std::string>> subscription() = 0;

  virtual status assign(const std::vector<topic_partition>& partitions) = 0;
  virtual result<std::vector<topic_partition>> assignment() = 0;

  // Stops and restarts fetching from assigned partitions (records already fetched still
  // come out of poll until drained).
  virtual status pause(const std::vector<topic_partition>& partitions) = 0;
  virtual status resume(const std::vector<topic_partition>& partitions) = 0;

  // offset may be offset_beginning or offset_end. Partitions must be assigned.
  virtual status seek(const std::vector<partition_offset>& positions) = 0;

  // The next record, or nullopt if none arrives within timeout (0: only what is already
  // fetched). Serves rebalances. Records are not marked consumed until store_offsets.
  virtual result<std::optional<consumed_record>> poll(std::chrono::milliseconds timeout) = 0;

  // Marks records up to (not including) each offset as consumed: a commit without
  // explicit offsets, and auto-commit, commit these.
  virtual status store_offsets(const std::vector<partition_offset>& next_offsets) = 0;
  // Commits the given offsets (the next offset to read), or the stored ones if empty.
  virtual status commit(const std::vector<partition_offset>& offsets) = 0;
  // Committed offsets (-1001 where there is none).
  virtual result<std::vector<partition_offset>> committed(
      const std::vector<topic_partition>& partitions, std::chrono::milliseconds timeout) = 0;
  // The offset of the next record poll would return, per partition (-1001 if unknown).
  virtual result<std::vector<partition_offset>> positions(
      const std::vector<topic_partition>& partitions) = 0;

  // Called from a librdkafka thread when records or events arrive on an empty queue, so
  // a waiting reader can poll again instead of sleeping out its timeout. Set it once,
  // before the first poll.
  virtual void set_wakeup(std::function<void()> wakeup) = 0;

  // Leaves the group (committing first if auto-commit is on). Blocks up to the session
  // timeout. Later calls fail with codes::local_state.
  virtual status close() = 0;
};

}  // namespace wharf::kafka::client
