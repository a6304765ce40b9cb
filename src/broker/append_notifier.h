// Wakes parked fetches (long polls) when records are appended to a partition they watch.
// A waiter completes once enough bytes have arrived (min_bytes) or its timer fires,
// whichever comes first, exactly once.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace wharf::broker {

class partition;

class append_notifier {
 public:
  struct waiter {
    std::function<void()> complete;  // runs at most once
    std::int64_t bytes_needed = 1;
    std::atomic<std::int64_t> bytes_seen{0};
    std::atomic<bool> done{false};

    // True for the one caller that gets to complete it.
    bool claim() { return !done.exchange(true); }
  };

  void watch(const partition* p, const std::shared_ptr<waiter>& w);
  // Called after an append of `bytes` to p; completes waiters that have seen enough.
  void notify(const partition* p, std::int64_t bytes);
  // Drops bookkeeping for waiters that completed (called by the waiter's owner).
  void forget(const std::vector<const partition*>& partitions, const std::shared_ptr<waiter>& w);

 private:
  std::mutex mutex_;
  std::map<const partition*, std::vector<std::weak_ptr<waiter>>> waiters_;
};

}  // namespace wharf::broker
