#include "services/rest_proxy/consumer_instances.h"

#include <fmt/format.h>

#include <future>
#include <map>

#include "base/logging.h"
#include "services/rest_proxy/records.h"

namespace wharf::rest_proxy {

namespace kc = kafka::client;

consumer_instance::consumer_instance(consumer_settings settings,
                                     std::unique_ptr<kc::consumer> consumer,
                                     kc::worker_pool& workers)
    : settings_(std::move(settings)),
      consumer_(std::move(consumer)),
      queue_(std::make_shared<kc::serial_queue>(workers)),
      last_used_(now_ms()) {}

std::int64_t consumer_instance::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void consumer_instance::run(std::function<void(session&)> op, std::function<void()> gone) {
  touch();
  queue_->post([self = shared_from_this(), op = std::move(op), gone = std::move(gone)] {
    if (self->closed_) {
      gone();
      return;
    }
    session s{*self->consumer_, self->mode_, self->subscribed_topics_, self->held_back_};
    op(s);
    self->touch();
  });
}

void consumer_instance::read(read_limits limits, read_callback done) {
  touch();
  queue_->post([self = shared_from_this(), limits, done = std::move(done)]() mutable {
    if (self->closed_) {
      done(api_error{error_codes::consumer_instance_not_found, "Consumer instance not found."});
      return;
    }
    if (!self->consumer_wakeup_set_) {
      // Set once, on the queue: wakeups only ever schedule a step.
      std::weak_ptr<consumer_instance> weak = self;
      self->consumer_->set_wakeup([weak] {
        if (auto s = weak.lock()) s->on_wakeup();
      });
      self->consumer_wakeup_set_ = true;
    }
    pending_read r;
    r.id = self->next_read_id_++;
    r.deadline = std::chrono::steady_clock::now() + limits.timeout;
    r.limits = limits;
    r.done = std::move(done);
    self->reads_.push_back(std::move(r));
    if (self->reads_.size() == 1) self->step();
  });
}

void consumer_instance::on_wakeup() {
  wake_pending_ = true;
  if (parked_.exchange(false)) queue_->post([self = shared_from_this()] { self->step(); });
}

void consumer_instance::step() {
  if (reads_.empty()) return;
  if (closed_) {
    finish_front(
        api_error{error_codes::consumer_instance_not_found, "Consumer instance not found."});
    return;
  }
  parked_ = false;
  wake_pending_ = false;
  auto& r = reads_.front();
  bool enough = false;
  while (!enough) {
    std::optional<kc::consumed_record> next;
    if (!held_back_.empty()) {
      next = std::move(held_back_.front());
      held_back_.pop_front();
    } else {
      auto polled = consumer_->poll(std::chrono::milliseconds(0));
      if (!polled.ok()) {
        finish_front(from_kafka(polled.err()));
        return;
      }
      next = std::move(*polled);
    }
    if (!next) break;
    auto size = v2_record_size(*next, settings_.format);
    // A record that does not fit waits for the next read; the first one always goes,
    // so one record larger than max_bytes cannot block the consumer for ever.
    if (!r.records.empty() && r.bytes + size > r.limits.max_bytes) {
      held_back_.push_front(std::move(*next));
      enough = true;
      break;
    }
    r.bytes += size;
    r.records.push_back(std::move(*next));
    if (r.limits.min_bytes >= 0 && r.bytes > static_cast<std::uint64_t>(r.limits.min_bytes)) {
      enough = true;
    }
  }
  auto now = std::chrono::steady_clock::now();
  if (enough || now >= r.deadline) {
    finish_front(std::move(r.records));
    return;
  }
  if (!r.timer_set) {
    r.timer_set = true;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline - now) +
                std::chrono::milliseconds(1);
    queue_->post_after(wait, [self = shared_from_this(), id = r.id] {
      if (!self->reads_.empty() && self->reads_.front().id == id) self->step();
    });
  }
  parked_ = true;
  // A wakeup between the last poll and parking must not be lost.
  if (wake_pending_.exchange(false) && parked_.exchange(false)) {
    queue_->post([self = shared_from_this()] { self->step(); });
  }
}

void consumer_instance::finish_front(api_result<std::vector<kc::consumed_record>> outcome) {
  auto r = std::move(reads_.front());
  reads_.pop_front();
  parked_ = false;
  if (outcome.ok() && !outcome->empty() && !closed_) {
    // What the client now has counts as consumed: commits without offsets commit it.
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> next_offsets;
    for (const auto& rec : *outcome) {
      auto& next = next_offsets[{rec.topic, rec.partition}];
      next = std::max(next, rec.offset + 1);
    }
    std::vector<kc::partition_offset> offsets;
    for (const auto& [tp, offset] : next_offsets) offsets.push_back({tp.first, tp.second, offset});
    if (auto stored = consumer_->store_offsets(offsets); !stored.ok()) {
      // A partition revoked meanwhile: its records were delivered, just not committed.
      logging::get("rest-proxy")
          ->debug("consumer {}/{}: storing offsets: {}", settings_.group, settings_.name,
                  stored.err().message());
    }
  }
  touch();
  r.done(std::move(outcome));
  if (!reads_.empty()) queue_->post([self = shared_from_this()] { self->step(); });
}

void consumer_instance::close(std::function<void()> done) {
  queue_->post([self = shared_from_this(), done = std::move(done)] {
    if (!self->closed_.exchange(true)) {
      while (!self->reads_.empty()) {
        self->finish_front(
            api_error{error_codes::consumer_instance_not_found, "Consumer instance not found."});
      }
      if (auto closed = self->consumer_->close(); !closed.ok()) {
        logging::get("rest-proxy")
            ->warn("consumer {}/{}: close: {}", self->settings_.group, self->settings_.name,
                   closed.err().message());
      }
      self->held_back_.clear();
      // Destroying the handle joins librdkafka's threads: do it here on a worker, not
      // wherever the last reference happens to be dropped.
      self->consumer_.reset();
    }
    if (done) done();
  });
}

api_result<std::shared_ptr<consumer_instance>> consumer_registry::create(
    consumer_settings settings) {
  std::lock_guard lock(mutex_);
  if (stopping_) {
    return api_error{error_codes::broker_not_available, "The REST Proxy is shutting down."};
  }
  auto key = std::make_pair(settings.group, settings.name);
  if (instances_.count(key)) {
    return api_error{error_codes::consumer_already_exists,
                     "Consumer with specified consumer ID already exists in the specified "
                     "consumer group."};
  }
  if (instances_.size() >= limits_.max_instances) {
    return api_error{error_codes::too_many_requests,
                     fmt::format("Too many consumer instances: this REST Proxy serves at most {} "
                                 "(rest_proxy.max_consumer_instances); delete unused ones",
                                 limits_.max_instances)};
  }
  kc::consumer_options options;
  options.group_id = settings.group;
  options.client_id = settings.name;
  options.auto_offset_reset = settings.auto_offset_reset;
  options.auto_commit = settings.auto_commit;
  auto consumer = cluster_.new_consumer(options);
  if (!consumer.ok()) {
    return api_error{error_codes::invalid_consumer_config,
                     "Invalid consumer configuration: " + consumer.err().message()};
  }
  auto instance = std::make_shared<consumer_instance>(std::move(settings), std::move(*consumer),
                                                      cluster_.workers());
  instances_[key] = instance;
  return instance;
}

std::shared_ptr<consumer_instance> consumer_registry::find(const std::string& group,
                                                           const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = instances_.find({group, name});
  if (it == instances_.end()) return nullptr;
  it->second->touch();
  return it->second;
}

bool consumer_registry::remove(const std::string& group, const std::string& name) {
  std::shared_ptr<consumer_instance> instance;
  {
    std::lock_guard lock(mutex_);
    auto it = instances_.find({group, name});
    if (it == instances_.end()) return false;
    instance = std::move(it->second);
    instances_.erase(it);
  }
  instance->close(nullptr);
  return true;
}

std::size_t consumer_registry::size() const {
  std::lock_guard lock(mutex_);
  return instances_.size();
}

void consumer_registry::start_expiry() {
  // Often enough that an instance outlives its timeout by at most a quarter of it.
  auto interval = std::clamp(limits_.instance_timeout / 4, std::chrono::milliseconds(100),
                             std::chrono::milliseconds(5'000));
  std::weak_ptr<consumer_registry> weak = shared_from_this();
  cluster_.workers().post_after(interval, [weak] {
    if (auto self = weak.lock()) {
      self->expire_idle();
      bool stopping = false;
      {
        std::lock_guard lock(self->mutex_);
        stopping = self->stopping_;
      }
      if (!stopping) self->start_expiry();
    }
  });
}

void consumer_registry::expire_idle() {
  std::vector<std::shared_ptr<consumer_instance>> expired;
  {
    std::lock_guard lock(mutex_);
    for (auto it = instances_.begin(); it != instances_.end();) {
      if (it->second->idle_for() >= limits_.instance_timeout) {
        expired.push_back(std::move(it->second));
        it = instances_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& instance : expired) {
    logging::get("rest-proxy")
        ->info("consumer instance {}/{} expired after {} ms idle; closing it", instance->group(),
               instance->name(), instance->idle_for().count());
    instance->close(nullptr);
  }
}

void consumer_registry::close_all(std::chrono::milliseconds timeout) {
  std::vector<std::shared_ptr<consumer_instance>> all;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [key, instance] : instances_) all.push_back(std::move(instance));
    instances_.clear();
  }
  if (all.empty()) return;
  auto remaining = std::make_shared<std::atomic<std::size_t>>(all.size());
  auto finished = std::make_shared<std::promise<void>>();
  for (auto& instance : all) {
    instance->close([remaining, finished] {
      if (--*remaining == 0) finished->set_value();
    });
  }
  if (finished->get_future().wait_for(timeout) != std::future_status::ready) {
    logging::get("rest-proxy")
        ->warn("some consumer instances did not close within {} ms", timeout.count());
  }
}

}  // namespace wharf::rest_proxy
