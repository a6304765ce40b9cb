// The group coordinator's log on real partition logs: __consumer_offsets is created on
// first use (internal, compacted), commits and tombstones written through it come back
// after a restart, and transactional offsets count once their COMMIT marker is read.
#include "broker/offsets_topic.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "broker/append_notifier.h"
#include "broker/groups/group_records.h"
#include "broker/topic_manager.h"
#include "kafka/records/builder.h"

namespace wharf::broker {
namespace {

namespace fs = std::filesystem;
using groups::error_code;

// Timers never fire here: the tests only need the clock.
class still_clock final : public groups::scheduler {
 public:
  struct never : timer {
    bool cancel() override { return true; }
  };
  std::int64_t now_ms() override { return 0; }
  std::int64_t wall_ms() override { return 1'700'000'000'000; }
  std::shared_ptr<timer> schedule(std::int64_t, std::function<void()>) override {
    return std::make_shared<never>();
  }
};

struct OffsetsTopicTest : ::testing::Test {
  fs::path dir;
  append_notifier appends;

  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("wharf-offsets-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::unique_ptr<topic_manager> open_topics() {
    auto m = topic_manager::open(dir, {});
    EXPECT_TRUE(m) << m.err().message();
    return std::move(*m);
  }
};

TEST_F(OffsetsTopicTest, CommitsSurviveARestart) {
  {
    auto topics = open_topics();
    auto log = std::make_shared<offsets_topic_log>(*topics, appends, 5);
    EXPECT_FALSE(topics->find(offsets_topic_name));
    auto coordinator = groups::group_coordinator::create({}, std::make_shared<still_clock>(), log);
    ASSERT_EQ(coordinator->prepare(), error_code::none);
    auto t = topics->find(offsets_topic_name);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->partitions.size(), 5u);
    EXPECT_TRUE(t->internal);
    EXPECT_TRUE(t->log.cleanup_compact);
    EXPECT_FALSE(t->log.cleanup_delete);

    groups::commit_request c;
    c.group_id = "kept";
    c.entries = {{{"orders", 0}, 17, 2, "meta"}, {{"orders", 1}, 3, -1, ""}};
    ASSERT_EQ(coordinator->commit_offsets(c),
              (std::vector<error_code>{error_code::none, error_code::none}));
    c.entries = {{{"orders", 1}, 4, -1, ""}};
    coordinator->commit_offsets(c);
    c.group_id = "removed";
    coordinator->commit_offsets(c);
    ASSERT_EQ(coordinator->delete_group("removed"), error_code::none);

    // A transactional commit of producer 42 (as TxnOffsetCommit writes it) and its marker.
    auto partition = groups::partition_for_group("txn", 5);
    auto& part = *t->partitions[static_cast<std::size_t>(partition)];
    kafka::records::batch_options txn;
    txn.producer_id = 42;
    txn.producer_epoch = 0;
    txn.base_sequence = 0;
    txn.transactional = true;
    kafka::records::batch_builder builder(txn);
    auto key = groups::encode_key(groups::offset_commit_key{"txn", "orders", 0});
    auto value = groups::encode_value(groups::offset_commit_value{99, -1, "", 1, std::nullopt});
    builder.append(1, key, value);
    auto batch = std::move(builder).build();
    ASSERT_TRUE(batch);
    ASSERT_TRUE(part.log().append(*batch));
    kafka::records::end_txn_marker_options marker;
    marker.commit = true;
    marker.producer_id = 42;
    marker.producer_epoch = 0;
    marker.timestamp_ms = 2;
    ASSERT_TRUE(part.log().append(kafka::records::build_end_txn_marker_batch(marker)));
    topics->close_all();
  }

  auto topics = open_topics();
  // The existing topic's partition count wins over the configured one.
  auto log = std::make_shared<offsets_topic_log>(*topics, appends, 50);
  EXPECT_EQ(log->partition_count(), 5);
  auto coordinator = groups::group_coordinator::create({}, std::make_shared<still_clock>(), log);
  ASSERT_TRUE(log->replay_into(*coordinator));
  auto kept = coordinator->fetch_offsets("kept", std::nullopt, false);
  ASSERT_EQ(kept.offsets.size(), 2u);
  EXPECT_EQ(kept.offsets[0].offset, 17);
  EXPECT_EQ(kept.offsets[0].leader_epoch, 2);
  EXPECT_EQ(kept.offsets[0].metadata, "meta");
  EXPECT_EQ(kept.offsets[1].offset, 4);
  EXPECT_TRUE(coordinator->fetch_offsets("removed", std::nullopt, false).offsets.empty());
  auto txn = coordinator->fetch_offsets("txn", std::nullopt, true);
  ASSERT_EQ(txn.offsets.size(), 1u);
  EXPECT_EQ(txn.offsets[0].offset, 99);
  EXPECT_EQ(txn.offsets[0].error, error_code::none);
  std::map<std::string, groups::group_state> listed;
  for (const auto& g : coordinator->list_groups()) listed[g.group_id] = g.state;
  EXPECT_EQ(listed,
            (std::map<std::string, groups::group_state>{{"kept", groups::group_state::empty},
                                                        {"txn", groups::group_state::empty}}));
  topics->close_all();
}

}  // namespace
}  // namespace wharf::broker
