// Fetch sessions (KIP-227): a consumer sends its full partition list once, then only the
// changes; the broker remembers the list and answers with only the partitions that have
// something new. Sessions are evicted least-recently-used when the cache is full, and a
// client whose session is gone falls back to a full fetch, as the protocol intends.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kafka/protocol/codec.h"

namespace wharf::broker {

struct session_partition {
  std::string topic;  // name (requests before v13)
  kafka::protocol::uuid topic_id{};
  std::int32_t partition = 0;
  std::int64_t fetch_offset = 0;
  std::int32_t max_bytes = 0;
  // What the client last heard, so unchanged partitions can be left out.
  std::int64_t sent_high_watermark = -1;
  std::int64_t sent_log_start_offset = -1;
};

struct fetch_session {
  std::int32_t id = 0;
  std::int32_t next_epoch = 1;
  std::vector<session_partition> partitions;
  std::chrono::steady_clock::time_point last_used;
  std::mutex mutex;  // one request of a session at a time
};

class fetch_session_cache {
 public:
  explicit fetch_session_cache(std::size_t max_sessions = 1000) : max_sessions_(max_sessions) {}

  // A new session, or nullptr when the cache is full of sessions used in the last minute
  // (the client then fetches sessionless).
  std::shared_ptr<fetch_session> create();
  std::shared_ptr<fetch_session> find(std::int32_t id);
  void remove(std::int32_t id);
  std::size_t size() const;

 private:
  std::size_t max_sessions_;
  mutable std::mutex mutex_;
  std::int32_t next_id_ = 1;
  std::map<std::int32_t, std::shared_ptr<fetch_session>> sessions_;
};

}  // namespace wharf::broker
