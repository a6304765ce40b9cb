// Unit tests of the router's JSON paths, input transformer and envelopes.
#include "services/router/transform.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wharf::router {
namespace {

namespace bj = boost::json;

const bj::value ec2_event = bj::parse(R"({
  "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
  "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "count": 3,
             "tags": [{"k": "a"}, {"k": "b"}]}
})");

std::string eval(std::string_view path) {
  auto p = json_path::parse(path);
  EXPECT_TRUE(p.ok()) << path;
  auto v = p->evaluate(ec2_event);
  return v ? bj::serialize(*v) : "<none>";
}

TEST(JsonPath, DotsIndicesAndWildcards) {
  EXPECT_EQ(eval("$.detail.state"), R"("RUNNING")");
  EXPECT_EQ(eval("$.detail.instance-id"), R"("i-0123456789")");
  EXPECT_EQ(eval("$.resources[0]"), R"("arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111")");
  EXPECT_EQ(eval("$.detail['count']"), "3");
  EXPECT_EQ(eval("$.detail.tags[*].k"), R"(["a","b"])");
  EXPECT_EQ(eval("$.detail.missing"), "<none>");
  EXPECT_EQ(eval("$.resources[5]"), "<none>");
  EXPECT_EQ(eval("$").substr(0, 14), R"({"version":"0")");
}

TEST(JsonPath, RefusesWhatIsNotAPath) {
  EXPECT_FALSE(json_path::parse("detail").ok());
  EXPECT_FALSE(json_path::parse("$.").ok());
  EXPECT_FALSE(json_path::parse("$.a[").ok());
  EXPECT_FALSE(json_path::parse("$.a[x]").ok());
  EXPECT_FALSE(json_path::parse("$x").ok());
}

input_transformer transformer(std::string_view spec) {
  auto t = input_transformer::parse(bj::parse(spec));
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.err().message());
  return *t;
}

const invocation_context context{"my-rule", "arn:aws:events:us-east-1:123456789012:rule/my-rule",
                                 "2015-11-11T21:29:55Z"};

TEST(InputTransformer, PlainTextTemplate) {
  auto t = transformer(R"({"InputPathsMap": {"instance": "$.detail.instance-id",
                           "state": "$.detail.state"},
                           "InputTemplate": "<instance> is in state <state>"})");
  EXPECT_EQ(t.apply(ec2_event, context), "i-0123456789 is in state RUNNING");
}

TEST(InputTransformer, QuotedStringTemplate) {
  auto t = transformer(R"({"InputPathsMap": {"instance": "$.detail.instance-id",
                           "state": "$.detail.state"},
                           "InputTemplate": "\"<instance> is in state \\\"<state>\\\"\""})");
  EXPECT_EQ(t.apply(ec2_event, context), R"("i-0123456789 is in state \"RUNNING\"")");
}

TEST(InputTransformer, JsonTemplateInsideAndOutsideQuotes) {
  auto t = transformer(R"({"InputPathsMap": {"instance": "$.detail.instance-id",
                           "count": "$.detail.count", "tags": "$.detail.tags",
                           "missing": "$.detail.nothing"},
                           "InputTemplate": "{\"id\": <instance>, \"n\": <count>, \"text\": \"<instance> has <count>\", \"tags\": <tags>, \"none\": <missing>, \"empty\": \"<missing>\"}"})");
  auto out = bj::parse(t.apply(ec2_event, context));
  EXPECT_EQ(out.at("id"), "i-0123456789");
  EXPECT_EQ(out.at("n"), 3);
  EXPECT_EQ(out.at("text"), "i-0123456789 has 3");
  EXPECT_EQ(out.at("tags").as_array().size(), 2u);
  EXPECT_TRUE(out.at("none").is_null());
  EXPECT_EQ(out.at("empty"), "");
}

TEST(InputTransformer, ReservedVariables) {
  auto t = transformer(
      R"({"InputTemplate": "{\"rule\": <aws.events.rule-name>, \"arn\": \"<aws.events.rule-arn>\", \"at\": <aws.events.event.ingestion-time>, \"event\": <aws.events.event>, \"full\": <aws.events.event.json>}"})");
  auto out = bj::parse(t.apply(ec2_event, context));
  EXPECT_EQ(out.at("rule"), "my-rule");
  EXPECT_EQ(out.at("arn").as_string(), context.rule_arn);
  EXPECT_EQ(out.at("at"), "2015-11-11T21:29:55Z");
  EXPECT_FALSE(out.at("event").as_object().contains("detail"));
  EXPECT_EQ(out.at("event").at("source"), "aws.ec2");
  EXPECT_EQ(out.at("full").at("detail").at("state"), "RUNNING");
}

TEST(InputTransformer, StringValuesAreEscapedInsideQuotes) {
  auto event = bj::parse(R"({"detail": {"text": "say \"hi\"\n"}})");
  auto t = transformer(R"({"InputPathsMap": {"t": "$.detail.text"},
                           "InputTemplate": "{\"quoted\": \"<t>\", \"raw\": <t>}"})");
  auto out = bj::parse(t.apply(event, context));
  EXPECT_EQ(out.at("quoted"), "say \"hi\"\n");
  EXPECT_EQ(out.at("raw"), "say \"hi\"\n");
}

TEST(InputTransformer, UnknownPlaceholdersStayLiteral) {
  auto t = transformer(R"({"InputTemplate": "a <b> c < d"})");
  EXPECT_EQ(t.apply(ec2_event, context), "a <b> c < d");
}

TEST(InputTransformer, Refusals) {
  EXPECT_FALSE(input_transformer::parse(bj::parse(R"({"InputPathsMap": {}})")).ok());
  EXPECT_FALSE(input_transformer::parse(bj::parse(R"({"InputTemplate": ""})")).ok());
  EXPECT_FALSE(input_transformer::parse(
                   bj::parse(R"({"InputPathsMap": {"aws.events.x": "$.a"}, "InputTemplate": "x"})"))
                   .ok());
  EXPECT_FALSE(input_transformer::parse(
                   bj::parse(R"({"InputPathsMap": {"a": "detail"}, "InputTemplate": "x"})"))
                   .ok());
  EXPECT_FALSE(input_transformer::parse(bj::parse(R"({"InputTemplate": "x", "Other": 1})")).ok());
}

TEST(Envelope, PutEventsEntry) {
  auto e = make_envelope("id-1", "my.app", "Order Placed", bj::parse(R"({"n": 1})"), {"r1"},
                         iso8601_seconds(1'447'277'394'000), "123456789012", "eu-west-1");
  EXPECT_EQ(e.at("version"), "0");
  EXPECT_EQ(e.at("id"), "id-1");
  EXPECT_EQ(e.at("detail-type"), "Order Placed");
  EXPECT_EQ(e.at("source"), "my.app");
  EXPECT_EQ(e.at("account"), "123456789012");
  EXPECT_EQ(e.at("time"), "2015-11-11T21:29:54Z");
  EXPECT_EQ(e.at("region"), "eu-west-1");
  EXPECT_EQ(e.at("resources").as_array().size(), 1u);
  EXPECT_EQ(e.at("detail").at("n"), 1);
}

TEST(Envelope, PlainRecords) {
  record_view json_object{"orders", 2, 7, 1'447'277'394'000, "k", R"({"source": "x"})"};
  EXPECT_EQ(event_from_record(json_object, "1", "r"), bj::parse(R"({"source": "x"})"));

  record_view text{"orders", 2, 7, 1'447'277'394'000, std::nullopt, "hello"};
  auto wrapped = event_from_record(text, "123456789012", "us-east-1");
  EXPECT_EQ(wrapped.at("source"), "wharf.kafka");
  EXPECT_EQ(wrapped.at("detail-type"), "Kafka Record");
  EXPECT_EQ(wrapped.at("detail").at("value"), "hello");
  EXPECT_TRUE(wrapped.at("detail").at("key").is_null());
  EXPECT_EQ(wrapped.at("detail").at("offset"), 7);
  EXPECT_EQ(wrapped.at("resources").at(0), "arn:wharf:kafka:::topic/orders");

  record_view number{"orders", 0, 1, 0, std::nullopt, "42"};
  EXPECT_EQ(event_from_record(number, "1", "r").at("detail").at("value"), 42);

  record_view binary{"orders", 0, 1, 0, std::nullopt, std::string("\xff\x01", 2)};
  EXPECT_EQ(event_from_record(binary, "1", "r").at("detail").at("value").at("hex"), "ff01");
}

}  // namespace
}  // namespace wharf::router
