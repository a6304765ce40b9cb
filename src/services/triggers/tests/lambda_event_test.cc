#include "services/triggers/lambda_event.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "base/base64.h"

namespace wharf::triggers {
namespace {

namespace bj = boost::json;
namespace kc = kafka::client;

kc::consumed_record make(std::string topic, int partition, std::int64_t offset,
                         std::optional<std::string> key, std::optional<std::string> value) {
  kc::consumed_record r;
  r.topic = std::move(topic);
  r.partition = partition;
  r.offset = offset;
  r.key = std::move(key);
  r.value = std::move(value);
  r.timestamp_ms = 1'545'084'650'987 + offset;
  return r;
}

TEST(LambdaEvent, MskEventGroupsRecordsByTopicPartition) {
  std::vector<kc::consumed_record> records{make("orders", 1, 7, "k1", "hello"),
                                           make("orders", 0, 3, std::nullopt, "world"),
                                           make("orders", 1, 8, "k2", std::nullopt)};
  records[0].headers.push_back({"trace", std::string("a\xff", 2)});
  records[0].headers.push_back({"empty", std::nullopt});
  records[2].log_append_time = true;
  event_source source{"arn:aws:kafka:us-east-1:000000000000:cluster/wharf/abc", "h1:9092,h2:9092"};
  auto event = bj::parse(kafka_event(source, records)).as_object();
  EXPECT_EQ(event.at("eventSource"), "aws:kafka");
  EXPECT_EQ(event.at("eventSourceArn").as_string(), source.arn);
  EXPECT_EQ(event.at("bootstrapServers"), "h1:9092,h2:9092");
  const auto& groups = event.at("records").as_object();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups.begin()->key(), "orders-1");  // order of first appearance
  const auto& p1 = groups.at("orders-1").as_array();
  ASSERT_EQ(p1.size(), 2u);
  const auto& first = p1[0].as_object();
  EXPECT_EQ(first.at("topic"), "orders");
  EXPECT_EQ(first.at("partition"), 1);
  EXPECT_EQ(first.at("offset"), 7);
  EXPECT_EQ(first.at("timestamp"), 1'545'084'650'994);
  EXPECT_EQ(first.at("timestampType"), "CREATE_TIME");
  EXPECT_EQ(first.at("key").as_string(), base64::encode("k1"));
  EXPECT_EQ(first.at("value").as_string(), base64::encode("hello"));
  const auto& headers = first.at("headers").as_array();
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].at("trace"), (bj::array{97, -1}));
  EXPECT_EQ(headers[1].at("empty"), bj::array{});
  // A record without a key has no key field; a tombstone has no value field.
  EXPECT_FALSE(groups.at("orders-0").as_array()[0].as_object().contains("key"));
  EXPECT_FALSE(p1[1].as_object().contains("value"));
  EXPECT_EQ(p1[1].at("timestampType"), "LOG_APPEND_TIME");
}

TEST(LambdaEvent, SelfManagedSourceHasNoArn) {
  std::vector<kc::consumed_record> records{make("t\"q", 0, 0, "k", "v")};
  auto event = bj::parse(kafka_event({"", "127.0.0.1:9092"}, records)).as_object();
  EXPECT_EQ(event.at("eventSource"), "SelfManagedKafka");
  EXPECT_FALSE(event.contains("eventSourceArn"));
  EXPECT_TRUE(event.at("records").as_object().contains("t\"q-0"));
}

TEST(LambdaEvent, SizeEstimateCoversTheEncodedRecord) {
  std::vector<kc::consumed_record> records{
      make("orders", 0, 123456, "key", std::string(3000, 'x'))};
  records[0].headers.push_back({"h", std::string(100, '\x80')});
  auto size = kafka_event({"", "b:1"}, records).size();
  EXPECT_GE(record_event_bytes(records[0]) + 100, size);
}

}  // namespace
}  // namespace wharf::triggers
