// The cluster's metadata as the REST Proxy last saw it. Produce requests check topics and
// partitions against it without a round trip; a topic missing from it triggers one
// refresh (shared by every request waiting for it) before the answer is "not found".
// Refreshes run on the Kafka client's workers; callbacks run there or inline.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kafka/client/admin.h"
#include "kafka/client/worker_pool.h"

namespace wharf::rest_proxy {

using metadata_snapshot = std::shared_ptr<const kafka::client::cluster_metadata>;

class metadata_cache : public std::enable_shared_from_this<metadata_cache> {
 public:
  using callback = std::function<void(kafka::client::result<metadata_snapshot>)>;

  metadata_cache(kafka::client::admin& admin, kafka::client::worker_pool& workers,
                 std::chrono::milliseconds max_age)
      : admin_(admin), workers_(workers), max_age_(max_age) {}

  // Metadata no older than max_age that, if need_topic is given, contains it (or, if it
  // does not, that was fetched after this call).
  void get(std::optional<std::string> need_topic, callback done);
  // Metadata fetched after this call.
  void refresh(callback done) { get_fresh(std::chrono::steady_clock::now(), std::move(done)); }
  // Forget the snapshot (after creating or deleting a topic).
  void invalidate();

  // Whether the last refresh reached the cluster.
  bool reachable() const { return reachable_.load(); }
  // Fetches once now, blocking (start-up only).
  bool refresh_blocking();

 private:
  struct waiter {
    std::chrono::steady_clock::time_point asked_at;
    callback done;
  };
  void get_fresh(std::chrono::steady_clock::time_point asked_at, callback done);
  void start_refresh_locked();
  void on_refreshed(kafka::client::result<kafka::client::cluster_metadata> fetched);

  kafka::client::admin& admin_;
  kafka::client::worker_pool& workers_;
  const std::chrono::milliseconds max_age_;

  std::mutex mutex_;
  metadata_snapshot snapshot_;
  std::chrono::steady_clock::time_point fetched_at_{};  // when the snapshot's request began
  bool refreshing_ = false;
  std::chrono::steady_clock::time_point refresh_started_at_{};
  std::vector<waiter> waiters_;
  std::atomic<bool> reachable_{false};
};

}  // namespace wharf::rest_proxy
