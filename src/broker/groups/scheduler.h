// The clock and timers the group coordinator runs on. The broker gives it the I/O
// runtime's timers and the system clocks; unit tests give it a manual clock they advance
// by hand, so session and rebalance timeouts can be tested without sleeping.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace wharf::broker::groups {

class scheduler {
 public:
  class timer {
   public:
    virtual ~timer() = default;
    // True if the callback had not run yet and now never will.
    virtual bool cancel() = 0;
  };

  virtual ~scheduler() = default;
  // Milliseconds on a clock that never goes back, for timeouts.
  virtual std::int64_t now_ms() = 0;
  // Milliseconds since the Unix epoch, for the timestamps written to the log.
  virtual std::int64_t wall_ms() = 0;
  // Runs fn once after delay_ms, on some thread, unless cancelled first.
  virtual std::shared_ptr<timer> schedule(std::int64_t delay_ms, std::function<void()> fn) = 0;
};

}  // namespace wharf::broker::groups
