// The classic group protocol state machine with a manual clock: joins, syncs, heartbeats,
// leaves, rebalance and session timeouts, generation fencing, static membership, offsets,
// and rebuilding everything from the records written to the log.
#include "broker/groups/coordinator.h"

#include <gtest/gtest.h>

#include <map>

#include "base/bytes.h"
#include "broker/groups/group_records.h"
#include "kafka/protocol/generated/consumer_protocol_subscription.h"

namespace wharf::broker::groups {
namespace {

using kafka::protocol::error_code;

// Timers fire only when the test advances the clock.
class manual_scheduler final : public scheduler {
 public:
  struct entry : timer {
    std::function<void()> fn;
    bool cancelled = false;
    bool cancel() override {
      if (cancelled || !fn) return false;
      cancelled = true;
      return true;
    }
  };

  std::int64_t now_ms() override { return now_; }
  std::int64_t wall_ms() override { return 1'700'000'000'000 + now_; }
  std::shared_ptr<timer> schedule(std::int64_t delay_ms, std::function<void()> fn) override {
    auto e = std::make_shared<entry>();
    e->fn = std::move(fn);
    timers_.emplace(now_ + std::max<std::int64_t>(delay_ms, 0), e);
    return e;
  }

  // Moves the clock forward, firing due timers in time order.
  void advance(std::int64_t ms) {
    auto until = now_ + ms;
    for (;;) {
      auto it = timers_.begin();
      if (it == timers_.end() || it->first > until) break;
      now_ = std::max(now_, it->first);
      auto e = it->second;
      timers_.erase(it);
      if (e->cancelled || !e->fn) continue;
      auto fn = std::move(e->fn);
      e->fn = nullptr;
      fn();
    }
    now_ = until;
  }

 private:
  std::int64_t now_ = 0;
  std::multimap<std::int64_t, std::shared_ptr<entry>> timers_;
};

class memory_log final : public group_log {
 public:
  struct written {
    std::int32_t partition;
    record r;
  };
  std::int32_t partition_count() const override { return 50; }
  error_code prepare() override { return error_code::none; }
  error_code append(std::int32_t partition, const std::vector<record>& records) override {
    if (fail_with != error_code::none) return fail_with;
    for (const auto& r : records) log.push_back({partition, r});
    return error_code::none;
  }
  std::vector<written> log;
  error_code fail_with = error_code::none;
};

std::string subscription(std::vector<std::string> topics) {
  kafka::protocol::consumer_protocol_subscription s;
  s.topics = std::move(topics);
  std::string out;
  byte_writer w(out);
  w.write_int16(0);
  s.encode(w, 0);
  return out;
}

struct join_outcome {
  bool answered = false;
  join_response response;
};

struct sync_outcome {
  bool answered = false;
  sync_response response;
};

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override { make(); }

  void make(coordinator_options options = {}) {
    clock = std::make_shared<manual_scheduler>();
    log = std::make_shared<memory_log>();
    coordinator = group_coordinator::create(options, clock, log);
  }

  join_request request(const std::string& member_id = "",
                       std::vector<protocol_metadata> protocols = {}) {
    join_request r;
    r.group_id = "g";
    r.member_id = member_id;
    r.client_id = "client";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.protocol_type = "consumer";
    r.protocols = protocols.empty()
                      ? std::vector<protocol_metadata>{{"range", subscription({"t1"})}}
                      : std::move(protocols);
    return r;
  }

  std::shared_ptr<join_outcome> join(join_request r) {
    auto out = std::make_shared<join_outcome>();
    coordinator->join(std::move(r), [out](join_response response) {
      EXPECT_FALSE(out->answered) << "answered twice";
      out->answered = true;
      out->response = std::move(response);
    });
    return out;
  }

  std::shared_ptr<sync_outcome> sync(
      const std::string& member_id, std::int32_t generation,
      std::vector<std::pair<std::string, std::string>> assignments = {}) {
    sync_request r;
    r.group_id = "g";
    r.member_id = member_id;
    r.generation = generation;
    r.assignments = std::move(assignments);
    auto out = std::make_shared<sync_outcome>();
    coordinator->sync(std::move(r), [out](sync_response response) {
      EXPECT_FALSE(out->answered) << "answered twice";
      out->answered = true;
      out->response = std::move(response);
    });
    return out;
  }

  error_code heartbeat(const std::string& member_id, std::int32_t generation,
                       std::optional<std::string> instance = std::nullopt) {
    return coordinator->heartbeat("g", generation, member_id, instance);
  }

  // A member that joins alone into an empty group and syncs: returns its id.
  std::string stable_single_member() {
    auto first = join(request());
    EXPECT_TRUE(first->answered);
    EXPECT_EQ(first->response.error, error_code::none);
    auto id = first->response.member_id;
    auto s = sync(id, first->response.generation, {{id, "assignment-1"}});
    EXPECT_TRUE(s->answered);
    EXPECT_EQ(s->response.error, error_code::none);
    return id;
  }

  group_state state() { return coordinator->describe_group("g").state; }

  std::shared_ptr<manual_scheduler> clock;
  std::shared_ptr<memory_log> log;
  std::shared_ptr<group_coordinator> coordinator;
};

TEST_F(CoordinatorTest, TwoStepJoinThenSyncAndHeartbeat) {
  auto r = request();
  r.require_known_member_id = true;
  auto first = join(r);
  ASSERT_TRUE(first->answered);
  EXPECT_EQ(first->response.error, error_code::member_id_required);
  auto id = first->response.member_id;
  EXPECT_EQ(id.rfind("client-", 0), 0u);
  EXPECT_EQ(id.size(), std::string("client-").size() + 36);

  r.member_id = id;
  auto second = join(r);
  ASSERT_TRUE(second->answered);
  const auto& jr = second->response;
  EXPECT_EQ(jr.error, error_code::none);
  EXPECT_EQ(jr.generation, 1);
  EXPECT_EQ(jr.leader, id);
  EXPECT_EQ(jr.protocol_name, "range");
  EXPECT_EQ(jr.protocol_type, "consumer");
  ASSERT_EQ(jr.members.size(), 1u);
  EXPECT_EQ(jr.members[0].metadata, subscription({"t1"}));
  EXPECT_EQ(state(), group_state::completing_rebalance);

  auto s = sync(id, 1, {{id, "asg"}});
  ASSERT_TRUE(s->answered);
  EXPECT_EQ(s->response.error, error_code::none);
  EXPECT_EQ(s->response.assignment, "asg");
  EXPECT_EQ(s->response.protocol_name, "range");
  EXPECT_EQ(state(), group_state::stable);
  EXPECT_EQ(heartbeat(id, 1), error_code::none);

  auto d = coordinator->describe_group("g");
  EXPECT_EQ(d.protocol, "range");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].assignment, "asg");
  EXPECT_EQ(d.members[0].client_host, "/127.0.0.1");
  // The stable generation was written to the log (GroupMetadataKey).
  ASSERT_FALSE(log->log.empty());
  EXPECT_EQ(log->log.back().partition, partition_for_group("g", 50));
  auto key = decode_key(log->log.back().r.key);
  ASSERT_TRUE(key);
  EXPECT_TRUE(std::holds_alternative<group_metadata_key>(*key));
}

TEST_F(CoordinatorTest, SecondMemberTriggersRebalanceAndFollowerWaitsForLeader) {
  auto a = stable_single_member();
  auto b_join = join(request());
  EXPECT_FALSE(b_join->answered);  // parked until a rejoins
  EXPECT_EQ(state(), group_state::preparing_rebalance);
  EXPECT_EQ(heartbeat(a, 1), error_code::rebalance_in_progress);

  auto a_join = join(request(a));
  ASSERT_TRUE(a_join->answered && b_join->answered);
  EXPECT_EQ(a_join->response.generation, 2);
  EXPECT_EQ(b_join->response.generation, 2);
  EXPECT_EQ(a_join->response.leader, a);
  EXPECT_EQ(a_join->response.members.size(), 2u);
  EXPECT_TRUE(b_join->response.members.empty());
  auto b = b_join->response.member_id;

  auto b_sync = sync(b, 2);
  EXPECT_FALSE(b_sync->answered);
  // Heartbeats are fine between JoinGroup and SyncGroup.
  EXPECT_EQ(heartbeat(b, 2), error_code::none);
  auto a_sync = sync(a, 2, {{a, "A"}, {b, "B"}, {"stranger", "X"}});
  ASSERT_TRUE(a_sync->answered && b_sync->answered);
  EXPECT_EQ(a_sync->response.assignment, "A");
  EXPECT_EQ(b_sync->response.assignment, "B");
  EXPECT_EQ(state(), group_state::stable);
}

TEST_F(CoordinatorTest, RebalanceTimeoutDropsMembersThatDidNotRejoin) {
  auto a = stable_single_member();
  auto b_join = join(request());
  auto a_join = join(request(a));
  auto b = b_join->response.member_id;
  sync(b, 2);
  sync(a, 2, {{a, "A"}, {b, "B"}});
  ASSERT_EQ(state(), group_state::stable);

  auto c_join = join(request());  // a rejoins, b never does
  auto a_again = join(request(a));
  EXPECT_FALSE(c_join->answered);
  clock->advance(9000);  // b's session (10 s) is not over; the rebalance timeout (30 s) neither
  EXPECT_EQ(heartbeat(b, 2), error_code::rebalance_in_progress);
  clock->advance(21000);
  ASSERT_TRUE(c_join->answered && a_again->answered);
  EXPECT_EQ(a_again->response.generation, 3);
  EXPECT_EQ(a_again->response.members.size(), 2u);
  EXPECT_EQ(heartbeat(b, 2), error_code::unknown_member_id);
}

TEST_F(CoordinatorTest, SessionTimeoutRemovesSilentMember) {
  auto a = stable_single_member();
  auto b_join = join(request());
  auto a_join = join(request(a));
  auto b = b_join->response.member_id;
  sync(b, 2);
  sync(a, 2, {{a, "A"}, {b, "B"}});
  for (int i = 0; i < 3; ++i) {
    clock->advance(3000);
    EXPECT_EQ(heartbeat(a, 2), error_code::none);  // b stays silent
  }
  clock->advance(2000);
  // 11 s without a heartbeat from b: it is gone and the group rebalances.
  EXPECT_EQ(state(), group_state::preparing_rebalance);
  EXPECT_EQ(heartbeat(b, 2), error_code::unknown_member_id);
  EXPECT_EQ(heartbeat(a, 2), error_code::rebalance_in_progress);
  auto again = join(request(a));
  ASSERT_TRUE(again->answered);
  EXPECT_EQ(again->response.generation, 3);
  EXPECT_EQ(again->response.members.size(), 1u);
}

TEST_F(CoordinatorTest, GenerationFencing) {
  auto a = stable_single_member();
  EXPECT_EQ(heartbeat(a, 0), error_code::illegal_generation);
  EXPECT_EQ(heartbeat("nobody", 1), error_code::unknown_member_id);
  EXPECT_EQ(coordinator->heartbeat("other", 1, a, std::nullopt), error_code::unknown_member_id);
  EXPECT_EQ(sync("nobody", 1)->response.error, error_code::unknown_member_id);
  EXPECT_EQ(sync(a, 7)->response.error, error_code::illegal_generation);

  commit_request c;
  c.group_id = "g";
  c.member_id = a;
  c.generation = 0;
  c.entries.push_back({{"t1", 0}, 10, -1, ""});
  EXPECT_EQ(coordinator->commit_offsets(c)[0], error_code::illegal_generation);
  c.generation = -1;
  c.member_id = "";
  EXPECT_EQ(coordinator->commit_offsets(c)[0], error_code::unknown_member_id);
  c.generation = 1;
  c.member_id = a;
  EXPECT_EQ(coordinator->commit_offsets(c)[0], error_code::none);

  // During CompletingRebalance a commit of the new generation waits for SyncGroup.
  auto b_join = join(request());
  auto a_join = join(request(a));
  ASSERT_EQ(state(), group_state::completing_rebalance);
  c.generation = 2;
  EXPECT_EQ(coordinator->commit_offsets(c)[0], error_code::rebalance_in_progress);
  c.generation = 1;
  EXPECT_EQ(coordinator->commit_offsets(c)[0], error_code::illegal_generation);
  // An unknown group: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND from v9.
  c.group_id = "missing";
  c.api_version = 8;
  EXPECT_EQ(coordinator->commit_offsets(c)[0], error_code::illegal_generation);
  c.api_version = 9;
  EXPECT_EQ(coordinator->commit_offsets(c)[0], error_code::group_id_not_found);
}

TEST_F(CoordinatorTest, LeavingMembersAndDeletingTheGroup) {
  auto a = stable_single_member();
  commit_request c;
  c.group_id = "g";
  c.member_id = a;
  c.generation = 1;
  c.entries.push_back({{"t1", 0}, 10, 3, "m"});
  ASSERT_EQ(coordinator->commit_offsets(c)[0], error_code::none);
  EXPECT_EQ(coordinator->delete_group("g"), error_code::non_empty_group);

  auto left = coordinator->leave("g", {{a, std::nullopt}, {"nobody", std::nullopt}});
  EXPECT_EQ(left.error, error_code::none);
  EXPECT_EQ(left.members,
            (std::vector<error_code>{error_code::none, error_code::unknown_member_id}));
  auto d = coordinator->describe_group("g");
  EXPECT_EQ(d.state, group_state::empty);
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_TRUE(d.members.empty());
  auto fetched = coordinator->fetch_offsets("g", std::nullopt, false);
  ASSERT_EQ(fetched.offsets.size(), 1u);
  EXPECT_EQ(fetched.offsets[0].offset, 10);
  EXPECT_EQ(fetched.offsets[0].leader_epoch, 3);
  EXPECT_EQ(fetched.offsets[0].metadata, "m");

  EXPECT_EQ(coordinator->leave("missing", {{"x", std::nullopt}}).members[0],
            error_code::unknown_member_id);
  EXPECT_EQ(coordinator->leave("", {{"x", std::nullopt}}).error, error_code::invalid_group_id);
  EXPECT_EQ(coordinator->delete_group("missing"), error_code::group_id_not_found);
  EXPECT_EQ(coordinator->delete_group(""), error_code::invalid_group_id);
  auto before = log->log.size();
  EXPECT_EQ(coordinator->delete_group("g"), error_code::none);
  // Tombstones for the offset and the group.
  ASSERT_EQ(log->log.size(), before + 2);
  EXPECT_FALSE(log->log[before].r.value);
  EXPECT_FALSE(log->log[before + 1].r.value);
  EXPECT_EQ(coordinator->describe_group("g").state, group_state::dead);
  EXPECT_EQ(coordinator->fetch_offsets("g", std::nullopt, false).offsets.size(), 0u);
  EXPECT_TRUE(coordinator->list_groups().empty());
}

TEST_F(CoordinatorTest, StaticMemberRejoinsWithoutRebalance) {
  auto r = request();
  r.group_instance_id = "instance-1";
  r.require_known_member_id = true;  // static members skip MEMBER_ID_REQUIRED
  auto first = join(r);
  ASSERT_TRUE(first->answered);
  ASSERT_EQ(first->response.error, error_code::none);
  auto old_id = first->response.member_id;
  EXPECT_EQ(old_id.rfind("instance-1-", 0), 0u);
  sync(old_id, 1, {{old_id, "A"}});
  ASSERT_EQ(state(), group_state::stable);

  // The instance restarts: same instance id, no member id.
  r.supports_skip_assignment = true;
  auto again = join(r);
  ASSERT_TRUE(again->answered);
  EXPECT_EQ(again->response.error, error_code::none);
  auto new_id = again->response.member_id;
  EXPECT_NE(new_id, old_id);
  EXPECT_EQ(again->response.generation, 1);
  EXPECT_EQ(again->response.leader, new_id);
  EXPECT_TRUE(again->response.skip_assignment);
  EXPECT_EQ(state(), group_state::stable);
  EXPECT_EQ(sync(new_id, 1)->response.assignment, "A");

  EXPECT_EQ(heartbeat(old_id, 1, "instance-1"), error_code::fenced_instance_id);
  EXPECT_EQ(heartbeat(new_id, 1, "instance-1"), error_code::none);
  EXPECT_EQ(heartbeat(new_id, 1, "instance-2"), error_code::unknown_member_id);
  // Removal by instance id alone.
  EXPECT_EQ(coordinator->leave("g", {{"", "instance-1"}}).members[0], error_code::none);
  EXPECT_EQ(state(), group_state::empty);
}

TEST_F(CoordinatorTest, StaticMemberReplacementFencesParkedJoin) {
  auto r = request();
  r.group_instance_id = "i";
  auto first = join(r);
  auto old_id = first->response.member_id;
  sync(old_id, 1, {{old_id, "A"}});
  auto other = join(request());  // a dynamic member joins: rebalance
  auto old_rejoin = join(request(old_id));
  // old_id rejoined without its instance id: a static member must say who it is.
  EXPECT_EQ(old_rejoin->response.error, error_code::none);
  ASSERT_TRUE(other->answered);

  // Next round: old_id parks in JoinGroup, then a new process of the same instance arrives.
  auto b = other->response.member_id;
  sync(b, 2);
  sync(old_id, 2, {{old_id, "A"}, {b, "B"}});
  auto third = join(request());  // rebalance again
  auto parked = join([&] {
    auto q = request(old_id);
    q.group_instance_id = "i";
    return q;
  }());
  EXPECT_FALSE(parked->answered);
  auto replacement = join(r);
  ASSERT_TRUE(parked->answered);
  EXPECT_EQ(parked->response.error, error_code::fenced_instance_id);
  EXPECT_FALSE(replacement->answered);  // joins this round with the others
  join(request(b));
  ASSERT_TRUE(replacement->answered && third->answered);
  EXPECT_EQ(replacement->response.error, error_code::none);
  EXPECT_EQ(replacement->response.generation, 3);
}

TEST_F(CoordinatorTest, ProtocolChecksAndSelection) {
  auto a = join(request("", {{"range", "x"}, {"roundrobin", "y"}}));
  ASSERT_EQ(a->response.error, error_code::none);
  // No protocol in common.
  EXPECT_EQ(join(request("", {{"sticky", "z"}}))->response.error,
            error_code::inconsistent_group_protocol);
  auto wrong_type = request("", {{"range", "x"}});
  wrong_type.protocol_type = "connect";
  EXPECT_EQ(join(wrong_type)->response.error, error_code::inconsistent_group_protocol);
  auto none = request();
  none.protocols.clear();
  none.group_id = "fresh";
  EXPECT_EQ(join(none)->response.error, error_code::inconsistent_group_protocol);
  EXPECT_EQ(coordinator->describe_group("fresh").state, group_state::dead);

  // b and c prefer roundrobin: it wins the vote 2 to 1.
  auto b = join(request("", {{"roundrobin", "y"}, {"range", "x"}}));
  auto c = join(request("", {{"roundrobin", "y"}, {"range", "x"}}));
  join(request(a->response.member_id, {{"range", "x"}, {"roundrobin", "y"}}));
  join(request(b->response.member_id, {{"roundrobin", "y"}, {"range", "x"}}));
  ASSERT_TRUE(c->answered);
  EXPECT_EQ(c->response.protocol_name, "roundrobin");
  EXPECT_EQ(c->response.generation, 2);
}

TEST_F(CoordinatorTest, SessionTimeoutBounds) {
  auto r = request();
  r.session_timeout_ms = 5999;
  EXPECT_EQ(join(r)->response.error, error_code::invalid_session_timeout);
  r.session_timeout_ms = 1800001;
  EXPECT_EQ(join(r)->response.error, error_code::invalid_session_timeout);
  r.group_id = "";
  r.session_timeout_ms = 10000;
  EXPECT_EQ(join(r)->response.error, error_code::invalid_group_id);
}

TEST_F(CoordinatorTest, SimpleConsumerOffsets) {
  commit_request c;
  c.group_id = "simple";
  c.generation = -1;
  c.entries.push_back({{"t1", 0}, 5, -1, ""});
  c.entries.push_back({{"t1", 1}, 6, -1, std::string(4097, 'x')});
  auto errors = coordinator->commit_offsets(c);
  EXPECT_EQ(errors[0], error_code::none);
  EXPECT_EQ(errors[1], error_code::offset_metadata_too_large);
  auto listed = coordinator->list_groups();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_id, "simple");
  EXPECT_EQ(listed[0].protocol_type, "");
  EXPECT_EQ(listed[0].state, group_state::empty);

  auto f = coordinator->fetch_offsets("simple", std::vector<topic_partition>{{"t1", 0}, {"t1", 1}},
                                      false);
  ASSERT_EQ(f.offsets.size(), 2u);
  EXPECT_EQ(f.offsets[0].offset, 5);
  EXPECT_EQ(f.offsets[1].offset, -1);
  EXPECT_EQ(f.offsets[1].error, error_code::none);
  auto unknown = coordinator->fetch_offsets("nope", std::vector<topic_partition>{{"t", 0}}, false);
  EXPECT_EQ(unknown.error, error_code::none);
  EXPECT_EQ(unknown.offsets[0].offset, -1);
  EXPECT_TRUE(coordinator->fetch_offsets("nope", std::nullopt, false).offsets.empty());

  // A storage failure reaches the client as the log's error, and nothing changes.
  log->fail_with = error_code::not_coordinator;
  c.entries.resize(1);
  c.entries[0].offset = 9;
  EXPECT_EQ(coordinator->commit_offsets(c)[0], error_code::not_coordinator);
  log->fail_with = error_code::none;
  EXPECT_EQ(coordinator->fetch_offsets("simple", std::nullopt, false).offsets[0].offset, 5);
}

TEST_F(CoordinatorTest, OffsetDeleteRespectsSubscriptions) {
  auto a = stable_single_member();  // subscribed to t1
  commit_request c;
  c.group_id = "g";
  c.member_id = a;
  c.generation = 1;
  c.entries.push_back({{"t1", 0}, 1, -1, ""});
  c.entries.push_back({{"t2", 0}, 2, -1, ""});
  coordinator->commit_offsets(c);
  auto r = coordinator->delete_offsets("g", {{"t1", 0}, {"t2", 0}});
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.partitions,
            (std::vector<error_code>{error_code::group_subscribed_to_topic, error_code::none}));
  auto f = coordinator->fetch_offsets("g", std::nullopt, false);
  ASSERT_EQ(f.offsets.size(), 1u);
  EXPECT_EQ(f.offsets[0].tp.topic, "t1");
  EXPECT_EQ(coordinator->delete_offsets("nope", {{"t1", 0}}).error, error_code::group_id_not_found);

  // Once empty, everything can go, and the group with it.
  coordinator->leave("g", {{a, std::nullopt}});
  r = coordinator->delete_offsets("g", {{"t1", 0}});
  EXPECT_EQ(r.partitions[0], error_code::none);
  EXPECT_EQ(state(), group_state::dead);
}

TEST_F(CoordinatorTest, OffsetsOfEmptyGroupsExpireAfterRetention) {
  coordinator_options options;
  options.offsets_retention_ms = 60'000;
  make(options);
  auto a = stable_single_member();
  commit_request c;
  c.group_id = "g";
  c.member_id = a;
  c.generation = 1;
  c.entries.push_back({{"t1", 0}, 1, -1, ""});
  coordinator->commit_offsets(c);
  for (int i = 0; i < 12; ++i) {
    clock->advance(9'000);
    EXPECT_EQ(heartbeat(a, 1), error_code::none);
  }
  coordinator->expire_offsets();  // the group has members: nothing expires
  EXPECT_EQ(coordinator->fetch_offsets("g", std::nullopt, false).offsets.size(), 1u);

  coordinator->leave("g", {{a, std::nullopt}});
  clock->advance(59'000);
  coordinator->expire_offsets();
  EXPECT_EQ(coordinator->fetch_offsets("g", std::nullopt, false).offsets.size(), 1u);
  clock->advance(2'000);  // the retention counts from when the group became empty
  coordinator->expire_offsets();
  EXPECT_TRUE(coordinator->fetch_offsets("g", std::nullopt, false).offsets.empty());
  EXPECT_EQ(state(), group_state::dead);
}

TEST_F(CoordinatorTest, InitialRebalanceDelayWaitsForMoreMembers) {
  coordinator_options options;
  options.initial_rebalance_delay_ms = 3000;
  make(options);
  auto a = join(request());
  clock->advance(2000);
  auto b = join(request());
  clock->advance(2000);  // the first delay is over, but b arrived meanwhile: another delay
  EXPECT_FALSE(a->answered);
  clock->advance(2500);
  ASSERT_TRUE(a->answered && b->answered);
  EXPECT_EQ(a->response.generation, 1);
  EXPECT_EQ(b->response.generation, 1);
}

TEST_F(CoordinatorTest, MembersThatNeverSyncAreRemoved) {
  auto a = stable_single_member();
  auto b_join = join(request());
  join(request(a));
  sync(a, 2, {{a, "A"}});  // the leader syncs, b only heartbeats
  ASSERT_EQ(state(), group_state::stable);
  auto b = b_join->response.member_id;
  for (int i = 0; i < 5; ++i) {
    clock->advance(5'000);
    EXPECT_EQ(heartbeat(a, 2), error_code::none);
    EXPECT_EQ(heartbeat(b, 2), error_code::none);
  }
  clock->advance(5'000);  // the rebalance timeout since the join completed
  EXPECT_EQ(state(), group_state::preparing_rebalance);
  EXPECT_EQ(heartbeat(b, 2), error_code::unknown_member_id);
  EXPECT_EQ(heartbeat(a, 2), error_code::rebalance_in_progress);
}

TEST_F(CoordinatorTest, PendingMemberThatNeverRejoinsIsForgotten) {
  auto r = request();
  r.require_known_member_id = true;
  auto first = join(r);
  ASSERT_EQ(first->response.error, error_code::member_id_required);
  EXPECT_EQ(state(), group_state::empty);
  clock->advance(10'000);
  EXPECT_EQ(state(), group_state::dead);
  // A late join with that id is refused.
  r.member_id = first->response.member_id;
  EXPECT_EQ(join(r)->response.error, error_code::unknown_member_id);
}

TEST_F(CoordinatorTest, TransactionalOffsetsCountOnCommit) {
  coordinator->stage_transactional_offsets("g", 77, {{{"t1", 0}, 40, -1, ""}});
  auto stable = coordinator->fetch_offsets("g", std::vector<topic_partition>{{"t1", 0}}, true);
  EXPECT_EQ(stable.offsets[0].error, error_code::unstable_offset_commit);
  auto plain = coordinator->fetch_offsets("g", std::vector<topic_partition>{{"t1", 0}}, false);
  EXPECT_EQ(plain.offsets[0].offset, -1);
  coordinator->complete_transaction(77, true);
  plain = coordinator->fetch_offsets("g", std::vector<topic_partition>{{"t1", 0}}, true);
  EXPECT_EQ(plain.offsets[0].error, error_code::none);
  EXPECT_EQ(plain.offsets[0].offset, 40);

  coordinator->stage_transactional_offsets("g", 78, {{{"t1", 0}, 99, -1, ""}});
  coordinator->complete_transaction(78, false);
  EXPECT_EQ(coordinator->fetch_offsets("g", std::nullopt, true).offsets[0].offset, 40);
}

TEST_F(CoordinatorTest, ShutdownAnswersParkedRequests) {
  auto a = stable_single_member();
  auto b = join(request());
  EXPECT_FALSE(b->answered);
  coordinator->shutdown();
  ASSERT_TRUE(b->answered);
  EXPECT_EQ(b->response.error, error_code::not_coordinator);
  EXPECT_EQ(heartbeat(a, 1), error_code::not_coordinator);
}

TEST_F(CoordinatorTest, ReplayRebuildsGroupsAndOffsets) {
  auto a = stable_single_member();
  auto b_join = join(request());
  join(request(a));
  auto b = b_join->response.member_id;
  sync(b, 2);
  sync(a, 2, {{a, "A"}, {b, "B"}});
  commit_request c;
  c.group_id = "g";
  c.member_id = a;
  c.generation = 2;
  c.entries.push_back({{"t1", 0}, 11, 4, "meta"});
  c.entries.push_back({{"t1", 1}, 12, -1, ""});
  coordinator->commit_offsets(c);
  c.entries = {{{"t1", 1}, 13, -1, ""}};
  coordinator->commit_offsets(c);
  commit_request simple;
  simple.group_id = "gone";
  simple.entries.push_back({{"t9", 0}, 1, -1, ""});
  coordinator->commit_offsets(simple);
  coordinator->delete_group("gone");

  // A new coordinator (a restarted broker) reads the log back.
  auto records = log->log;
  auto clock2 = std::make_shared<manual_scheduler>();
  auto log2 = std::make_shared<memory_log>();
  auto restored = group_coordinator::create({}, clock2, log2);
  for (const auto& w : records) {
    replayed_record r;
    r.key = w.r.key;
    if (w.r.value) r.value = std::string_view(*w.r.value);
    restored->replay(r);
  }
  restored->finish_replay();

  auto d = restored->describe_group("g");
  EXPECT_EQ(d.state, group_state::stable);
  EXPECT_EQ(d.protocol, "range");
  ASSERT_EQ(d.members.size(), 2u);
  std::map<std::string, std::string> assignments;
  for (const auto& m : d.members) assignments[m.member_id] = m.assignment;
  EXPECT_EQ(assignments[a], "A");
  EXPECT_EQ(assignments[b], "B");
  auto f = restored->fetch_offsets("g", std::nullopt, false);
  ASSERT_EQ(f.offsets.size(), 2u);
  EXPECT_EQ(f.offsets[0].offset, 11);
  EXPECT_EQ(f.offsets[0].leader_epoch, 4);
  EXPECT_EQ(f.offsets[0].metadata, "meta");
  EXPECT_EQ(f.offsets[1].offset, 13);
  EXPECT_EQ(restored->describe_group("gone").state, group_state::dead);
  ASSERT_EQ(restored->list_groups().size(), 1u);

  // The members carry on in their generation; one that stays silent times out.
  EXPECT_EQ(restored->heartbeat("g", 2, a, std::nullopt), error_code::none);
  EXPECT_EQ(restored->heartbeat("g", 1, a, std::nullopt), error_code::illegal_generation);
  for (int i = 0; i < 3; ++i) {
    clock2->advance(3000);
    EXPECT_EQ(restored->heartbeat("g", 2, a, std::nullopt), error_code::none);
  }
  clock2->advance(2000);
  EXPECT_EQ(restored->heartbeat("g", 2, a, std::nullopt), error_code::rebalance_in_progress);
  EXPECT_EQ(restored->heartbeat("g", 2, b, std::nullopt), error_code::unknown_member_id);
}

TEST_F(CoordinatorTest, ReplayedTransactionalOffsetsNeedTheirMarker) {
  auto records = std::vector<std::pair<std::string, std::string>>{
      {encode_key(offset_commit_key{"g", "t", 0}),
       encode_value(offset_commit_value{5, -1, "", 1, std::nullopt})},
  };
  replayed_record r;
  r.key = records[0].first;
  r.value = std::string_view(records[0].second);
  r.transactional_producer_id = 9;
  coordinator->replay(r);
  coordinator->finish_replay();
  EXPECT_EQ(coordinator->fetch_offsets("g", std::vector<topic_partition>{{"t", 0}}, true)
                .offsets[0]
                .error,
            error_code::unstable_offset_commit);
  coordinator->replay_transaction_marker(9, true);
  EXPECT_EQ(coordinator->fetch_offsets("g", std::nullopt, true).offsets[0].offset, 5);
}

}  // namespace
}  // namespace wharf::broker::groups
