// A one-partition compacted topic used as a service's table of state (schemas, trigger
// and rule definitions): a reader thread applies every record from the start, and a
// write returns once this instance's reader has applied it, so what a caller wrote is
// what its next read sees, and what other instances wrote arrives the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wharf::kafka::client {

class cluster;

struct log_entry {
  std::string key;
  std::optional<std::string> value;  // nullopt: a tombstone
};

struct compacted_log_options {
  std::string topic;
  std::string client_id = "wharf";
  std::chrono::milliseconds timeout{10'000};  // to create the topic, write, or catch up
  // Applies one record, on the reader thread, in offset order.
  std::function<void(const log_entry& entry, std::int64_t offset)> apply;
};

class compacted_log {
 public:
  virtual ~compacted_log() = default;

  // Creates the topic if missing (one partition, compacted, replicated up to three
  // times) and reads it; returns once everything it held at the call is applied.
  static wharf::result<std::unique_ptr<compacted_log>> open(cluster& kafka,
                                                            compacted_log_options options);

  // Writes the entries in order and waits until the reader has applied the last one.
  // Callers that decide what to write from the applied state serialise through
  // write_lock() around the decision and the write.
  virtual wharf::status write(const std::vector<log_entry>& entries) = 0;
  virtual std::unique_lock<std::mutex> write_lock() = 0;

  // Records applied and the offset of the next one.
  virtual std::int64_t applied_offset() const = 0;
  virtual void close() = 0;
};

}  // namespace wharf::kafka::client
