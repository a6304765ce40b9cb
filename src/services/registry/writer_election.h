// Which registry instance writes: every instance joins one Kafka consumer group
// subscribed to the registry's one-partition topic, and the member that Kafka assigns the
// partition to is the writer. The others find the writer's URL (its client.id) in the
// group's description and forward writes to it. Kafka's group coordinator does the
// choosing, so there is no consensus of our own; when the writer dies, its session times
// out and the partition, with the writing, moves to another member.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "kafka/client/cluster.h"

namespace wharf::registry {

struct election_options {
  std::string group_id = "schema-registry";
  std::string topic = "_schemas";
  std::string own_url;  // what other instances use to reach this one
  std::chrono::milliseconds session_timeout{10'000};
};

class writer_election {
 public:
  virtual ~writer_election() = default;

  static result<std::unique_ptr<writer_election>> start(kafka::client::cluster& kafka,
                                                        election_options options);

  // Whether this instance holds the partition now.
  virtual bool is_writer() const = 0;
  // Counts how often this instance became the writer (a new term needs a sync first).
  virtual std::uint64_t term() const = 0;
  // The writer's URL (ours when we write), waiting up to timeout for one to be known.
  // Blocks on Kafka: call from a worker thread.
  virtual std::optional<std::string> writer_url(std::chrono::milliseconds timeout) = 0;
  virtual void close() = 0;
};

}  // namespace wharf::registry
