#include "broker/fetch_sessions.h"

namespace wharf::broker {

std::shared_ptr<fetch_session> fetch_session_cache::create() {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (sessions_.size() >= max_sessions_) {
    auto oldest = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (oldest == sessions_.end() || it->second->last_used < oldest->second->last_used)
        oldest = it;
    }
    if (oldest == sessions_.end() || now - oldest->second->last_used < std::chrono::minutes(1)) {
      return nullptr;
    }
    sessions_.erase(oldest);
  }
  auto session = std::make_shared<fetch_session>();
  do {
    session->id = next_id_++;
    if (next_id_ <= 0) next_id_ = 1;
  } while (sessions_.count(session->id));
  session->last_used = now;
  sessions_[session->id] = session;
  return session;
}

std::shared_ptr<fetch_session> fetch_session_cache::find(std::int32_t id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  it->second->last_used = std::chrono::steady_clock::now();
  return it->second;
}

void fetch_session_cache::remove(std::int32_t id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

std::size_t fetch_session_cache::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace wharf::broker
