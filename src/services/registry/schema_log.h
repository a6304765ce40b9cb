// The registry's storage: the `_schemas` topic read from its start into a schema_store by
// a reader thread, and written through the shared producer. A write returns once this
// instance's reader has applied it, so a registration answered is a registration every
// later read here sees (Confluent's KafkaStore works the same way).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/client/cluster.h"
#include "services/registry/schema_store.h"

namespace wharf::registry {

struct schema_log_options {
  std::string topic = "_schemas";
  std::chrono::milliseconds timeout{10'000};  // to create the topic, write, or catch up
};

class schema_log {
 public:
  virtual ~schema_log() = default;

  // Creates the topic if missing (one partition, compacted) and starts reading it.
  // Blocks until the reader has caught up with what the topic held at start, or fails.
  static result<std::unique_ptr<schema_log>> open(kafka::client::cluster& kafka,
                                                  schema_log_options options);

  // Runs fn with the store, shared with other readers.
  virtual void read(const std::function<void(const schema_store&)>& fn) const = 0;

  // Writes the records in order and waits until the reader has applied the last one.
  // Callers that decide what to write from the store's state serialise through
  // write_lock() around the decision and the write.
  virtual status write(const std::vector<log_record>& records) = 0;
  // Writes a marker and waits for it: afterwards the store holds everything written
  // before the call, by any instance.
  virtual status sync() = 0;
  virtual std::unique_lock<std::mutex> write_lock() = 0;

  // Records applied and the offset of the next one.
  virtual std::int64_t applied_offset() const = 0;
  virtual void close() = 0;
};

}  // namespace wharf::registry
