// Threads that run blocking librdkafka calls (metadata, admin requests, consumer polls and
// commits) so that no I/O thread ever waits on Kafka. Tasks may be delayed, and a
// serial_queue runs its tasks one at a time in order, as a strand does.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

namespace wharf::kafka::client {

class worker_pool {
 public:
  using task = std::function<void()>;

  worker_pool(std::size_t threads, std::string name);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Runs task on a worker thread. After stop() tasks are dropped.
  void post(task t);
  // Runs task on a worker thread once delay has passed (not before).
  void post_after(std::chrono::milliseconds delay, task t);

  // Runs what is already queued (delayed tasks are dropped), then joins the threads.
  void stop();

  std::size_t thread_count() const { return threads_.size(); }
  // Tasks waiting for a thread (not counting delayed ones whose time has not come).
  std::size_t queued() const;

 private:
  struct delayed {
    std::chrono::steady_clock::time_point due;
    std::uint64_t sequence;  // keeps equal due times in posting order
    task run;
    bool operator>(const delayed& other) const {
      return due != other.due ? due > other.due : sequence > other.sequence;
    }
  };

  void run_worker();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<task> ready_;
  std::priority_queue<delayed, std::vector<delayed>, std::greater<>> timers_;
  std::uint64_t next_sequence_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::string name_;
};

// Runs posted tasks one at a time, in posting order, on a pool's threads: the
// operations of one consumer instance go through one of these.
class serial_queue : public std::enable_shared_from_this<serial_queue> {
 public:
  explicit serial_queue(worker_pool& pool) : pool_(pool) {}

  void post(worker_pool::task t);
  void post_after(std::chrono::milliseconds delay, worker_pool::task t);

 private:
  void run_next();

  worker_pool& pool_;
  std::mutex mutex_;
  std::deque<worker_pool::task> pending_;
  bool running_ = false;
};

}  // namespace wharf::kafka::client
