#include "services/triggers/event_source_mapping.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "services/triggers/filters.h"

namespace wharf::triggers {
namespace {

namespace bj = boost::json;
namespace kc = kafka::client;

constexpr const char* arn = "arn:aws:kafka:us-east-1:000000000000:cluster/wharf/abc";

request_context context() {
  request_context ctx;
  ctx.function_exists = [](const std::string& name) { return name == "orders"; };
  ctx.cluster_known = [](const std::string& a) { return a == arn; };
  return ctx;
}

result<event_source_mapping, api_error> create(const std::string& json) {
  return parse_create(bj::parse(json), context());
}

std::string error_of(const std::string& json) {
  auto m = create(json);
  return m.ok() ? "ok" : m.err().type + ": " + m.err().text;
}

TEST(EventSourceMapping, CreateTakesLambdasNamesAndDefaults) {
  auto m = create(R"({"FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:orders",
                      "EventSourceArn": "arn:aws:kafka:us-east-1:000000000000:cluster/wharf/abc",
                      "Topics": ["orders-in"], "StartingPosition": "LATEST"})");
  ASSERT_TRUE(m.ok()) << m.err().text;
  EXPECT_EQ(m->function_name, "orders");
  EXPECT_EQ(m->batch_size, 100);
  EXPECT_FALSE(m->batching_window_s);
  EXPECT_EQ(m->maximum_retry_attempts, -1);
  EXPECT_TRUE(m->enabled);
  EXPECT_FALSE(m->self_managed());

  auto full = create(R"({"FunctionName": "orders",
      "SelfManagedEventSource": {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["k1:9092", "k2:9092"]}},
      "Topics": ["t1"], "BatchSize": 10000, "MaximumBatchingWindowInSeconds": 0,
      "StartingPosition": "TRIM_HORIZON", "Enabled": false,
      "FilterCriteria": {"Filters": [{"Pattern": "{\"value\": {\"kind\": [\"a\"]}}"}]},
      "DestinationConfig": {"OnFailure": {"Destination": "kafka://failed"}},
      "FunctionResponseTypes": ["ReportBatchItemFailures"], "MaximumRetryAttempts": 3,
      "MaximumRecordAgeInSeconds": 60, "BisectBatchOnFunctionError": true,
      "SelfManagedKafkaEventSourceConfig": {"ConsumerGroupId": "g1"}})");
  ASSERT_TRUE(full.ok()) << full.err().text;
  EXPECT_TRUE(full->self_managed());
  EXPECT_EQ(full->bootstrap_servers, (std::vector<std::string>{"k1:9092", "k2:9092"}));
  EXPECT_EQ(full->failure_topic(), "failed");
  EXPECT_EQ(full->consumer_group_id, "g1");
  EXPECT_TRUE(full->report_batch_item_failures && full->bisect_on_error && !full->enabled);
  // The stored form gives back the same mapping.
  auto stored = from_stored_json(to_stored_json(*full));
  ASSERT_TRUE(stored.ok()) << stored.err().message();
  EXPECT_EQ(to_stored_json(*stored), to_stored_json(*full));
}

TEST(EventSourceMapping, CreateRefusesAsLambdaDoes) {
  std::string base = R"("EventSourceArn": ")" + std::string(arn) + R"(", "Topics": ["orders-in"])";
  EXPECT_EQ(error_of(R"({"FunctionName": "nope", )" + base + "}"),
            "InvalidParameterValueException: Function does not exist");
  EXPECT_EQ(error_of(R"({"FunctionName": "orders", "Topics": ["t1"]})"),
            "InvalidParameterValueException: Unrecognized event source.");
  EXPECT_EQ(error_of(R"({"FunctionName": "orders", )" + base + R"(, "BatchSize": 10001})"),
            "ValidationException: 1 validation error detected: Value '10001' at 'batchSize' "
            "failed to satisfy constraint: Member must have value less than or equal to 10000");
  EXPECT_EQ(error_of(R"({"FunctionName": "orders", )" + base + R"(, "StartingPosition": "X"})")
                .substr(0, 19),
            "ValidationException");
  EXPECT_EQ(
      error_of(R"({"FunctionName": "orders", )" + base +
               R"(, "DestinationConfig": {"OnSuccess": {"Destination": "kafka://x1"}}})"),
      "InvalidParameterValueException: Unsupported DestinationConfig parameter for given event "
      "source mapping type.");
  EXPECT_NE(
      error_of(R"({"FunctionName": "orders", )" + base +
               R"(, "DestinationConfig": {"OnFailure": {"Destination": "kafka://orders-in"}}})"),
      "ok");  // the source topic itself
  EXPECT_NE(
      error_of(R"({"FunctionName": "orders", )" + base + R"(, "MaximumRecordAgeInSeconds": 30})"),
      "ok");
  EXPECT_NE(error_of(R"({"FunctionName": "orders", "Topics": ["a1", "b1"], "EventSourceArn": ")" +
                     std::string(arn) + R"("})"),
            "ok");
  EXPECT_NE(error_of(R"({"FunctionName": "orders", "Topics": ["t1"], "EventSourceArn": )"
                     R"("arn:aws:kafka:us-east-1:000000000000:cluster/other/x"})"),
            "ok");
  auto invalid_filter =
      error_of(R"({"FunctionName": "orders", )" + base +
               R"(, "FilterCriteria": {"Filters": [{"Pattern": "{\"value\": 5}"}]}})");
  EXPECT_EQ(invalid_filter.substr(0, 64),
            "InvalidParameterValueException: Invalid filter pattern definitio");
  EXPECT_EQ(error_of(R"({"FunctionName": "orders", )" + base +
                     R"(, "StartingPosition": "AT_TIMESTAMP"})"),
            "InvalidParameterValueException: StartingPositionTimestamp is required when "
            "StartingPosition is AT_TIMESTAMP.");
}

TEST(EventSourceMapping, UpdateChangesOnlyWhatLambdaLetsChange) {
  auto m = create(R"({"FunctionName": "orders", "EventSourceArn": ")" + std::string(arn) +
                  R"(", "Topics": ["t1"]})");
  ASSERT_TRUE(m.ok());
  auto updated = apply_update(*m, bj::parse(R"({"BatchSize": 7, "Enabled": false})"), context());
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->batch_size, 7);
  EXPECT_FALSE(updated->enabled);
  EXPECT_EQ(updated->topics, m->topics);
  auto refused = apply_update(*m, bj::parse(R"({"Topics": ["t2"]})"), context());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.err().type, "InvalidParameterValueException");
  m->consumer_group_id = "g";
  auto group = apply_update(
      *m, bj::parse(R"({"AmazonManagedKafkaEventSourceConfig": {"ConsumerGroupId": "h"}})"),
      context());
  EXPECT_FALSE(group.ok());
}

TEST(EventSourceMapping, ConfigurationHasLambdasShape) {
  auto m = create(R"({"FunctionName": "orders", "EventSourceArn": ")" + std::string(arn) +
                  R"(", "Topics": ["t1"]})");
  ASSERT_TRUE(m.ok());
  m->uuid = "11111111-2222-4333-8444-555555555555";
  m->consumer_group_id = m->uuid;
  auto c = to_configuration(*m, aws_identity{}, "Enabled", "OK");
  EXPECT_EQ(c.at("FunctionArn"), "arn:aws:lambda:us-east-1:000000000000:function:orders");
  EXPECT_EQ(c.at("EventSourceArn"), arn);
  EXPECT_EQ(c.at("AmazonManagedKafkaEventSourceConfig").at("ConsumerGroupId"), m->uuid.c_str());
  EXPECT_EQ(c.at("EventSourceMappingArn"),
            "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:"
            "11111111-2222-4333-8444-555555555555");
  EXPECT_FALSE(c.contains("MaximumBatchingWindowInSeconds"));  // the 500 ms default
  EXPECT_FALSE(c.contains("SelfManagedEventSource"));
}

TEST(EventSourceMapping, FunctionNamesInEveryForm) {
  EXPECT_EQ(*function_name_of("orders"), "orders");
  EXPECT_EQ(*function_name_of("orders:$LATEST"), "orders");
  EXPECT_EQ(*function_name_of("123456789012:function:orders"), "orders");
  EXPECT_FALSE(function_name_of("orders:v2").ok());
  EXPECT_FALSE(function_name_of("bad name").ok());
  EXPECT_FALSE(function_name_of(std::string(65, 'a')).ok());
}

kc::consumed_record record(std::optional<std::string> value, int partition = 0) {
  kc::consumed_record r;
  r.topic = "t1";
  r.partition = partition;
  r.value = std::move(value);
  return r;
}

TEST(RecordFilter, MatchesLambdasValueRules) {
  auto json = make_record_filter({R"({"value": {"kind": ["big"], "n": [{"numeric": [">", 5]}]}})"});
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE((*json)(record(R"({"kind": "big", "n": 7})")));
  EXPECT_FALSE((*json)(record(R"({"kind": "big", "n": 2})")));
  EXPECT_FALSE((*json)(record(R"({"kind": "small", "n": 7})")));
  // A plain-string value with a JSON pattern: metadata only, and there is none.
  EXPECT_TRUE((*json)(record("just text")));

  auto text = make_record_filter({R"({"value": [{"prefix": "ERROR"}]})"});
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE((*text)(record("ERROR: disk full")));
  EXPECT_FALSE((*text)(record("INFO: fine")));

  // Filters are ORed; metadata fields are filterable.
  auto either = make_record_filter({R"({"partition": [1]})", R"({"value": {"kind": ["big"]}})"});
  ASSERT_TRUE(either.ok());
  EXPECT_TRUE((*either)(record(R"({"kind": "small"})", 1)));
  EXPECT_TRUE((*either)(record(R"({"kind": "big"})", 0)));
  EXPECT_FALSE((*either)(record(R"({"kind": "small"})", 0)));

  EXPECT_FALSE(make_record_filter({R"({"value": {"kind": "big"}})"}).ok());  // not a list
  EXPECT_FALSE(make_record_filter({"[1]"}).ok());
}

}  // namespace
}  // namespace wharf::triggers
