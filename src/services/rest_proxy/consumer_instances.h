// REST consumer instances (v2 /consumers/{group}/instances/{name}): each owns one Kafka
// consumer whose calls run one at a time on a serial queue over the Kafka client's
// workers. Record reads wait without holding a thread: they park until librdkafka
// signals new records or their timeout passes. Idle instances expire and are closed.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kafka/client/cluster.h"
#include "services/rest_proxy/api_errors.h"
#include "services/rest_proxy/formats.h"

namespace wharf::rest_proxy {

struct consumer_settings {
  std::string group;
  std::string name;
  std::string owner;  // the principal that created it (empty without authentication)
  embedded_format format = embedded_format::binary;
  std::string auto_offset_reset = "latest";
  bool auto_commit = true;
  std::optional<std::int64_t> fetch_min_bytes;               // -1: wait for the timeout
  std::optional<std::chrono::milliseconds> request_timeout;  // default for reads
};

struct consumer_limits {
  std::chrono::milliseconds instance_timeout{300'000};  // consumer.instance.timeout.ms
  std::chrono::milliseconds request_timeout{1'000};     // consumer.request.timeout.ms
  std::uint64_t request_max_bytes = 64ull << 20;        // consumer.request.max.bytes
  std::int64_t fetch_min_bytes = -1;                    // fetch.min.bytes (of the proxy)
  std::size_t max_instances = 100;
};

// How a consumer takes its partitions; Kafka's consumers allow one way at a time.
enum class subscription_mode { none, topics, pattern, manual };

class consumer_instance : public std::enable_shared_from_this<consumer_instance> {
 public:
  consumer_instance(consumer_settings settings, std::unique_ptr<kafka::client::consumer> consumer,
                    kafka::client::worker_pool& workers);

  const std::string& group() const { return settings_.group; }
  const std::string& name() const { return settings_.name; }
  embedded_format format() const { return settings_.format; }
  const consumer_settings& settings() const { return settings_; }

  // State that only operations running on the instance's queue may touch.
  struct session {
    kafka::client::consumer& consumer;
    subscription_mode& mode;
    std::vector<std::string>& subscribed_topics;
    // Records read from Kafka but not yet given to a client (they did not fit in the last
    // response); a seek, assign or subscription change makes them stale.
    std::deque<kafka::client::consumed_record>& held_back;
  };

  // Runs op on the instance's queue; if the instance was deleted or expired meanwhile,
  // runs gone instead.
  void run(std::function<void(session&)> op, std::function<void()> gone);

  struct read_limits {
    std::chrono::milliseconds timeout;
    std::size_t max_bytes;
    std::int64_t min_bytes;  // answer once more than this many bytes are in; -1: never
  };
  using read_callback =
      std::function<void(api_result<std::vector<kafka::client::consumed_record>>)>;
  // Reads records; reads of one instance are answered one after the other.
  void read(read_limits limits, read_callback done);

  // Closes the consumer on the queue (leaving its group); pending reads and later
  // operations answer "not found". done runs after the close.
  void close(std::function<void()> done);

  void touch() { last_used_ = now_ms(); }
  std::chrono::milliseconds idle_for() const {
    return std::chrono::milliseconds(now_ms() - last_used_.load());
  }
  bool closed() const { return closed_; }

 private:
  struct pending_read {
    std::uint64_t id;
    std::chrono::steady_clock::time_point deadline;
    read_limits limits;
    read_callback done;
    std::vector<kafka::client::consumed_record> records;
    std::size_t bytes = 0;
    bool timer_set = false;
  };

  static std::int64_t now_ms();
  void on_wakeup();
  void step();
  void finish_front(api_result<std::vector<kafka::client::consumed_record>> outcome);

  consumer_settings settings_;
  std::unique_ptr<kafka::client::consumer> consumer_;
  std::shared_ptr<kafka::client::serial_queue> queue_;
  std::atomic<std::int64_t> last_used_;
  std::atomic<bool> closed_{false};

  // Touched only on the queue.
  subscription_mode mode_ = subscription_mode::none;
  std::vector<std::string> subscribed_topics_;
  std::deque<kafka::client::consumed_record> held_back_;
  std::deque<pending_read> reads_;
  std::uint64_t next_read_id_ = 0;
  bool consumer_wakeup_set_ = false;

  // Hand-off between librdkafka's wakeups and a parked read.
  std::atomic<bool> parked_{false};
  std::atomic<bool> wake_pending_{false};
};

class consumer_registry : public std::enable_shared_from_this<consumer_registry> {
 public:
  consumer_registry(kafka::client::cluster& cluster, consumer_limits limits)
      : cluster_(cluster), limits_(limits) {}

  const consumer_limits& limits() const { return limits_; }

  // Creates the instance (40902 if the name is taken in the group, 42901 past the limit).
  api_result<std::shared_ptr<consumer_instance>> create(consumer_settings settings);
  // The instance, marked as used now; nullptr if there is none.
  std::shared_ptr<consumer_instance> find(const std::string& group, const std::string& name);
  // Removes and closes the instance; false if there was none.
  bool remove(const std::string& group, const std::string& name);
  std::size_t size() const;

  // Starts the periodic expiry of idle instances.
  void start_expiry();
  // Closes every instance, waiting up to timeout (shutdown).
  void close_all(std::chrono::milliseconds timeout);

 private:
  void expire_idle();

  kafka::client::cluster& cluster_;
  const consumer_limits limits_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<consumer_instance>> instances_;
  bool stopping_ = false;
};

}  // namespace wharf::rest_proxy
