#include "broker/topic_manager.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "broker/append_notifier.h"
#include "broker/fetch_sessions.h"
#include "broker/producer_state.h"
#include "broker/topic_names.h"

namespace wharf::broker {
namespace {

namespace fs = std::filesystem;
using kafka::protocol::error_code;

struct TopicManagerTest : ::testing::Test {
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("wharf-topics-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::unique_ptr<topic_manager> open() {
    auto m = topic_manager::open(dir, {});
    EXPECT_TRUE(m) << m.err().message();
    return std::move(*m);
  }
};

TEST_F(TopicManagerTest, CreatePersistsAcrossReopen) {
  topic_id id{};
  {
    auto m = open();
    auto t = m->create({.name = "orders", .partitions = 3, .configs = {{"retention.ms", "1000"}}});
    ASSERT_TRUE(t) << t.err().message;
    id = (*t)->id;
    EXPECT_EQ((*t)->partitions.size(), 3u);
    EXPECT_EQ((*t)->log.retention_ms, 1000);
  }
  auto m = open();
  auto t = m->find("orders");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, id);
  EXPECT_EQ(t->partitions.size(), 3u);
  EXPECT_EQ(t->overrides.at("retention.ms"), "1000");
  EXPECT_EQ(m->find(id), t);
}

TEST_F(TopicManagerTest, RefusesWhatKafkaRefuses) {
  auto m = open();
  ASSERT_TRUE(m->create({.name = "a.b"}));
  EXPECT_EQ(m->create({.name = "a.b"}).err().code, error_code::topic_already_exists);
  EXPECT_EQ(m->create({.name = "a_b"}).err().code, error_code::invalid_topic_exception);
  EXPECT_EQ(m->create({.name = "bad name"}).err().code, error_code::invalid_topic_exception);
  EXPECT_EQ(m->create({.name = std::string(250, 'x')}).err().code,
            error_code::invalid_topic_exception);
  EXPECT_EQ(m->create({.name = "zero", .partitions = 0}).err().code,
            error_code::invalid_partitions);
  EXPECT_EQ(m->create({.name = "rf3", .replication_factor = 3}).err().code,
            error_code::invalid_replication_factor);
  EXPECT_EQ(m->create({.name = "cfg", .configs = {{"no.such.config", "1"}}}).err().code,
            error_code::invalid_config);
  EXPECT_EQ(m->create({.name = "cfg", .configs = {{"retention.ms", "soon"}}}).err().code,
            error_code::invalid_config);
  EXPECT_FALSE(m->find("cfg"));
}

TEST_F(TopicManagerTest, ValidateOnlyCreatesNothing) {
  auto m = open();
  auto t = m->create({.name = "dry", .partitions = 2, .validate_only = true});
  ASSERT_TRUE(t);
  EXPECT_FALSE(m->find("dry"));
  EXPECT_FALSE(fs::exists(dir / "dry-0"));
}

TEST_F(TopicManagerTest, AlterAddPartitionsAndRemove) {
  auto m = open();
  ASSERT_TRUE(m->create({.name = "t", .partitions = 1}));
  auto altered = m->alter_configs("t", {{"cleanup.policy", "compact"}}, false, false);
  ASSERT_TRUE(altered) << altered.err().message;
  EXPECT_TRUE((*altered)->log.cleanup_compact);
  auto removed = m->alter_configs("t", {{"cleanup.policy", std::nullopt}}, false, false);
  ASSERT_TRUE(removed);
  EXPECT_FALSE((*removed)->log.cleanup_compact);

  EXPECT_EQ(m->add_partitions("t", 1, false).err().code, error_code::invalid_partitions);
  auto grown = m->add_partitions("t", 4, false);
  ASSERT_TRUE(grown);
  EXPECT_EQ((*grown)->partitions.size(), 4u);
  EXPECT_TRUE(fs::exists(dir / "t-3"));

  ASSERT_TRUE(m->remove("t"));
  EXPECT_FALSE(m->find("t"));
  EXPECT_FALSE(fs::exists(dir / "t-0"));
  EXPECT_EQ(m->remove("t").err().code, error_code::unknown_topic_or_partition);
}

TEST(TopicIds, RoundTripAsKafkaBase64) {
  for (int i = 0; i < 100; ++i) {
    auto id = new_topic_id();
    auto text = format_topic_id(id);
    EXPECT_EQ(text.size(), 22u);
    EXPECT_EQ(parse_topic_id(text), id);
  }
  EXPECT_FALSE(parse_topic_id("not-an-id"));
}

TEST(TopicNames, KafkaRules) {
  EXPECT_TRUE(validate_topic_name("orders.v1_x-y"));
  EXPECT_FALSE(validate_topic_name(""));
  EXPECT_FALSE(validate_topic_name("."));
  EXPECT_FALSE(validate_topic_name(".."));
  EXPECT_FALSE(validate_topic_name("a/b"));
  EXPECT_TRUE(is_internal_topic("__consumer_offsets"));
}

TEST(FetchSessions, CreateFindEvict) {
  fetch_session_cache cache(2);
  auto a = cache.create();
  auto b = cache.create();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->id, b->id);
  EXPECT_FALSE(cache.create()) << "both sessions were just used: no room";
  a->last_used -= std::chrono::minutes(5);
  auto c = cache.create();
  ASSERT_TRUE(c);
  EXPECT_FALSE(cache.find(a->id)) << "the least recently used session is evicted";
  EXPECT_EQ(cache.find(b->id), b);
  cache.remove(b->id);
  EXPECT_FALSE(cache.find(b->id));
}

TEST(AppendNotifier, CompletesOnceWhenEnoughBytesArrive) {
  append_notifier notifier;
  auto* p = reinterpret_cast<const partition*>(0x1);
  auto w = std::make_shared<append_notifier::waiter>();
  int completed = 0;
  w->bytes_needed = 100;
  w->complete = [&] { ++completed; };
  notifier.watch(p, w);
  notifier.notify(p, 60);
  EXPECT_EQ(completed, 0);
  notifier.notify(p, 60);
  EXPECT_EQ(completed, 1);
  notifier.notify(p, 500);
  EXPECT_EQ(completed, 1);
  EXPECT_FALSE(w->claim());
}

}  // namespace
}  // namespace wharf::broker

namespace wharf::broker {
namespace {

using verdict_kind = producer_state::verdict::kind;

TEST(ProducerState, DuplicatesGapsAndFencedEpochs) {
  producer_state state;
  EXPECT_EQ(state.check(-1, -1, -1, 3).what, verdict_kind::append) << "not idempotent";
  EXPECT_EQ(state.check(7, 0, 5, 1).what, verdict_kind::append)
      << "a producer the partition does not know may start anywhere, as in Kafka";
  ASSERT_EQ(state.check(7, 0, 0, 2).what, verdict_kind::append);
  state.record(7, 0, 0, 2, 100);
  ASSERT_EQ(state.check(7, 0, 2, 3).what, verdict_kind::append);
  state.record(7, 0, 2, 3, 102);
  auto retry = state.check(7, 0, 2, 3);
  EXPECT_EQ(retry.what, verdict_kind::duplicate);
  EXPECT_EQ(retry.duplicate_base_offset, 102);
  EXPECT_EQ(state.check(7, 0, 9, 1).code,
            kafka::protocol::error_code::out_of_order_sequence_number);
  EXPECT_EQ(state.check(7, 1, 4, 1).code, kafka::protocol::error_code::out_of_order_sequence_number)
      << "a new epoch starts at 0";
  ASSERT_EQ(state.check(7, 1, 0, 1).what, verdict_kind::append);
  state.record(7, 1, 0, 1, 105);
  EXPECT_EQ(state.check(7, 0, 5, 1).code, kafka::protocol::error_code::invalid_producer_epoch);
}

TEST(ProducerState, KeepsTheLastFiveBatchesAndWrapsSequences) {
  producer_state state;
  std::int32_t seq = INT32_MAX - 3;
  state.record(1, 0, seq, 2, 0);  // INT32_MAX-3, INT32_MAX-2
  EXPECT_EQ(state.check(1, 0, INT32_MAX - 1, 3).what, verdict_kind::append);
  state.record(1, 0, INT32_MAX - 1, 3, 2);  // INT32_MAX-1, INT32_MAX, 0
  EXPECT_EQ(state.check(1, 0, 1, 1).what, verdict_kind::append) << "wrapped past INT32_MAX";
  for (int i = 1; i <= 5; ++i) state.record(1, 0, i, 1, 4 + i);
  EXPECT_EQ(state.check(1, 0, INT32_MAX - 1, 3).what, verdict_kind::reject)
      << "only the last five batches are remembered";
  EXPECT_EQ(state.check(1, 0, 5, 1).what, verdict_kind::duplicate);
}

}  // namespace
}  // namespace wharf::broker
