// The librdkafka facade against librdkafka's mock cluster (rdkafka_mock.h): produce with
// delivery reports and the in-flight budget, metadata, watermarks, a consumer reading
// back with assign/seek/poll/commit, and errors as values. The integration tests run the
// same code against the embedded broker and Apache Kafka.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <future>

#include "kafka/client/cluster.h"

namespace wharf::kafka::client {
namespace {

using namespace std::chrono_literals;

// A mock cluster of one broker, owned by a throwaway handle.
class mock_cluster {
 public:
  mock_cluster() {
    char problem[256];
    auto* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", problem, sizeof problem);
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, problem, sizeof problem);
    cluster_ = rd_kafka_mock_cluster_new(owner_, 1);
  }
  ~mock_cluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
  }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void create_topic(const std::string& name, int partitions) {
    rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
  }

 private:
  rd_kafka_t* owner_;
  rd_kafka_mock_cluster_t* cluster_;
};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_.create_topic("events", 3);
    cluster_options options;
    options.bootstrap_servers = {mock_.bootstrap()};
    options.request_timeout = 5s;
    options.producer_delivery_timeout = 5s;
    // The mock broker does not do idempotence on every version; keep the test about us.
    options.properties["enable.idempotence"] = "false";
    auto c = cluster::connect(options);
    ASSERT_TRUE(c.ok()) << c.err().message();
    cluster_ = std::move(*c);
  }
  void TearDown() override { cluster_->shutdown(1s); }

  result<delivery_report> produce_and_wait(outgoing_record record) {
    auto promise = std::make_shared<std::promise<result<delivery_report>>>();
    auto queued = cluster_->shared_producer().produce(
        std::move(record), [promise](result<delivery_report> r) { promise->set_value(r); });
    if (!queued.ok()) return queued.err();
    auto future = promise->get_future();
    if (future.wait_for(10s) != std::future_status::ready) {
      return kafka_error(codes::local_timed_out, "no delivery report");
    }
    return future.get();
  }

  mock_cluster mock_;
  std::unique_ptr<cluster> cluster_;
};

TEST_F(ClusterTest, ProducesWithDeliveryReportsOnThePollThread) {
  auto caller = std::this_thread::get_id();
  auto promise = std::make_shared<std::promise<std::thread::id>>();
  outgoing_record record{.topic = "events", .partition = 1, .key = "k", .value = "v"};
  record.headers.push_back({"h", "x"});
  record.headers.push_back({"null", std::nullopt});
  ASSERT_TRUE(cluster_->shared_producer()
                  .produce(record,
                           [promise](result<delivery_report> r) {
                             EXPECT_TRUE(r.ok());
                             EXPECT_EQ(r->partition, 1);
                             EXPECT_EQ(r->offset, 0);
                             promise->set_value(std::this_thread::get_id());
                           })
                  .ok());
  auto future = promise->get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_NE(future.get(), caller);
  EXPECT_EQ(cluster_->shared_producer().in_flight_bytes(), 0u);

  auto second = produce_and_wait({.topic = "events", .partition = 1, .value = "again"});
  ASSERT_TRUE(second.ok()) << second.err().message();
  EXPECT_EQ(second->offset, 1);
}

TEST_F(ClusterTest, UnknownPartitionIsAnErrorValue) {
  auto r = produce_and_wait({.topic = "events", .partition = 7, .value = "v"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code(), codes::local_unknown_partition) << r.err().name();
}

TEST(ClusterBudget, RefusesRecordsBeyondTheInFlightBudgetWithoutBlocking) {
  // No broker at this address: records stay queued, so the budget fills up.
  cluster_options options;
  options.bootstrap_servers = {"127.0.0.1:1"};
  options.producer_max_in_flight_bytes = 1000;
  options.producer_delivery_timeout = 2s;
  auto c = cluster::connect(options);
  ASSERT_TRUE(c.ok());
  auto& producer = (*c)->shared_producer();
  std::atomic<int> reports{0};
  auto count = [&](result<delivery_report>) { ++reports; };
  ASSERT_TRUE(
      producer.produce({.topic = "t", .partition = 0, .value = std::string(600, 'a')}, count).ok());
  auto started = std::chrono::steady_clock::now();
  auto refused =
      producer.produce({.topic = "t", .partition = 0, .value = std::string(600, 'b')}, count);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.err().code(), codes::local_queue_full);
  EXPECT_TRUE(refused.err().retriable());
  EXPECT_EQ(producer.in_flight_bytes(), 600u);
  // Shutting down fails what is still queued: every accepted record gets its report.
  (*c)->shutdown(100ms);
  EXPECT_EQ(reports, 1);
}

TEST(ClusterOptions, AnInvalidPropertyFailsToConnect) {
  cluster_options options;
  options.bootstrap_servers = {"127.0.0.1:1"};
  options.properties["no.such.property"] = "1";
  auto c = cluster::connect(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.err().code(), codes::local_invalid_argument);
  EXPECT_NE(c.err().message().find("no.such.property"), std::string::npos);
}

TEST_F(ClusterTest, MetadataListsBrokersTopicsAndPartitions) {
  auto md = cluster_->admin_client().metadata();
  ASSERT_TRUE(md.ok()) << md.err().message();
  ASSERT_EQ(md->brokers.size(), 1u);
  const auto* topic = md->topic("events");
  ASSERT_NE(topic, nullptr);
  ASSERT_EQ(topic->partitions.size(), 3u);
  EXPECT_EQ(topic->partitions[2].id, 2);
  EXPECT_EQ(topic->partitions[2].leader, md->brokers[0].id);
  EXPECT_EQ(md->topic("missing"), nullptr);
}

TEST_F(ClusterTest, WatermarksFollowProducedRecords) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(produce_and_wait({.topic = "events", .partition = 2, .value = "v"}).ok());
  }
  auto w = cluster_->admin_client().query_watermarks("events", 2);
  ASSERT_TRUE(w.ok()) << w.err().message();
  EXPECT_EQ(w->low, 0);
  EXPECT_EQ(w->high, 3);
}

TEST_F(ClusterTest, ConsumerAssignsSeeksPollsAndCommits) {
  for (int i = 0; i < 5; ++i) {
    auto r = produce_and_wait({.topic = "events",
                               .partition = 0,
                               .key = "key-" + std::to_string(i),
                               .value = "value-" + std::to_string(i)});
    ASSERT_TRUE(r.ok()) << r.err().message();
  }
  auto made = cluster_->new_consumer(
      {.group_id = "g1", .auto_offset_reset = "earliest", .auto_commit = false});
  ASSERT_TRUE(made.ok()) << made.err().message();
  auto& consumer = **made;
  std::atomic<int> wakeups{0};
  consumer.set_wakeup([&] { ++wakeups; });
  ASSERT_TRUE(consumer.assign({{"events", 0}}).ok());
  auto assigned = consumer.assignment();
  ASSERT_TRUE(assigned.ok());
  EXPECT_EQ(*assigned, (std::vector<topic_partition>{{"events", 0}}));

  std::vector<consumed_record> records;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (records.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    auto r = consumer.poll(200ms);
    ASSERT_TRUE(r.ok()) << r.err().message();
    if (*r) records.push_back(std::move(**r));
  }
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[3].offset, 3);
  EXPECT_EQ(records[3].key, "key-3");
  EXPECT_EQ(records[3].value, "value-3");
  EXPECT_GT(wakeups, 0);

  // Commit what the client got (offset of the next record to read).
  ASSERT_TRUE(consumer.store_offsets({{"events", 0, 3}}).ok());
  ASSERT_TRUE(consumer.commit({}).ok());
  auto committed = consumer.committed({{"events", 0}}, 5s);
  ASSERT_TRUE(committed.ok()) << committed.err().message();
  EXPECT_EQ((*committed)[0].offset, 3);
  ASSERT_TRUE(consumer.commit({{"events", 0, 5, "meta"}}).ok());
  committed = consumer.committed({{"events", 0}}, 5s);
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ((*committed)[0].offset, 5);
  EXPECT_EQ((*committed)[0].metadata, "meta");

  // Back to the start.
  ASSERT_TRUE(consumer.seek({{"events", 0, offset_beginning}}).ok());
  std::optional<consumed_record> first;
  deadline = std::chrono::steady_clock::now() + 10s;
  while (!first && std::chrono::steady_clock::now() < deadline) {
    auto r = consumer.poll(200ms);
    ASSERT_TRUE(r.ok());
    first = std::move(*r);
  }
  ASSERT_TRUE(first);
  EXPECT_EQ(first->offset, 0);
  ASSERT_TRUE(consumer.close().ok());
  auto after = consumer.poll(0ms);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.err().code(), codes::local_state);
}

TEST_F(ClusterTest, ConsumerSubscribesThroughTheGroupProtocol) {
  ASSERT_TRUE(produce_and_wait({.topic = "events", .partition = 1, .value = "hello"}).ok());
  auto made = cluster_->new_consumer({.group_id = "g2", .auto_offset_reset = "earliest"});
  ASSERT_TRUE(made.ok());
  auto& consumer = **made;
  ASSERT_TRUE(consumer.subscribe({"events"}).ok());
  auto topics = consumer.subscription();
  ASSERT_TRUE(topics.ok());
  EXPECT_EQ(*topics, std::vector<std::string>{"events"});
  std::optional<consumed_record> got;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!got && std::chrono::steady_clock::now() < deadline) {
    auto r = consumer.poll(200ms);
    ASSERT_TRUE(r.ok()) << r.err().message();
    got = std::move(*r);
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value, "hello");
  ASSERT_TRUE(consumer.unsubscribe().ok());
  ASSERT_TRUE(consumer.close().ok());
}

}  // namespace
}  // namespace wharf::kafka::client
