// Unit tests of the router's request checks: PutRule, PutTargets entries, API
// destinations and the ARNs of targets and dead-letter topics.
#include "services/router/model.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "services/router/router.h"

namespace wharf::router {
namespace {

namespace bj = boost::json;

api_result<target_spec> target(std::string_view json) {
  return parse_target(bj::parse(json).as_object());
}

TEST(PutTargets, TargetKindsFromArns) {
  auto topic = target(R"({"Id": "t1", "Arn": "arn:wharf:kafka:::topic/out"})");
  ASSERT_TRUE(topic.ok());
  EXPECT_EQ(topic->kind, target_kind::kafka_topic);
  EXPECT_EQ(topic->name, "out");
  auto fn = target(R"({"Id": "t2", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:f"})");
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(fn->kind, target_kind::function);
  EXPECT_EQ(fn->name, "f");
  auto bus = target(R"({"Id": "t3", "Arn": "arn:aws:events:us-east-1:000000000000:event-bus/b"})");
  ASSERT_TRUE(bus.ok());
  EXPECT_EQ(bus->kind, target_kind::event_bus);
  auto api = target(
      R"({"Id": "t4", "Arn": "arn:aws:events:us-east-1:000000000000:api-destination/hook/123"})");
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->kind, target_kind::http);
  EXPECT_EQ(api->name, "hook");
  auto sqs = target(R"({"Id": "t5", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"})");
  ASSERT_FALSE(sqs.ok());
  EXPECT_EQ(sqs.err().type, "InvalidArgument");
}

TEST(PutTargets, InputChoicesRetryAndDeadLetter) {
  auto both = target(R"({"Id": "t", "Arn": "arn:wharf:kafka:::topic/o", "Input": "{}",
                         "InputPath": "$.detail"})");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.err().type, "ValidationException");
  EXPECT_FALSE(target(R"({"Id": "t", "Arn": "arn:wharf:kafka:::topic/o", "Input": "{x"})").ok());
  EXPECT_FALSE(target(R"({"Id": "bad id", "Arn": "arn:wharf:kafka:::topic/o"})").ok());
  auto retry = target(R"({"Id": "t", "Arn": "arn:wharf:kafka:::topic/o",
                          "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 60},
                          "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"}})");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->maximum_retry_attempts, 3);
  EXPECT_EQ(retry->maximum_event_age.count(), 60);
  EXPECT_EQ(retry->dead_letter_topic, "dlq");
  EXPECT_FALSE(target(R"({"Id": "t", "Arn": "arn:wharf:kafka:::topic/o",
                          "RetryPolicy": {"MaximumRetryAttempts": 186}})")
                   .ok());
  EXPECT_FALSE(target(R"({"Id": "t", "Arn": "arn:wharf:kafka:::topic/o",
                          "RetryPolicy": {"MaximumEventAgeInSeconds": 59}})")
                   .ok());
  EXPECT_FALSE(target(R"({"Id": "t", "Arn": "arn:wharf:kafka:::topic/o",
                          "DeadLetterConfig": {"Arn": "arn:aws:sns:x"}})")
                   .ok());
}

TEST(PutRule, ChecksNamePatternAndState) {
  auto rule = parse_put_rule(
      bj::parse(R"({"Name": "r.1", "EventBusName": "arn:aws:events:us-east-1:1:event-bus/orders",
      "EventPattern": "{\"source\": [\"a\"]}", "State": "DISABLED",
      "Tags": [{"Key": "wharf:source-topic", "Value": "raw"}]})")
          .as_object());
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(rule->bus, "orders");
  EXPECT_EQ(rule->state, "DISABLED");
  EXPECT_EQ(rule->source_topic, "raw");
  auto invalid = parse_put_rule(
      bj::parse(R"({"Name": "r", "EventPattern": "{\"source\": \"a\"}"})").as_object());
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.err().type, "InvalidEventPatternException");
  EXPECT_EQ(parse_put_rule(bj::parse(R"({"Name": "r"})").as_object()).err().type,
            "ValidationException");
  EXPECT_EQ(
      parse_put_rule(bj::parse(R"({"Name": "a b", "EventPattern": "{}"})").as_object()).err().type,
      "ValidationException");
  EXPECT_EQ(parse_put_rule(bj::parse(R"({"Name": "r", "EventPattern": "{\"a\": [1]}",
                                         "State": "ON"})")
                               .as_object())
                .err()
                .type,
            "ValidationException");
}

TEST(ApiDestinations, AuthBecomesHeaders) {
  auto d = parse_api_destinations(R"({
    "a": {"url": "http://h/x", "auth": {"type": "basic", "username": "user", "password": "pass"}},
    "b": {"url": "https://h/y", "method": "PUT", "auth": {"type": "api_key", "name": "x-api-key", "value": "k"},
          "invocation_rate_per_second": 5},
    "c": {"url": "http://h/z", "auth": {"type": "bearer", "token": "t"}}})");
  ASSERT_TRUE(d.ok()) << d.err().message();
  EXPECT_EQ(d->at("a").headers.at(0).second, "Basic dXNlcjpwYXNz");
  EXPECT_EQ(d->at("b").headers.at(0).first, "x-api-key");
  EXPECT_EQ(d->at("b").method, "PUT");
  EXPECT_EQ(d->at("b").invocation_rate_per_second, 5);
  EXPECT_EQ(d->at("c").headers.at(0).second, "Bearer t");
  EXPECT_FALSE(parse_api_destinations(R"({"a": {"url": "ftp://x"}})").ok());
  EXPECT_FALSE(parse_api_destinations(R"({"a": {"url": "http://x", "method": "GO"}})").ok());
  EXPECT_FALSE(
      parse_api_destinations(R"({"a": {"url": "http://x", "auth": {"type": "oauth"}}})").ok());
}

TEST(Arns, TopicsAndBuses) {
  EXPECT_EQ(topic_of_arn("arn:wharf:kafka:::topic/dlq"), "dlq");
  EXPECT_EQ(topic_of_arn("arn:aws:sqs:us-east-1:000000000000:dlq"), "dlq");
  EXPECT_FALSE(topic_of_arn("arn:wharf:kafka:::topic/").has_value());
  EXPECT_EQ(bus_name_of(""), "default");
  EXPECT_EQ(bus_name_of("arn:aws:events:us-east-1:1:event-bus/x"), "x");
  EXPECT_EQ(bus_name_of("orders"), "orders");
}

TEST(CheckConfig, ReportsBadRules) {
  EXPECT_TRUE(check_config(R"({"r": {"EventPattern": {"source": ["a"]},
      "Targets": [{"Id": "t", "Arn": "arn:wharf:kafka:::topic/o"}]}})",
                           "")
                  .empty());
  EXPECT_EQ(check_config(R"({"r": {"EventPattern": {"source": "a"}}})", "").size(), 1u);
  EXPECT_EQ(check_config("[1]", "").size(), 1u);
}

}  // namespace
}  // namespace wharf::router
