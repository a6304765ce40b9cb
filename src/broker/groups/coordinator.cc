#include "broker/groups/coordinator.h"

#include <sys/random.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <random>

#include "base/bytes.h"
#include "base/logging.h"
#include "base/uuid.h"
#include "broker/groups/group_records.h"
#include "kafka/protocol/generated/consumer_protocol_subscription.h"

namespace wharf::broker::groups {

namespace {

constexpr const char* consumer_protocol_type = "consumer";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const char* state_name(group_state state) {
  switch (state) {
    case group_state::empty: return "Empty";
    case group_state::preparing_rebalance: return "PreparingRebalance";
    case group_state::completing_rebalance: return "CompletingRebalance";
    case group_state::stable: return "Stable";
    case group_state::dead: return "Dead";
  }
  return "Unknown";
}

std::optional<group_state> parse_state_name(std::string_view name) {
  auto wanted = lower(name);
  for (auto s : {group_state::empty, group_state::preparing_rebalance,
                 group_state::completing_rebalance, group_state::stable, group_state::dead}) {
    if (lower(state_name(s)) == wanted) return s;
  }
  return std::nullopt;
}

// --- the state of a group ---------------------------------------------------------------

namespace {

struct member_state {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  std::int32_t rebalance_timeout_ms = 0;
  std::int32_t session_timeout_ms = 0;
  std::vector<protocol_metadata> protocols;
  std::string assignment;
  group_coordinator::join_callback awaiting_join;
  group_coordinator::sync_callback awaiting_sync;
  bool is_new = false;
  std::int64_t join_started_ms = 0;
  std::int64_t last_heartbeat_ms = 0;
  // One expiry timer at a time: a heartbeat only moves last_heartbeat_ms, and the timer
  // re-arms itself for the later deadline when it fires.
  std::shared_ptr<scheduler::timer> timer;
  std::int64_t timer_at_ms = -1;
  std::uint64_t timer_seq = 0;

  const std::string* metadata_for(const std::string& protocol) const {
    for (const auto& p : protocols) {
      if (p.name == protocol) return &p.metadata;
    }
    return nullptr;
  }

  bool matches(const std::vector<protocol_metadata>& other) const {
    if (other.size() != protocols.size()) return false;
    for (std::size_t i = 0; i < other.size(); ++i) {
      if (other[i].name != protocols[i].name || other[i].metadata != protocols[i].metadata) {
        return false;
      }
    }
    return true;
  }
};

struct offset_entry {
  offset_commit_value value;
  // Order of the commits of the group in its log partition: a transactional commit that
  // materializes later must not replace a newer plain commit.
  std::uint64_t sequence = 0;
};

}  // namespace

struct group_coordinator::group {
  explicit group(std::string group_id) : id(std::move(group_id)) {}

  std::mutex mutex;
  const std::string id;
  std::weak_ptr<group> weak_self;
  group_state state = group_state::empty;
  std::int64_t state_timestamp_ms = -1;  // wall clock, when state last changed
  std::int32_t generation = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader;
  std::map<std::string, std::unique_ptr<member_state>> members;
  std::map<std::string, std::string> static_members;  // group instance id -> member id
  // Members told MEMBER_ID_REQUIRED, until they join with their id or time out.
  std::map<std::string, std::shared_ptr<scheduler::timer>> pending_members;
  // Members of this generation that have not sent SyncGroup yet.
  std::set<std::string> pending_sync;
  bool new_member_added = false;
  // Topics the members subscribe to (consumer protocol); nullopt when unknown.
  std::optional<std::set<std::string>> subscribed_topics;

  std::shared_ptr<scheduler::timer> join_timer;
  std::uint64_t join_epoch = 0;
  bool join_is_initial_delay = false;
  std::int64_t initial_delay_ms = 0;
  std::int64_t initial_remaining_ms = 0;
  std::shared_ptr<scheduler::timer> sync_timer;
  std::uint64_t sync_epoch = 0;

  std::map<topic_partition, offset_entry> offsets;
  std::map<std::int64_t, std::map<topic_partition, offset_entry>> pending_transactional;
  std::uint64_t next_sequence = 1;

  member_state* get(const std::string& member_id) {
    auto it = members.find(member_id);
    return it == members.end() ? nullptr : it->second.get();
  }
  bool is_leader(const std::string& member_id) const { return leader && *leader == member_id; }

  bool all_members_joined() const {
    if (!pending_members.empty()) return false;
    for (const auto& [_, m] : members) {
      if (!m->awaiting_join) return false;
    }
    return true;
  }

  std::int32_t rebalance_timeout_ms() const {
    std::int32_t out = 0;
    for (const auto& [_, m] : members) out = std::max(out, m->rebalance_timeout_ms);
    return out;
  }

  bool has_pending_transactional(const topic_partition& tp) const {
    for (const auto& [_, staged] : pending_transactional) {
      if (staged.count(tp)) return true;
    }
    return false;
  }

  // Kafka's supportsProtocols: an empty group takes any non-empty protocol list; otherwise
  // the type must match and one of the protocols must be supported by every member.
  bool supports_protocols(const std::string& type,
                          const std::vector<protocol_metadata>& protocols) const {
    if (state == group_state::empty) return !type.empty() && !protocols.empty();
    if (!protocol_type || *protocol_type != type) return false;
    for (const auto& p : protocols) {
      std::size_t supporting = 0;
      for (const auto& [_, m] : members) {
        if (m->metadata_for(p.name)) ++supporting;
      }
      if (supporting == members.size()) return true;
    }
    return false;
  }

  // The protocol every member supports, picked by votes: each member votes for the first
  // candidate in its own preference order. Ties go to the leader's preference.
  std::string select_protocol() const {
    std::vector<std::string> candidates;
    const member_state* first = nullptr;
    if (leader) {
      auto it = members.find(*leader);
      if (it != members.end()) first = it->second.get();
    }
    if (!first && !members.empty()) first = members.begin()->second.get();
    if (!first) return "";
    for (const auto& p : first->protocols) {
      bool everyone = true;
      for (const auto& [_, m] : members) everyone = everyone && m->metadata_for(p.name);
      if (everyone) candidates.push_back(p.name);
    }
    if (candidates.empty()) return first->protocols.empty() ? "" : first->protocols[0].name;
    std::map<std::string, int> votes;
    for (const auto& [_, m] : members) {
      for (const auto& p : m->protocols) {
        if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
          ++votes[p.name];
          break;
        }
      }
    }
    std::string best = candidates.front();
    for (const auto& c : candidates) {
      if (votes[c] > votes[best]) best = c;
    }
    return best;
  }

  // Kafka's computeSubscribedTopics: the union of the consumer-protocol subscriptions;
  // nullopt (unknown, treated as "subscribed to everything") if one does not parse.
  std::optional<std::set<std::string>> compute_subscribed_topics() const {
    if (!protocol_type || *protocol_type != consumer_protocol_type) return std::nullopt;
    if (members.empty()) return std::set<std::string>{};
    if (!protocol_name) return std::nullopt;
    std::set<std::string> topics;
    for (const auto& [_, m] : members) {
      const auto* metadata = m->metadata_for(*protocol_name);
      if (!metadata) return std::nullopt;
      byte_reader in(*metadata);
      auto version = in.read_int16();
      if (!in.ok() || version < 0) return std::nullopt;
      kafka::protocol::consumer_protocol_subscription subscription;
      auto known = std::min<std::int16_t>(
          version, kafka::protocol::consumer_protocol_subscription::highest_version);
      if (!subscription.decode(in, known)) return std::nullopt;
      topics.insert(subscription.topics.begin(), subscription.topics.end());
    }
    return topics;
  }

  bool is_subscribed_to(const std::string& topic) const {
    return !subscribed_topics || subscribed_topics->count(topic) > 0;
  }

  std::vector<join_response::member> member_metadata() const {
    std::vector<join_response::member> out;
    for (const auto& [id, m] : members) {
      const auto* metadata = protocol_name ? m->metadata_for(*protocol_name) : nullptr;
      out.push_back({id, m->instance_id, metadata ? *metadata : std::string()});
    }
    return out;
  }

  // Empty, and nothing left that a client could read back: a group that can go.
  bool unused() const {
    return state == group_state::empty && members.empty() && pending_members.empty() &&
           offsets.empty() && pending_transactional.empty();
  }
};

// Callbacks to run once the group's mutex is released. Declare before the lock so its
// destructor runs after the lock's.
class group_coordinator::outbox {
 public:
  outbox() = default;
  outbox(const outbox&) = delete;
  outbox& operator=(const outbox&) = delete;
  ~outbox() {
    for (auto& fn : pending_) fn();
  }
  void join(join_callback cb, join_response response) {
    if (!cb) return;
    pending_.push_back(
        [cb = std::move(cb), r = std::move(response)]() mutable { cb(std::move(r)); });
  }
  void sync(sync_callback cb, sync_response response) {
    if (!cb) return;
    pending_.push_back(
        [cb = std::move(cb), r = std::move(response)]() mutable { cb(std::move(r)); });
  }

 private:
  std::vector<std::function<void()>> pending_;
};

namespace {

template <typename Callback>
Callback take(Callback& cb) {
  Callback out = std::move(cb);
  cb = nullptr;
  return out;
}

void transition(group_coordinator::group& g, group_state to, std::int64_t wall_ms) {
  g.state = to;
  g.state_timestamp_ms = wall_ms;
}

// Kafka's validateCurrentMember: a group instance id must map to this member id (another
// id means a newer instance fenced this one); a member id must be in the group.
std::optional<error_code> validate_current_member(group_coordinator::group& g,
                                                  const std::string& member_id,
                                                  const std::optional<std::string>& instance_id) {
  if (instance_id) {
    auto it = g.static_members.find(*instance_id);
    if (it == g.static_members.end()) return error_code::unknown_member_id;
    if (it->second != member_id) return error_code::fenced_instance_id;
    return std::nullopt;
  }
  if (!g.get(member_id)) return error_code::unknown_member_id;
  return std::nullopt;
}

std::shared_ptr<spdlog::logger> group_log_channel() { return logging::get("groups"); }

}  // namespace

// --- construction and lookup ------------------------------------------------------------

std::shared_ptr<group_coordinator> group_coordinator::create(coordinator_options options,
                                                             std::shared_ptr<scheduler> clock,
                                                             std::shared_ptr<group_log> log) {
  return std::shared_ptr<group_coordinator>(
      new group_coordinator(std::move(options), std::move(clock), std::move(log)));
}

group_coordinator::group_coordinator(coordinator_options options, std::shared_ptr<scheduler> clock,
                                     std::shared_ptr<group_log> log)
    : options_(std::move(options)),
      clock_(std::move(clock)),
      log_(std::move(log)),
      partitions_(std::max(log_->partition_count(), 1)) {}

group_coordinator::~group_coordinator() {
  for (auto& [_, g] : groups_) cancel_timers(*g);
}

std::int32_t group_coordinator::partition_for(std::string_view group_id) const {
  return partition_for_group(group_id, partitions_);
}

error_code group_coordinator::prepare() {
  if (stopped_) return error_code::not_coordinator;
  return log_->prepare();
}

std::shared_ptr<group_coordinator::group> group_coordinator::find(const std::string& id) const {
  std::shared_lock lock(groups_mutex_);
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : it->second;
}

std::shared_ptr<group_coordinator::group> group_coordinator::find_or_create(const std::string& id) {
  if (auto g = find(id)) return g;
  std::unique_lock lock(groups_mutex_);
  auto& slot = groups_[id];
  if (!slot) {
    slot = std::make_shared<group>(id);
    slot->weak_self = slot;
    slot->state_timestamp_ms = clock_->wall_ms();
  }
  return slot;
}

void group_coordinator::forget(const group& g) {
  std::unique_lock lock(groups_mutex_);
  auto it = groups_.find(g.id);
  if (it != groups_.end() && it->second.get() == &g) groups_.erase(it);
}

namespace {

// Locks the live group called id (creating it when asked), or returns nullptr. A group
// found dead has just been removed; the lookup is repeated.
template <typename Find>
auto lock_live(Find find, std::unique_lock<std::mutex>& lock) -> decltype(find()) {
  for (;;) {
    auto g = find();
    if (!g) return g;
    lock = std::unique_lock(g->mutex);
    if (g->state != group_state::dead) return g;
    lock.unlock();
  }
}

}  // namespace

void group_coordinator::cancel_timers(group& g) {
  for (auto& [_, m] : g.members) {
    if (m->timer) m->timer->cancel();
    m->timer.reset();
    m->timer_at_ms = -1;
  }
  for (auto& [_, t] : g.pending_members) {
    if (t) t->cancel();
  }
  if (g.join_timer) g.join_timer->cancel();
  g.join_timer.reset();
  ++g.join_epoch;
  if (g.sync_timer) g.sync_timer->cancel();
  g.sync_timer.reset();
  ++g.sync_epoch;
}

// --- timers -------------------------------------------------------------------------------

namespace {

// When a member must have been heard from, or nullopt while it waits in a rebalance (a
// member parked in JoinGroup or SyncGroup is alive; new members get a join timeout).
std::optional<std::int64_t> member_deadline(const member_state& m,
                                            std::int64_t new_member_timeout) {
  if (m.awaiting_join) {
    if (m.is_new) return m.join_started_ms + new_member_timeout;
    return std::nullopt;
  }
  if (m.awaiting_sync) return std::nullopt;
  return m.last_heartbeat_ms + m.session_timeout_ms;
}

}  // namespace

void group_coordinator::schedule_member_check(group& g, const std::string& member_id,
                                              std::int64_t at_ms) {
  auto* m = g.get(member_id);
  if (!m) return;
  // An earlier check re-arms itself for this deadline when it fires.
  if (m->timer && m->timer_at_ms <= at_ms) return;
  if (m->timer) m->timer->cancel();
  m->timer_at_ms = at_ms;
  auto seq = ++m->timer_seq;
  std::weak_ptr<group_coordinator> self = weak_from_this();
  std::weak_ptr<group> weak_group = g.weak_self;
  m->timer = clock_->schedule(std::max<std::int64_t>(at_ms - clock_->now_ms(), 0),
                              [self, weak_group, member_id, seq] {
                                auto c = self.lock();
                                auto gg = weak_group.lock();
                                if (c && gg) c->on_member_timer(gg, member_id, seq);
                              });
}

void group_coordinator::on_member_timer(const std::shared_ptr<group>& gp, const std::string& id,
                                        std::uint64_t seq) {
  outbox out;
  std::unique_lock lock(gp->mutex);
  auto& g = *gp;
  if (g.state == group_state::dead || stopped_) return;
  auto* m = g.get(id);
  if (!m || m->timer_seq != seq) return;
  m->timer.reset();
  m->timer_at_ms = -1;
  auto deadline = member_deadline(*m, options_.new_member_join_timeout_ms);
  if (!deadline) return;  // re-armed when its rebalance step completes
  auto now = clock_->now_ms();
  if (now < *deadline) {
    schedule_member_check(g, id, *deadline);
    return;
  }
  group_log_channel()->info(
      "group {}: member {} {}; removing it", g.id, id,
      m->awaiting_join ? "did not complete its join in time" : "missed its session timeout");
  remove_member_and_update_group(g, id, out);
}

void group_coordinator::on_pending_member_timer(const std::shared_ptr<group>& gp,
                                                const std::string& id) {
  outbox out;
  std::unique_lock lock(gp->mutex);
  auto& g = *gp;
  if (g.state == group_state::dead || stopped_ || !g.pending_members.count(id)) return;
  group_log_channel()->debug("group {}: pending member {} did not rejoin in time", g.id, id);
  remove_pending_member_and_update_group(g, id, out);
}

void group_coordinator::on_join_timer(const std::shared_ptr<group>& gp, std::uint64_t epoch) {
  outbox out;
  std::unique_lock lock(gp->mutex);
  auto& g = *gp;
  if (stopped_ || epoch != g.join_epoch || g.state != group_state::preparing_rebalance) return;
  g.join_timer.reset();
  if (g.join_is_initial_delay && g.new_member_added && g.initial_remaining_ms != 0) {
    // group.initial.rebalance.delay.ms: members are still arriving; wait another delay,
    // within the rebalance timeout.
    g.new_member_added = false;
    auto delay = std::min(options_.initial_rebalance_delay_ms, g.initial_remaining_ms);
    g.initial_remaining_ms = std::max<std::int64_t>(g.initial_remaining_ms - g.initial_delay_ms, 0);
    g.initial_delay_ms = delay;
    auto next = ++g.join_epoch;
    std::weak_ptr<group_coordinator> self = weak_from_this();
    std::weak_ptr<group> weak_group = g.weak_self;
    g.join_timer = clock_->schedule(delay, [self, weak_group, next] {
      auto c = self.lock();
      auto gg = weak_group.lock();
      if (c && gg) c->on_join_timer(gg, next);
    });
    return;
  }
  complete_join(g, out);
}

void group_coordinator::on_sync_timer(const std::shared_ptr<group>& gp, std::uint64_t epoch) {
  outbox out;
  std::unique_lock lock(gp->mutex);
  auto& g = *gp;
  if (stopped_ || epoch != g.sync_epoch) return;
  g.sync_timer.reset();
  if (g.state != group_state::completing_rebalance && g.state != group_state::stable) return;
  if (g.pending_sync.empty()) return;
  // Members that never sent SyncGroup within the rebalance timeout are removed and the
  // group rebalances without them.
  auto missing = g.pending_sync;
  group_log_channel()->info("group {}: {} member(s) did not sync in generation {}; rebalancing",
                            g.id, missing.size(), g.generation);
  for (const auto& id : missing) remove_member(g, id, out);
  g.pending_sync.clear();
  prepare_rebalance(g, out);
}

// --- rebalance ------------------------------------------------------------------------

void group_coordinator::maybe_prepare_rebalance(group& g, outbox& out) {
  if (g.state == group_state::stable || g.state == group_state::completing_rebalance ||
      g.state == group_state::empty) {
    prepare_rebalance(g, out);
  }
}

void group_coordinator::prepare_rebalance(group& g, outbox& out) {
  if (g.state == group_state::completing_rebalance) {
    reset_and_propagate_assignment_error(g, error_code::rebalance_in_progress, out);
  }
  if (g.sync_timer) g.sync_timer->cancel();
  g.sync_timer.reset();
  ++g.sync_epoch;
  g.pending_sync.clear();

  bool initial = g.state == group_state::empty;
  transition(g, group_state::preparing_rebalance, clock_->wall_ms());
  if (g.join_timer) g.join_timer->cancel();
  auto epoch = ++g.join_epoch;
  std::int64_t delay;
  if (initial && options_.initial_rebalance_delay_ms > 0) {
    g.join_is_initial_delay = true;
    g.initial_delay_ms = options_.initial_rebalance_delay_ms;
    g.initial_remaining_ms =
        std::max<std::int64_t>(g.rebalance_timeout_ms() - options_.initial_rebalance_delay_ms, 0);
    delay = options_.initial_rebalance_delay_ms;
  } else {
    g.join_is_initial_delay = false;
    delay = g.rebalance_timeout_ms();
  }
  std::weak_ptr<group_coordinator> self = weak_from_this();
  std::weak_ptr<group> weak_group = g.weak_self;
  g.join_timer = clock_->schedule(delay, [self, weak_group, epoch] {
    auto c = self.lock();
    auto gg = weak_group.lock();
    if (c && gg) c->on_join_timer(gg, epoch);
  });
  group_log_channel()->info("group {}: preparing to rebalance (generation {}, {} member(s))", g.id,
                            g.generation, g.members.size());
  try_complete_join(g, out);
}

void group_coordinator::try_complete_join(group& g, outbox& out) {
  if (g.state != group_state::preparing_rebalance || g.join_is_initial_delay) return;
  if (g.all_members_joined()) complete_join(g, out);
}

void group_coordinator::complete_join(group& g, outbox& out) {
  if (g.join_timer) g.join_timer->cancel();
  g.join_timer.reset();
  ++g.join_epoch;
  g.join_is_initial_delay = false;

  // Dynamic members that did not rejoin in time leave; static ones stay until their
  // session times out.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members) {
    if (!m->awaiting_join && !m->instance_id) gone.push_back(id);
  }
  for (const auto& id : gone) remove_member(g, id, out);
  // The leader must be a member that rejoined.
  if (!g.members.empty()) {
    auto* current = g.leader ? g.get(*g.leader) : nullptr;
    if (!current || !current->awaiting_join) {
      g.leader.reset();
      for (const auto& [id, m] : g.members) {
        if (m->awaiting_join) {
          g.leader = id;
          break;
        }
      }
    }
    if (!g.leader) {
      // Only static members that have not rejoined remain: wait for them another round.
      auto epoch = ++g.join_epoch;
      std::weak_ptr<group_coordinator> self = weak_from_this();
      std::weak_ptr<group> weak_group = g.weak_self;
      g.join_timer = clock_->schedule(g.rebalance_timeout_ms(), [self, weak_group, epoch] {
        auto c = self.lock();
        auto gg = weak_group.lock();
        if (c && gg) c->on_join_timer(gg, epoch);
      });
      return;
    }
  }

  ++g.generation;
  auto now = clock_->now_ms();
  if (g.members.empty()) {
    g.protocol_name.reset();
    g.subscribed_topics = g.compute_subscribed_topics();
    transition(g, group_state::empty, clock_->wall_ms());
    if (auto err = store_group(g, {}); err != error_code::none) {
      group_log_channel()->warn("group {}: could not write the empty generation {}: {}", g.id,
                                g.generation, kafka::protocol::code(err));
    }
    group_log_channel()->info("group {}: empty in generation {}", g.id, g.generation);
    return;
  }
  g.protocol_name = g.select_protocol();
  g.subscribed_topics = g.compute_subscribed_topics();
  transition(g, group_state::completing_rebalance, clock_->wall_ms());
  group_log_channel()->info("group {}: generation {} with {} member(s), protocol {}, leader {}",
                            g.id, g.generation, g.members.size(), *g.protocol_name, *g.leader);
  auto all = g.member_metadata();
  g.pending_sync.clear();
  for (auto& [id, m] : g.members) {
    join_response r;
    r.generation = g.generation;
    r.protocol_type = g.protocol_type;
    r.protocol_name = g.protocol_name;
    r.leader = *g.leader;
    r.member_id = id;
    if (g.is_leader(id)) r.members = all;
    out.join(take(m->awaiting_join), std::move(r));
    m->is_new = false;
    m->last_heartbeat_ms = now;
    if (m->timer) m->timer->cancel();
    m->timer.reset();
    m->timer_at_ms = -1;
    schedule_member_check(g, id, now + m->session_timeout_ms);
    g.pending_sync.insert(id);
  }
  auto epoch = ++g.sync_epoch;
  std::weak_ptr<group_coordinator> self = weak_from_this();
  std::weak_ptr<group> weak_group = g.weak_self;
  g.sync_timer = clock_->schedule(g.rebalance_timeout_ms(), [self, weak_group, epoch] {
    auto c = self.lock();
    auto gg = weak_group.lock();
    if (c && gg) c->on_sync_timer(gg, epoch);
  });
}

void group_coordinator::reset_and_propagate_assignment_error(group& g, error_code error,
                                                             outbox& out) {
  auto now = clock_->now_ms();
  for (auto& [id, m] : g.members) {
    m->assignment.clear();
    if (m->awaiting_sync) {
      sync_response r;
      r.error = error;
      out.sync(take(m->awaiting_sync), std::move(r));
      m->last_heartbeat_ms = now;
      schedule_member_check(g, id, now + m->session_timeout_ms);
    }
  }
}

void group_coordinator::remove_member(group& g, const std::string& member_id, outbox& out) {
  auto* m = g.get(member_id);
  if (!m) return;
  if (m->timer) m->timer->cancel();
  if (m->awaiting_join) {
    join_response r;
    r.error = error_code::unknown_member_id;
    r.member_id = member_id;
    out.join(take(m->awaiting_join), std::move(r));
  }
  if (m->awaiting_sync) {
    sync_response r;
    r.error = error_code::unknown_member_id;
    out.sync(take(m->awaiting_sync), std::move(r));
  }
  if (m->instance_id) {
    auto it = g.static_members.find(*m->instance_id);
    if (it != g.static_members.end() && it->second == member_id) g.static_members.erase(it);
  }
  g.members.erase(member_id);
  g.pending_sync.erase(member_id);
  if (g.is_leader(member_id)) {
    g.leader.reset();
    if (!g.members.empty()) g.leader = g.members.begin()->first;
  }
}

void group_coordinator::remove_member_and_update_group(group& g, const std::string& member_id,
                                                       outbox& out) {
  if (!g.get(member_id)) return;
  remove_member(g, member_id, out);
  switch (g.state) {
    case group_state::dead:
    case group_state::empty: break;
    case group_state::preparing_rebalance: try_complete_join(g, out); break;
    case group_state::completing_rebalance:
    case group_state::stable: prepare_rebalance(g, out); break;
  }
}

void group_coordinator::remove_pending_member_and_update_group(group& g,
                                                               const std::string& member_id,
                                                               outbox& out) {
  auto it = g.pending_members.find(member_id);
  if (it == g.pending_members.end()) return;
  if (it->second) it->second->cancel();
  g.pending_members.erase(it);
  if (g.state == group_state::preparing_rebalance) try_complete_join(g, out);
  if (g.generation == 0 && g.unused()) {
    transition(g, group_state::dead, clock_->wall_ms());
    forget(g);
  }
}

error_code group_coordinator::store_group(group& g,
                                          const std::map<std::string, std::string>& assignments) {
  group_metadata_value value;
  value.protocol_type = g.protocol_type.value_or("");
  value.generation = g.generation;
  value.protocol = g.protocol_name;
  value.leader = g.leader;
  value.current_state_timestamp = g.state_timestamp_ms;
  for (const auto& [id, m] : g.members) {
    group_member_record r;
    r.member_id = id;
    r.group_instance_id = m->instance_id;
    r.client_id = m->client_id;
    r.client_host = m->client_host;
    r.rebalance_timeout_ms = m->rebalance_timeout_ms;
    r.session_timeout_ms = m->session_timeout_ms;
    if (g.protocol_name) {
      if (const auto* metadata = m->metadata_for(*g.protocol_name)) r.subscription = *metadata;
    }
    auto a = assignments.find(id);
    if (a != assignments.end()) r.assignment = a->second;
    value.members.push_back(std::move(r));
  }
  std::vector<group_log::record> records;
  records.push_back({encode_key(group_metadata_key{g.id}), encode_value(value)});
  return log_->append(partition_for(g.id), records);
}

// --- JoinGroup --------------------------------------------------------------------------

void group_coordinator::join(join_request request, join_callback done) {
  outbox out;
  auto fail = [&](error_code error) {
    join_response r;
    r.error = error;
    r.member_id = request.member_id;
    out.join(std::move(done), std::move(r));
  };
  if (stopped_) return fail(error_code::not_coordinator);
  if (request.group_id.empty()) return fail(error_code::invalid_group_id);
  if (request.session_timeout_ms < options_.min_session_timeout_ms ||
      request.session_timeout_ms > options_.max_session_timeout_ms) {
    return fail(error_code::invalid_session_timeout);
  }
  if (request.rebalance_timeout_ms <= 0) request.rebalance_timeout_ms = request.session_timeout_ms;
  std::unique_lock<std::mutex> lock;
  bool new_member = request.member_id.empty();
  auto g = lock_live(
      [&] { return new_member ? find_or_create(request.group_id) : find(request.group_id); }, lock);
  if (!g) return fail(error_code::unknown_member_id);
  if (new_member) {
    join_new_member(*g, request, done, out);
  } else {
    join_known_member(*g, request, done, out);
  }
  if (done) fail(error_code::unknown_server_error);  // every path takes the callback
  if (g->state == group_state::preparing_rebalance) try_complete_join(*g, out);
  if (g->generation == 0 && g->unused()) {
    // A join that failed left a group nobody uses behind.
    transition(*g, group_state::dead, clock_->wall_ms());
    forget(*g);
  }
}

void group_coordinator::join_new_member(group& g, join_request& request, join_callback& done,
                                        outbox& out) {
  auto fail = [&](error_code error) {
    join_response r;
    r.error = error;
    out.join(take(done), std::move(r));
  };
  if (!g.supports_protocols(request.protocol_type, request.protocols)) {
    return fail(error_code::inconsistent_group_protocol);
  }
  auto new_id = (request.group_instance_id ? *request.group_instance_id : request.client_id) + "-" +
                random_uuid();
  if (request.group_instance_id) {
    if (g.static_members.count(*request.group_instance_id)) {
      replace_static_member(g, new_id, request, done, out);
    } else {
      add_member_and_rebalance(g, new_id, request, done, out);
    }
    return;
  }
  if (request.require_known_member_id) {
    // KIP-394: the member learns its id first and joins with it, so a client that gives
    // up on a slow JoinGroup does not leave a stray member behind.
    std::weak_ptr<group_coordinator> self = weak_from_this();
    std::weak_ptr<group> weak_group = g.weak_self;
    g.pending_members[new_id] =
        clock_->schedule(request.session_timeout_ms, [self, weak_group, new_id] {
          auto c = self.lock();
          auto gg = weak_group.lock();
          if (c && gg) c->on_pending_member_timer(gg, new_id);
        });
    join_response r;
    r.error = error_code::member_id_required;
    r.member_id = new_id;
    out.join(take(done), std::move(r));
    return;
  }
  add_member_and_rebalance(g, new_id, request, done, out);
}

void group_coordinator::join_known_member(group& g, join_request& request, join_callback& done,
                                          outbox& out) {
  auto fail = [&](error_code error) {
    join_response r;
    r.error = error;
    r.member_id = request.member_id;
    out.join(take(done), std::move(r));
  };
  if (!g.supports_protocols(request.protocol_type, request.protocols)) {
    return fail(error_code::inconsistent_group_protocol);
  }
  const auto& id = request.member_id;
  if (auto it = g.pending_members.find(id); it != g.pending_members.end()) {
    // Pending members are dynamic; an instance id here is a confused client.
    if (request.group_instance_id) return fail(error_code::unknown_member_id);
    if (it->second) it->second->cancel();
    g.pending_members.erase(it);
    add_member_and_rebalance(g, id, request, done, out);
    return;
  }
  if (auto err = validate_current_member(g, id, request.group_instance_id)) return fail(*err);
  auto* m = g.get(id);
  auto respond_current = [&](bool with_members) {
    join_response r;
    r.generation = g.generation;
    r.protocol_type = g.protocol_type;
    r.protocol_name = g.protocol_name;
    r.leader = g.leader.value_or("");
    r.member_id = id;
    if (with_members) r.members = g.member_metadata();
    out.join(take(done), std::move(r));
  };
  switch (g.state) {
    case group_state::preparing_rebalance:
      update_member_and_rebalance(g, id, request, done, out);
      break;
    case group_state::completing_rebalance:
      // The same metadata again: the member missed the JoinGroup answer; give it again.
      if (m->matches(request.protocols)) {
        respond_current(g.is_leader(id));
      } else {
        update_member_and_rebalance(g, id, request, done, out);
      }
      break;
    case group_state::stable:
      // A follower with unchanged metadata just gets the current generation (and then
      // syncs); the leader or a changed subscription rebalances.
      if (g.is_leader(id) || !m->matches(request.protocols)) {
        update_member_and_rebalance(g, id, request, done, out);
      } else {
        respond_current(false);
      }
      break;
    case group_state::empty:
    case group_state::dead: fail(error_code::unknown_member_id); break;
  }
}

void group_coordinator::add_member_and_rebalance(group& g, const std::string& member_id,
                                                 join_request& request, join_callback& done,
                                                 outbox& out) {
  auto now = clock_->now_ms();
  auto m = std::make_unique<member_state>();
  m->id = member_id;
  m->instance_id = request.group_instance_id;
  m->client_id = request.client_id;
  m->client_host = request.client_host;
  m->rebalance_timeout_ms = request.rebalance_timeout_ms;
  m->session_timeout_ms = request.session_timeout_ms;
  m->protocols = request.protocols;
  m->is_new = true;
  m->join_started_ms = now;
  m->last_heartbeat_ms = now;
  m->awaiting_join = take(done);
  if (g.state == group_state::preparing_rebalance && g.generation == 0) g.new_member_added = true;
  if (g.members.empty()) g.protocol_type = request.protocol_type;
  if (!g.leader) g.leader = member_id;
  if (m->instance_id) g.static_members[*m->instance_id] = member_id;
  g.members[member_id] = std::move(m);
  // New members cannot heartbeat before their first JoinGroup answer; a JoinGroup that
  // is never completed (the client gave up) is dropped after the new-member timeout.
  schedule_member_check(g, member_id, now + options_.new_member_join_timeout_ms);
  maybe_prepare_rebalance(g, out);
}

void group_coordinator::update_member_and_rebalance(group& g, const std::string& member_id,
                                                    join_request& request, join_callback& done,
                                                    outbox& out) {
  auto* m = g.get(member_id);
  m->protocols = request.protocols;
  m->rebalance_timeout_ms = request.rebalance_timeout_ms;
  m->session_timeout_ms = request.session_timeout_ms;
  if (m->awaiting_join) {
    // A second JoinGroup of the same member replaces the first.
    join_response r;
    r.error = error_code::rebalance_in_progress;
    r.member_id = member_id;
    out.join(take(m->awaiting_join), std::move(r));
  }
  m->awaiting_join = take(done);
  maybe_prepare_rebalance(g, out);
}

void group_coordinator::replace_static_member(group& g, const std::string& new_id,
                                              join_request& request, join_callback& done,
                                              outbox& out) {
  const auto& instance = *request.group_instance_id;
  auto old_id = g.static_members[instance];
  auto previous_leader = g.leader;
  auto node = g.members.extract(old_id);
  if (node.empty()) {  // inconsistent bookkeeping; treat as a new member
    g.static_members.erase(instance);
    add_member_and_rebalance(g, new_id, request, done, out);
    return;
  }
  auto& m = *node.mapped();
  // The old instance is fenced: its parked requests are answered FENCED_INSTANCE_ID.
  if (m.awaiting_join) {
    join_response r;
    r.error = error_code::fenced_instance_id;
    r.member_id = old_id;
    out.join(take(m.awaiting_join), std::move(r));
  }
  if (m.awaiting_sync) {
    sync_response r;
    r.error = error_code::fenced_instance_id;
    out.sync(take(m.awaiting_sync), std::move(r));
  }
  auto old_protocols = m.protocols;
  auto old_rebalance = m.rebalance_timeout_ms;
  auto old_session = m.session_timeout_ms;
  if (m.timer) m.timer->cancel();
  m.timer.reset();
  m.timer_at_ms = -1;
  m.id = new_id;
  m.protocols = request.protocols;
  m.rebalance_timeout_ms = request.rebalance_timeout_ms;
  m.session_timeout_ms = request.session_timeout_ms;
  m.awaiting_join = take(done);
  node.key() = new_id;
  g.members.insert(std::move(node));
  g.static_members[instance] = new_id;
  if (g.is_leader(old_id)) g.leader = new_id;
  if (g.pending_sync.erase(old_id)) g.pending_sync.insert(new_id);
  auto* member = g.get(new_id);
  auto now = clock_->now_ms();
  member->last_heartbeat_ms = now;
  schedule_member_check(g, new_id, now + member->session_timeout_ms);

  switch (g.state) {
    case group_state::stable: {
      if (g.protocol_name && g.select_protocol() == *g.protocol_name) {
        // Same protocol: no rebalance. Persist the new member id and hand back the current
        // generation; from v9 a leader is told to skip the assignment.
        std::map<std::string, std::string> assignments;
        for (const auto& [id, mm] : g.members) assignments[id] = mm->assignment;
        if (auto err = store_group(g, assignments); err != error_code::none) {
          // Undo the replacement.
          auto back = g.members.extract(new_id);
          auto& bm = *back.mapped();
          bm.id = old_id;
          bm.protocols = old_protocols;
          bm.rebalance_timeout_ms = old_rebalance;
          bm.session_timeout_ms = old_session;
          auto cb = take(bm.awaiting_join);
          if (bm.timer) bm.timer->cancel();
          bm.timer.reset();
          bm.timer_at_ms = -1;
          back.key() = old_id;
          g.members.insert(std::move(back));
          g.static_members[instance] = old_id;
          if (g.is_leader(new_id)) g.leader = old_id;
          if (g.pending_sync.erase(new_id)) g.pending_sync.insert(old_id);
          schedule_member_check(g, old_id, now + old_session);
          join_response r;
          r.error = err;
          r.generation = g.generation;
          r.protocol_type = g.protocol_type;
          r.protocol_name = g.protocol_name;
          r.leader = previous_leader.value_or("");
          out.join(std::move(cb), std::move(r));
          return;
        }
        join_response r;
        r.generation = g.generation;
        r.protocol_type = g.protocol_type;
        r.protocol_name = g.protocol_name;
        r.member_id = new_id;
        if (request.supports_skip_assignment) {
          bool leads = g.is_leader(new_id);
          r.leader = g.leader.value_or("");
          r.skip_assignment = leads;
          if (leads) r.members = g.member_metadata();
        } else {
          // Older clients: report the previous leader id, so a rejoining leader does not
          // run an assignment that a stable group would never hand out.
          r.leader = previous_leader.value_or("");
        }
        out.join(take(member->awaiting_join), std::move(r));
      } else {
        maybe_prepare_rebalance(g, out);
      }
      break;
    }
    case group_state::completing_rebalance:
      // The leader may be assigning partitions to the old member id: start over.
      prepare_rebalance(g, out);
      break;
    case group_state::preparing_rebalance: break;  // it joins this round
    case group_state::empty:
    case group_state::dead: break;
  }
}

// --- SyncGroup, Heartbeat, LeaveGroup ---------------------------------------------------------

void group_coordinator::sync(sync_request request, sync_callback done) {
  outbox out;
  auto fail = [&](error_code error) {
    sync_response r;
    r.error = error;
    out.sync(std::move(done), std::move(r));
  };
  if (stopped_) return fail(error_code::not_coordinator);
  if (request.group_id.empty()) return fail(error_code::invalid_group_id);
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find(request.group_id); }, lock);
  if (!gp) return fail(error_code::unknown_member_id);
  auto& g = *gp;
  if (auto err = validate_current_member(g, request.member_id, request.group_instance_id)) {
    return fail(*err);
  }
  if (request.generation != g.generation) return fail(error_code::illegal_generation);
  if ((request.protocol_type && request.protocol_type != g.protocol_type) ||
      (request.protocol_name && request.protocol_name != g.protocol_name)) {
    return fail(error_code::inconsistent_group_protocol);
  }
  auto* m = g.get(request.member_id);
  auto synced = [&] {
    g.pending_sync.erase(request.member_id);
    if (g.pending_sync.empty() && g.sync_timer) {
      g.sync_timer->cancel();
      g.sync_timer.reset();
      ++g.sync_epoch;
    }
  };
  switch (g.state) {
    case group_state::empty:
    case group_state::dead: return fail(error_code::unknown_member_id);
    case group_state::preparing_rebalance: return fail(error_code::rebalance_in_progress);
    case group_state::completing_rebalance: {
      if (m->awaiting_sync) {
        sync_response r;
        r.error = error_code::rebalance_in_progress;
        out.sync(take(m->awaiting_sync), std::move(r));
      }
      m->awaiting_sync = std::move(done);
      synced();
      if (!g.is_leader(request.member_id)) return;  // parked until the leader's assignment
      std::map<std::string, std::string> assignments;
      for (auto& [member_id, assignment] : request.assignments) {
        if (g.get(member_id)) assignments[member_id] = std::move(assignment);
      }
      if (auto err = store_group(g, assignments); err != error_code::none) {
        group_log_channel()->warn("group {}: could not write generation {}: error {}", g.id,
                                  g.generation, kafka::protocol::code(err));
        reset_and_propagate_assignment_error(g, err, out);
        maybe_prepare_rebalance(g, out);
        return;
      }
      auto now = clock_->now_ms();
      for (auto& [id, member] : g.members) {
        auto a = assignments.find(id);
        member->assignment = a == assignments.end() ? std::string() : a->second;
        if (member->awaiting_sync) {
          sync_response r;
          r.protocol_type = g.protocol_type;
          r.protocol_name = g.protocol_name;
          r.assignment = member->assignment;
          out.sync(take(member->awaiting_sync), std::move(r));
          member->last_heartbeat_ms = now;
          schedule_member_check(g, id, now + member->session_timeout_ms);
        }
      }
      transition(g, group_state::stable, clock_->wall_ms());
      group_log_channel()->info("group {}: stable in generation {}", g.id, g.generation);
      return;
    }
    case group_state::stable: {
      synced();
      sync_response r;
      r.protocol_type = g.protocol_type;
      r.protocol_name = g.protocol_name;
      r.assignment = m->assignment;
      out.sync(std::move(done), std::move(r));
      auto now = clock_->now_ms();
      m->last_heartbeat_ms = now;
      schedule_member_check(g, request.member_id, now + m->session_timeout_ms);
      return;
    }
  }
}

error_code group_coordinator::heartbeat(const std::string& group_id, std::int32_t generation,
                                        const std::string& member_id,
                                        const std::optional<std::string>& group_instance_id) {
  if (stopped_) return error_code::not_coordinator;
  if (group_id.empty()) return error_code::invalid_group_id;
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find(group_id); }, lock);
  if (!gp) return error_code::unknown_member_id;
  auto& g = *gp;
  if (auto err = validate_current_member(g, member_id, group_instance_id)) return *err;
  if (generation != g.generation) return error_code::illegal_generation;
  auto* m = g.get(member_id);
  auto now = clock_->now_ms();
  switch (g.state) {
    case group_state::empty:
    case group_state::dead: return error_code::unknown_member_id;
    case group_state::preparing_rebalance:
      m->last_heartbeat_ms = now;
      schedule_member_check(g, member_id, now + m->session_timeout_ms);
      return error_code::rebalance_in_progress;
    case group_state::completing_rebalance:
    case group_state::stable:
      // Heartbeats may start right after the JoinGroup answer, before SyncGroup.
      m->last_heartbeat_ms = now;
      schedule_member_check(g, member_id, now + m->session_timeout_ms);
      return error_code::none;
  }
  return error_code::none;
}

group_coordinator::leave_result group_coordinator::leave(const std::string& group_id,
                                                         const std::vector<leave_member>& leaving) {
  leave_result result;
  if (stopped_) {
    result.error = error_code::not_coordinator;
    return result;
  }
  if (group_id.empty()) {
    result.error = error_code::invalid_group_id;
    return result;
  }
  auto& errors = result.members;
  errors.assign(leaving.size(), error_code::unknown_member_id);
  outbox out;
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find(group_id); }, lock);
  if (!gp) return result;
  auto& g = *gp;
  for (std::size_t i = 0; i < leaving.size(); ++i) {
    const auto& who = leaving[i];
    if (who.member_id.empty()) {
      // Removal by group instance id (kafka-consumer-groups --delete, admin clients).
      auto it = who.group_instance_id ? g.static_members.find(*who.group_instance_id)
                                      : g.static_members.end();
      if (it == g.static_members.end()) continue;
      auto id = it->second;
      remove_member_and_update_group(g, id, out);
      errors[i] = error_code::none;
    } else if (g.pending_members.count(who.member_id)) {
      remove_pending_member_and_update_group(g, who.member_id, out);
      errors[i] = error_code::none;
    } else if (auto err = validate_current_member(g, who.member_id, who.group_instance_id)) {
      errors[i] = *err;
    } else {
      group_log_channel()->info("group {}: member {} left", g.id, who.member_id);
      remove_member_and_update_group(g, who.member_id, out);
      errors[i] = error_code::none;
    }
    if (g.state == group_state::dead) break;
  }
  return result;
}

// --- offsets ------------------------------------------------------------------------------

std::vector<error_code> group_coordinator::commit_offsets(const commit_request& request) {
  std::vector<error_code> errors(request.entries.size(), error_code::none);
  auto fail_all = [&](error_code e) {
    std::fill(errors.begin(), errors.end(), e);
    return errors;
  };
  if (stopped_) return fail_all(error_code::not_coordinator);
  if (request.group_id.empty()) return fail_all(error_code::invalid_group_id);
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find(request.group_id); }, lock);
  if (!gp) {
    if (request.generation >= 0) {
      // A commit with a generation for a group we do not have.
      return fail_all(request.api_version >= 9 ? error_code::group_id_not_found
                                               : error_code::illegal_generation);
    }
    // Simple (standalone) consumers keep offsets in a group of their own.
    gp = lock_live([&] { return find_or_create(request.group_id); }, lock);
  }
  auto& g = *gp;
  if (request.generation < 0 && g.state == group_state::empty) {
    // Manual assignment or admin tools: allowed while no member uses the group.
  } else if (request.generation >= 0 || !request.member_id.empty() || request.group_instance_id) {
    if (auto err = validate_current_member(g, request.member_id, request.group_instance_id)) {
      return fail_all(*err);
    }
    if (request.generation != g.generation) return fail_all(error_code::illegal_generation);
  } else {
    return fail_all(error_code::unknown_member_id);
  }
  if (g.state == group_state::completing_rebalance) {
    return fail_all(error_code::rebalance_in_progress);
  }
  std::vector<commit_entry> accepted;
  std::vector<std::size_t> written;
  for (std::size_t i = 0; i < request.entries.size(); ++i) {
    if (request.entries[i].metadata.size() > options_.offset_metadata_max_bytes) {
      errors[i] = error_code::offset_metadata_too_large;
      continue;
    }
    accepted.push_back(request.entries[i]);
    written.push_back(i);
  }
  if (auto err = write_offsets(g, accepted, request.retention_ms); err != error_code::none) {
    for (auto i : written) errors[i] = err;
  }
  if (auto* m = g.get(request.member_id); m && g.state != group_state::empty) {
    m->last_heartbeat_ms = clock_->now_ms();
  }
  if (g.generation == 0 && g.unused()) {
    transition(g, group_state::dead, clock_->wall_ms());
    forget(g);
  }
  return errors;
}

fetch_offsets_result group_coordinator::fetch_offsets(
    const std::string& group_id, const std::optional<std::vector<topic_partition>>& partitions,
    bool require_stable) {
  fetch_offsets_result result;
  if (stopped_) {
    result.error = error_code::not_coordinator;
    return result;
  }
  if (group_id.empty()) {
    result.error = error_code::invalid_group_id;
    return result;
  }
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find(group_id); }, lock);
  auto answer = [&](const topic_partition& tp) {
    fetched_offset f;
    f.tp = tp;
    if (!gp) return f;
    if (require_stable && gp->has_pending_transactional(tp)) {
      f.error = error_code::unstable_offset_commit;
      return f;
    }
    auto it = gp->offsets.find(tp);
    if (it != gp->offsets.end()) {
      f.offset = it->second.value.offset;
      f.leader_epoch = it->second.value.leader_epoch;
      f.metadata = it->second.value.metadata;
    }
    return f;
  };
  if (partitions) {
    for (const auto& tp : *partitions) result.offsets.push_back(answer(tp));
  } else if (gp) {
    std::set<topic_partition> all;
    for (const auto& [tp, _] : gp->offsets) all.insert(tp);
    if (require_stable) {
      for (const auto& [_, staged] : gp->pending_transactional) {
        for (const auto& [tp, __] : staged) all.insert(tp);
      }
    }
    for (const auto& tp : all) result.offsets.push_back(answer(tp));
  }
  return result;
}

void group_coordinator::stage_transactional_offsets(const std::string& group_id,
                                                    std::int64_t producer_id,
                                                    const std::vector<commit_entry>& entries) {
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find_or_create(group_id); }, lock);
  auto now = clock_->wall_ms();
  auto& staged = gp->pending_transactional[producer_id];
  for (const auto& e : entries) {
    offset_entry entry;
    entry.value.offset = e.offset;
    entry.value.leader_epoch = e.leader_epoch;
    entry.value.metadata = e.metadata;
    entry.value.commit_timestamp = now;
    entry.sequence = gp->next_sequence++;
    staged[e.tp] = std::move(entry);
  }
  lock.unlock();
  std::lock_guard txn_lock(transactions_mutex_);
  transactions_[producer_id].insert(group_id);
}

void group_coordinator::complete_transaction(std::int64_t producer_id, bool commit) {
  std::set<std::string> touched;
  {
    std::lock_guard txn_lock(transactions_mutex_);
    auto it = transactions_.find(producer_id);
    if (it == transactions_.end()) return;
    touched = std::move(it->second);
    transactions_.erase(it);
  }
  for (const auto& group_id : touched) {
    std::unique_lock<std::mutex> lock;
    auto gp = lock_live([&] { return find(group_id); }, lock);
    if (!gp) continue;
    auto it = gp->pending_transactional.find(producer_id);
    if (it == gp->pending_transactional.end()) continue;
    if (commit) {
      for (auto& [tp, entry] : it->second) {
        auto current = gp->offsets.find(tp);
        // A plain commit written after the transactional one wins.
        if (current == gp->offsets.end() || current->second.sequence < entry.sequence) {
          gp->offsets[tp] = std::move(entry);
        }
      }
    }
    gp->pending_transactional.erase(it);
  }
}

error_code group_coordinator::commit_transaction_offsets(const std::string& group_id,
                                                         const std::vector<commit_entry>& entries) {
  if (stopped_) return error_code::not_coordinator;
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find_or_create(group_id); }, lock);
  return write_offsets(*gp, entries, -1);
}

error_code group_coordinator::write_offsets(group& g, const std::vector<commit_entry>& entries,
                                            std::int64_t retention_ms) {
  if (entries.empty()) return error_code::none;
  auto now = clock_->wall_ms();
  std::vector<group_log::record> records;
  records.reserve(entries.size());
  for (const auto& e : entries) {
    offset_commit_value v;
    v.offset = e.offset;
    v.leader_epoch = e.leader_epoch;
    v.metadata = e.metadata;
    v.commit_timestamp = now;
    if (retention_ms >= 0) v.expire_timestamp = now + retention_ms;
    records.push_back(
        {encode_key(offset_commit_key{g.id, e.tp.topic, e.tp.partition}), encode_value(v)});
  }
  auto err = log_->append(partition_for(g.id), records);
  if (err != error_code::none) return err;
  for (const auto& e : entries) {
    offset_entry entry;
    entry.value.offset = e.offset;
    entry.value.leader_epoch = e.leader_epoch;
    entry.value.metadata = e.metadata;
    entry.value.commit_timestamp = now;
    if (retention_ms >= 0) entry.value.expire_timestamp = now + retention_ms;
    entry.sequence = g.next_sequence++;
    g.offsets[e.tp] = std::move(entry);
  }
  return error_code::none;
}

// --- admin APIs --------------------------------------------------------------------------

std::vector<group_listing> group_coordinator::list_groups() {
  std::vector<std::shared_ptr<group>> all;
  {
    std::shared_lock lock(groups_mutex_);
    for (const auto& [_, g] : groups_) all.push_back(g);
  }
  std::vector<group_listing> out;
  for (const auto& g : all) {
    std::lock_guard lock(g->mutex);
    if (g->state == group_state::dead) continue;
    out.push_back({g->id, g->protocol_type.value_or(""), g->state});
  }
  return out;
}

group_description group_coordinator::describe_group(const std::string& group_id) {
  group_description d;
  d.group_id = group_id;
  if (stopped_) {
    d.error = error_code::not_coordinator;
    return d;
  }
  if (group_id.empty()) {
    d.error = error_code::invalid_group_id;
    return d;
  }
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find(group_id); }, lock);
  if (!gp) return d;  // Dead, no error: as Kafka answers for a group it does not know
  auto& g = *gp;
  d.state = g.state;
  d.protocol_type = g.protocol_type.value_or("");
  bool stable = g.state == group_state::stable;
  if (stable) d.protocol = g.protocol_name.value_or("");
  for (const auto& [id, m] : g.members) {
    group_description::member dm;
    dm.member_id = id;
    dm.group_instance_id = m->instance_id;
    dm.client_id = m->client_id;
    dm.client_host = m->client_host;
    if (stable) {
      if (const auto* metadata = m->metadata_for(d.protocol)) dm.metadata = *metadata;
      dm.assignment = m->assignment;
    }
    d.members.push_back(std::move(dm));
  }
  return d;
}

error_code group_coordinator::delete_group(const std::string& group_id) {
  if (stopped_) return error_code::not_coordinator;
  if (group_id.empty()) return error_code::invalid_group_id;
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find(group_id); }, lock);
  if (!gp) return error_code::group_id_not_found;
  auto& g = *gp;
  if (g.state != group_state::empty) return error_code::non_empty_group;
  std::vector<group_log::record> records;
  for (const auto& [tp, _] : g.offsets) {
    records.push_back({encode_key(offset_commit_key{g.id, tp.topic, tp.partition}), std::nullopt});
  }
  records.push_back({encode_key(group_metadata_key{g.id}), std::nullopt});
  if (auto err = log_->append(partition_for(g.id), records); err != error_code::none) return err;
  cancel_timers(g);
  g.offsets.clear();
  g.pending_transactional.clear();
  transition(g, group_state::dead, clock_->wall_ms());
  forget(g);
  group_log_channel()->info("group {}: deleted", g.id);
  return error_code::none;
}

offset_delete_result group_coordinator::delete_offsets(
    const std::string& group_id, const std::vector<topic_partition>& partitions) {
  offset_delete_result result;
  result.partitions.assign(partitions.size(), error_code::none);
  if (stopped_) {
    result.error = error_code::not_coordinator;
    return result;
  }
  if (group_id.empty()) {
    result.error = error_code::invalid_group_id;
    return result;
  }
  std::unique_lock<std::mutex> lock;
  auto gp = lock_live([&] { return find(group_id); }, lock);
  if (!gp) {
    result.error = error_code::group_id_not_found;
    return result;
  }
  auto& g = *gp;
  std::vector<bool> eligible(partitions.size(), true);
  if (g.state != group_state::empty) {
    if (!g.protocol_type || *g.protocol_type != consumer_protocol_type) {
      result.error = error_code::non_empty_group;
      return result;
    }
    for (std::size_t i = 0; i < partitions.size(); ++i) {
      if (g.is_subscribed_to(partitions[i].topic)) {
        eligible[i] = false;
        result.partitions[i] = error_code::group_subscribed_to_topic;
      }
    }
  }
  std::vector<group_log::record> records;
  std::vector<topic_partition> removed;
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    if (!eligible[i] || !g.offsets.count(partitions[i])) continue;
    if (std::find(removed.begin(), removed.end(), partitions[i]) != removed.end()) continue;
    removed.push_back(partitions[i]);
    records.push_back(
        {encode_key(offset_commit_key{g.id, partitions[i].topic, partitions[i].partition}),
         std::nullopt});
  }
  bool drop_group = false;
  if (g.state == group_state::empty && !removed.empty() && removed.size() == g.offsets.size() &&
      g.members.empty() && g.pending_members.empty() && g.pending_transactional.empty()) {
    drop_group = true;
    records.push_back({encode_key(group_metadata_key{g.id}), std::nullopt});
  }
  if (records.empty()) return result;
  if (auto err = log_->append(partition_for(g.id), records); err != error_code::none) {
    for (std::size_t i = 0; i < partitions.size(); ++i) {
      if (eligible[i]) result.partitions[i] = err;
    }
    return result;
  }
  for (const auto& tp : removed) g.offsets.erase(tp);
  if (drop_group) {
    cancel_timers(g);
    transition(g, group_state::dead, clock_->wall_ms());
    forget(g);
  }
  return result;
}

void group_coordinator::expire_offsets() {
  if (stopped_) return;
  std::vector<std::shared_ptr<group>> all;
  {
    std::shared_lock lock(groups_mutex_);
    for (const auto& [_, g] : groups_) all.push_back(g);
  }
  auto now = clock_->wall_ms();
  auto retention = options_.offsets_retention_ms;
  std::size_t expired_total = 0;
  for (const auto& gp : all) {
    std::lock_guard lock(gp->mutex);
    auto& g = *gp;
    if (g.state == group_state::dead) continue;
    // Kafka's rules (KIP-211): offsets of a group with members do not expire, except
    // those of topics a stable consumer group no longer subscribes to; an empty group's
    // offsets expire the retention after it became empty; a simple group's (offsets
    // only) after their commit.
    enum class base { state_change, commit, none } from = base::none;
    bool only_unsubscribed = false;
    if (g.protocol_type && g.state == group_state::empty) {
      from = base::state_change;
    } else if (g.protocol_type && *g.protocol_type == consumer_protocol_type &&
               g.subscribed_topics && g.state == group_state::stable) {
      from = base::commit;
      only_unsubscribed = true;
    } else if (!g.protocol_type) {
      from = base::commit;
    }
    std::vector<topic_partition> expired;
    if (from != base::none) {
      for (const auto& [tp, entry] : g.offsets) {
        if (only_unsubscribed && g.subscribed_topics->count(tp.topic)) continue;
        if (g.has_pending_transactional(tp)) continue;
        bool gone;
        if (entry.value.expire_timestamp) {
          gone = now >= *entry.value.expire_timestamp;
        } else {
          auto since = from == base::state_change && g.state_timestamp_ms >= 0
                           ? g.state_timestamp_ms
                           : entry.value.commit_timestamp;
          gone = now - since >= retention;
        }
        if (gone) expired.push_back(tp);
      }
    }
    bool drop_group = g.state == group_state::empty && g.members.empty() &&
                      g.pending_members.empty() && g.pending_transactional.empty() &&
                      expired.size() == g.offsets.size();
    if (expired.empty() && !drop_group) continue;
    std::vector<group_log::record> records;
    for (const auto& tp : expired) {
      records.push_back(
          {encode_key(offset_commit_key{g.id, tp.topic, tp.partition}), std::nullopt});
    }
    if (drop_group) records.push_back({encode_key(group_metadata_key{g.id}), std::nullopt});
    if (auto err = log_->append(partition_for(g.id), records); err != error_code::none) {
      group_log_channel()->warn("group {}: could not write expired offsets: error {}", g.id,
                                kafka::protocol::code(err));
      continue;
    }
    for (const auto& tp : expired) g.offsets.erase(tp);
    expired_total += expired.size();
    if (drop_group) {
      cancel_timers(g);
      transition(g, group_state::dead, now);
      forget(g);
    }
  }
  if (expired_total > 0) {
    group_log_channel()->info("removed {} expired committed offset(s)", expired_total);
  }
}

// --- replay -------------------------------------------------------------------------------

void group_coordinator::replay(const replayed_record& record) {
  auto key = decode_key(record.key);
  if (!key) {
    group_log_channel()->warn("skipping an unreadable __consumer_offsets key: {}",
                              key.err().message());
    return;
  }
  if (auto* k = std::get_if<offset_commit_key>(&*key)) {
    topic_partition tp{k->topic, k->partition};
    if (!record.value) {
      if (auto g = find(k->group)) {
        std::lock_guard lock(g->mutex);
        g->offsets.erase(tp);
      }
      return;
    }
    auto value = decode_offset_commit_value(*record.value);
    if (!value) {
      group_log_channel()->warn("group {}: skipping an unreadable offset commit: {}", k->group,
                                value.err().message());
      return;
    }
    auto g = find_or_create(k->group);
    std::lock_guard lock(g->mutex);
    offset_entry entry{std::move(*value), g->next_sequence++};
    if (record.transactional_producer_id >= 0) {
      g->pending_transactional[record.transactional_producer_id][tp] = std::move(entry);
      std::lock_guard txn_lock(transactions_mutex_);
      transactions_[record.transactional_producer_id].insert(k->group);
    } else {
      g->offsets[tp] = std::move(entry);
    }
    return;
  }
  if (auto* k = std::get_if<group_metadata_key>(&*key)) {
    if (!record.value) {
      // Deleted (or expired): keep only offsets written after the tombstone.
      if (auto g = find(k->group)) {
        std::lock_guard lock(g->mutex);
        g->members.clear();
        g->static_members.clear();
        g->protocol_type.reset();
        g->protocol_name.reset();
        g->leader.reset();
        g->generation = 0;
        g->state = group_state::empty;
      }
      return;
    }
    auto value = decode_group_metadata_value(*record.value);
    if (!value) {
      group_log_channel()->warn("group {}: skipping unreadable group metadata: {}", k->group,
                                value.err().message());
      return;
    }
    auto g = find_or_create(k->group);
    std::lock_guard lock(g->mutex);
    g->protocol_type = value->protocol_type.empty()
                           ? std::nullopt
                           : std::optional<std::string>(value->protocol_type);
    g->generation = value->generation;
    g->protocol_name = value->protocol;
    g->leader = value->leader;
    g->state_timestamp_ms = value->current_state_timestamp;
    g->members.clear();
    g->static_members.clear();
    for (auto& r : value->members) {
      auto m = std::make_unique<member_state>();
      m->id = r.member_id;
      m->instance_id = r.group_instance_id;
      m->client_id = std::move(r.client_id);
      m->client_host = std::move(r.client_host);
      m->rebalance_timeout_ms = r.rebalance_timeout_ms;
      m->session_timeout_ms = r.session_timeout_ms;
      m->protocols.push_back({value->protocol.value_or(""), std::move(r.subscription)});
      m->assignment = std::move(r.assignment);
      if (m->instance_id) g->static_members[*m->instance_id] = r.member_id;
      g->members[r.member_id] = std::move(m);
    }
    if (g->leader && !g->members.count(*g->leader)) g->leader.reset();
    if (!g->leader && !g->members.empty()) g->leader = g->members.begin()->first;
    g->state = g->members.empty() ? group_state::empty : group_state::stable;
    return;
  }
  // KIP-848 records (consumer groups of the new protocol) are not ours.
}

void group_coordinator::replay_transaction_marker(std::int64_t producer_id, bool commit) {
  complete_transaction(producer_id, commit);
}

void group_coordinator::finish_replay() {
  std::vector<std::shared_ptr<group>> all;
  {
    std::shared_lock lock(groups_mutex_);
    for (const auto& [_, g] : groups_) all.push_back(g);
  }
  auto now = clock_->now_ms();
  std::size_t loaded = 0, offsets = 0;
  for (const auto& gp : all) {
    std::lock_guard lock(gp->mutex);
    auto& g = *gp;
    if (g.unused() && g.generation == 0) {
      g.state = group_state::dead;
      forget(g);
      continue;
    }
    ++loaded;
    offsets += g.offsets.size();
    g.subscribed_topics = g.compute_subscribed_topics();
    // Members of a loaded generation get a full session to heartbeat again.
    for (auto& [id, m] : g.members) {
      m->last_heartbeat_ms = now;
      schedule_member_check(g, id, now + m->session_timeout_ms);
    }
  }
  if (loaded > 0) {
    group_log_channel()->info("loaded {} group(s) and {} committed offset(s) from {}", loaded,
                              offsets, "__consumer_offsets");
  }
}

// --- shutdown and metrics ---------------------------------------------------------------

void group_coordinator::shutdown() {
  if (stopped_.exchange(true)) return;
  std::vector<std::shared_ptr<group>> all;
  {
    std::shared_lock lock(groups_mutex_);
    for (const auto& [_, g] : groups_) all.push_back(g);
  }
  for (const auto& gp : all) {
    outbox out;
    std::lock_guard lock(gp->mutex);
    for (auto& [id, m] : gp->members) {
      if (m->awaiting_join) {
        join_response r;
        r.error = error_code::not_coordinator;
        r.member_id = id;
        out.join(take(m->awaiting_join), std::move(r));
      }
      if (m->awaiting_sync) {
        sync_response r;
        r.error = error_code::not_coordinator;
        out.sync(take(m->awaiting_sync), std::move(r));
      }
    }
    cancel_timers(*gp);
  }
}

std::vector<group_snapshot> group_coordinator::snapshot() const {
  std::vector<std::shared_ptr<group>> all;
  {
    std::shared_lock lock(groups_mutex_);
    for (const auto& [_, g] : groups_) all.push_back(g);
  }
  std::vector<group_snapshot> out;
  out.reserve(all.size());
  for (const auto& g : all) {
    std::lock_guard lock(g->mutex);
    if (g->state == group_state::dead) continue;
    group_snapshot s;
    s.group_id = g->id;
    s.state = g->state;
    s.members = g->members.size();
    for (const auto& [tp, entry] : g->offsets) s.offsets.emplace_back(tp, entry.value.offset);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace wharf::broker::groups
