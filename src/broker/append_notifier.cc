#include "broker/append_notifier.h"

#include <algorithm>

namespace wharf::broker {

void append_notifier::watch(const partition* p, const std::shared_ptr<waiter>& w) {
  std::lock_guard lock(mutex_);
  waiters_[p].push_back(w);
}

void append_notifier::notify(const partition* p, std::int64_t bytes) {
  std::vector<std::shared_ptr<waiter>> ready;
  {
    std::lock_guard lock(mutex_);
    auto it = waiters_.find(p);
    if (it == waiters_.end()) return;
    auto& list = it->second;
    for (auto& weak : list) {
      auto w = weak.lock();
      if (!w || w->done) continue;
      auto seen = w->bytes_seen.fetch_add(bytes) + bytes;
      if (seen >= w->bytes_needed) ready.push_back(std::move(w));
    }
    std::erase_if(list, [](const std::weak_ptr<waiter>& weak) {
      auto w = weak.lock();
      return !w || w->done;
    });
    if (list.empty()) waiters_.erase(it);
  }
  for (auto& w : ready) {
    if (w->claim()) w->complete();
  }
}

void append_notifier::forget(const std::vector<const partition*>& partitions,
                             const std::shared_ptr<waiter>& w) {
  std::lock_guard lock(mutex_);
  for (const auto* p : partitions) {
    auto it = waiters_.find(p);
    if (it == waiters_.end()) continue;
    std::erase_if(it->second, [&](const std::weak_ptr<waiter>& weak) {
      auto other = weak.lock();
      return !other || other == w;
    });
    if (it->second.empty()) waiters_.erase(it);
  }
}

}  // namespace wharf::broker
