#include "services/rest_proxy/metadata_cache.h"

#include "base/logging.h"

namespace wharf::rest_proxy {

namespace kc = kafka::client;

void metadata_cache::get(std::optional<std::string> need_topic, callback done) {
  auto now = std::chrono::steady_clock::now();
  metadata_snapshot current;
  {
    std::lock_guard lock(mutex_);
    if (snapshot_ && now - fetched_at_ < max_age_ &&
        (!need_topic || snapshot_->topic(*need_topic) != nullptr)) {
      current = snapshot_;
    }
  }
  if (current) {
    done(std::move(current));
    return;
  }
  get_fresh(now, std::move(done));
}

void metadata_cache::get_fresh(std::chrono::steady_clock::time_point asked_at, callback done) {
  std::lock_guard lock(mutex_);
  waiters_.push_back({asked_at, std::move(done)});
  if (!refreshing_) start_refresh_locked();
}

void metadata_cache::invalidate() {
  std::lock_guard lock(mutex_);
  snapshot_.reset();
}

void metadata_cache::start_refresh_locked() {
  refreshing_ = true;
  refresh_started_at_ = std::chrono::steady_clock::now();
  workers_.post([self = shared_from_this()] { self->on_refreshed(self->admin_.metadata()); });
}

void metadata_cache::on_refreshed(kc::result<kc::cluster_metadata> fetched) {
  std::vector<waiter> ready;
  kc::result<metadata_snapshot> outcome = metadata_snapshot{};
  {
    std::lock_guard lock(mutex_);
    auto started = refresh_started_at_;
    if (fetched.ok()) {
      snapshot_ = std::make_shared<const kc::cluster_metadata>(std::move(*fetched));
      fetched_at_ = started;
      outcome = snapshot_;
    } else {
      outcome = fetched.err();
    }
    // Waiters that asked before this refresh began get its answer; later ones need a
    // refresh that started after they asked.
    std::vector<waiter> later;
    for (auto& w : waiters_) {
      if (w.asked_at <= started) {
        ready.push_back(std::move(w));
      } else {
        later.push_back(std::move(w));
      }
    }
    waiters_ = std::move(later);
    refreshing_ = false;
    if (!waiters_.empty()) start_refresh_locked();
  }
  bool was_reachable = reachable_.exchange(fetched.ok());
  if (was_reachable != fetched.ok()) {
    auto log = logging::get("rest-proxy");
    if (fetched.ok()) {
      log->info("Kafka cluster reachable");
    } else {
      log->warn("Kafka cluster unreachable: {}", outcome.err().message());
    }
  }
  for (auto& w : ready) w.done(outcome);
}

bool metadata_cache::refresh_blocking() {
  auto started = std::chrono::steady_clock::now();
  auto fetched = admin_.metadata();
  std::lock_guard lock(mutex_);
  if (fetched.ok()) {
    snapshot_ = std::make_shared<const kc::cluster_metadata>(std::move(*fetched));
    fetched_at_ = started;
  }
  reachable_ = fetched.ok();
  return fetched.ok();
}

}  // namespace wharf::rest_proxy
