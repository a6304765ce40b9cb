#include "kafka/client/worker_pool.h"

#include <pthread.h>

#include "base/logging.h"

namespace wharf::kafka::client {

worker_pool::worker_pool(std::size_t threads, std::string name) : name_(std::move(name)) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, i] {
      // Linux limits thread names to 15 characters.
      auto thread_name = (name_ + "-" + std::to_string(i)).substr(0, 15);
      pthread_setname_np(pthread_self(), thread_name.c_str());
      run_worker();
    });
  }
}

worker_pool::~worker_pool() { stop(); }

void worker_pool::post(task t) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    ready_.push_back(std::move(t));
  }
  wake_.notify_one();
}

void worker_pool::post_after(std::chrono::milliseconds delay, task t) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    timers_.push({std::chrono::steady_clock::now() + delay, next_sequence_++, std::move(t)});
  }
  // The earliest deadline may have changed: let a sleeping worker recompute its wait.
  wake_.notify_one();
}

std::size_t worker_pool::queued() const {
  std::lock_guard lock(mutex_);
  return ready_.size();
}

void worker_pool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    while (!timers_.empty()) timers_.pop();
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
  threads_.clear();
}

void worker_pool::run_worker() {
  std::unique_lock lock(mutex_);
  while (true) {
    auto now = std::chrono::steady_clock::now();
    while (!timers_.empty() && timers_.top().due <= now) {
      // priority_queue::top is const; the task is moved out just before pop.
      ready_.push_back(std::move(const_cast<delayed&>(timers_.top()).run));
      timers_.pop();
    }
    if (!ready_.empty()) {
      auto next = std::move(ready_.front());
      ready_.pop_front();
      lock.unlock();
      try {
        next();
      } catch (const std::exception& e) {
        // A task must not take a worker down with it.
        logging::get("kafka-client")->error("{} task threw: {}", name_, e.what());
      }
      lock.lock();
      continue;
    }
    if (stopping_) return;
    if (timers_.empty()) {
      wake_.wait(lock);
    } else {
      // A copy: wait_until reads its deadline again after waking, and a post_after on
      // another thread may have reallocated the heap meanwhile.
      auto next_due = timers_.top().due;
      wake_.wait_until(lock, next_due);
    }
  }
}

void serial_queue::post(worker_pool::task t) {
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(t));
    if (!running_) {
      running_ = true;
      start = true;
    }
  }
  if (start) {
    pool_.post([self = shared_from_this()] { self->run_next(); });
  }
}

void serial_queue::post_after(std::chrono::milliseconds delay, worker_pool::task t) {
  pool_.post_after(
      delay, [self = shared_from_this(), t = std::move(t)]() mutable { self->post(std::move(t)); });
}

void serial_queue::run_next() {
  worker_pool::task next;
  {
    std::lock_guard lock(mutex_);
    next = std::move(pending_.front());
    pending_.pop_front();
  }
  try {
    next();
  } catch (const std::exception& e) {
    logging::get("kafka-client")->error("serial task threw: {}", e.what());
  }
  bool more = false;
  {
    std::lock_guard lock(mutex_);
    more = !pending_.empty();
    if (!more) running_ = false;
  }
  // One task per turn, so a busy queue does not starve the others on the pool.
  if (more) pool_.post([self = shared_from_this()] { self->run_next(); });
}

}  // namespace wharf::kafka::client
