// The shared producer every integration service sends records through. produce() never
// blocks: it queues the record in librdkafka and returns; the delivery report arrives
// later on the producer's own poll thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "kafka/client/errors.h"
#include "kafka/client/types.h"

namespace wharf::kafka::client {

class producer {
 public:
  virtual ~producer() = default;

  // Called exactly once per accepted record, on the producer's poll thread: keep it short
  // (post heavier work elsewhere).
  using delivery_callback = std::function<void(result<delivery_report>)>;

  // Queues a record. Fails at once, without calling on_delivery, when the bytes in flight
  // would exceed the producer's budget (codes::local_queue_full: the caller should answer
  // "try again later") or librdkafka refuses the record (unknown partition, too large).
  virtual status produce(outgoing_record record, delivery_callback on_delivery) = 0;

  // Payload bytes queued or in flight, not yet reported.
  virtual std::uint64_t in_flight_bytes() const = 0;
  virtual std::uint64_t max_in_flight_bytes() const = 0;

  // Waits until every queued record is reported or the timeout passes. Blocks: for
  // shutdown and tests only.
  virtual status flush(std::chrono::milliseconds timeout) = 0;
};

}  // namespace wharf::kafka::client
