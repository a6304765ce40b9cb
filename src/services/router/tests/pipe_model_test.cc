// Unit tests of EventBridge Pipes in the router: CreatePipe/UpdatePipe checks (with
// fieldList), plans, the per-record Kafka payload, filter views and InputTemplate filling.
#include "services/router/pipe_model.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wharf::router {
namespace {

namespace bj = boost::json;

constexpr const char* msk = "arn:aws:kafka:us-east-1:000000000000:cluster/wharf/abc";

bj::object body(std::string_view json) { return bj::parse(json).as_object(); }

api_result<pipe_def> create(std::string_view json, const std::string& name = "p1") {
  return parse_create_pipe(name, body(json));
}

bool names_field(const api_error& e, std::string_view field) {
  for (const auto& [name, message] : e.fields) {
    if (name == field) return true;
  }
  return false;
}

TEST(CreatePipe, AcceptsAnMskSourceWithEnrichmentAndTarget) {
  auto p = create(R"({"Source": "arn:aws:kafka:us-east-1:000000000000:cluster/wharf/abc",
    "SourceParameters": {"ManagedStreamingKafkaParameters": {"TopicName": "in",
      "StartingPosition": "TRIM_HORIZON", "BatchSize": 10, "ConsumerGroupID": "g1"},
      "FilterCriteria": {"Filters": [{"Pattern": "{\"value\": {\"kind\": [\"order\"]}}"}]}},
    "Enrichment": "arn:aws:events:us-east-1:000000000000:api-destination/enrich",
    "Target": "arn:wharf:kafka:::topic/out", "RoleArn": "arn:aws:iam::000000000000:role/r",
    "DesiredState": "STOPPED"})");
  ASSERT_TRUE(p.ok()) << p.err().text;
  EXPECT_EQ(p->desired_state, "STOPPED");
  auto plan = plan_pipe(*p);
  ASSERT_TRUE(plan.ok()) << plan.err().text;
  EXPECT_EQ(plan->source.kind, pipe_source_kind::msk);
  EXPECT_EQ(plan->source.topic, "in");
  EXPECT_TRUE(plan->source.from_earliest);
  EXPECT_EQ(plan->source.batch_size, 10);
  EXPECT_EQ(plan->source.consumer_group, "g1");
  ASSERT_EQ(plan->source.filters.size(), 1u);
  ASSERT_TRUE(plan->enrichment);
  EXPECT_EQ(plan->enrichment->kind, target_kind::http);
  EXPECT_EQ(plan->enrichment->name, "enrich");
  EXPECT_EQ(plan->target.kind, target_kind::kafka_topic);
  EXPECT_EQ(plan->target.name, "out");
}

TEST(CreatePipe, DefaultsAndTheTopicShorthand) {
  auto p = create(R"({"Source": "arn:wharf:kafka:::topic/raw", "RoleArn": "r",
    "Target": "arn:aws:events:us-east-1:000000000000:event-bus/b"})");
  ASSERT_TRUE(p.ok()) << p.err().text;
  EXPECT_EQ(p->desired_state, "RUNNING");
  auto plan = plan_pipe(*p);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->source.kind, pipe_source_kind::topic);
  EXPECT_EQ(plan->source.topic, "raw");
  EXPECT_FALSE(plan->source.from_earliest);  // LATEST is Pipes' default
  EXPECT_EQ(plan->source.batch_size, 100);
  EXPECT_EQ(plan->target.kind, target_kind::event_bus);
}

TEST(CreatePipe, ValidationErrorsNameTheirFields) {
  auto p = create(R"({"Source": "arn:aws:kafka:us-east-1:000000000000:cluster/wharf/abc",
    "SourceParameters": {"ManagedStreamingKafkaParameters": {"TopicName": "in",
      "BatchSize": 20000, "StartingPosition": "AT_TIMESTAMP"}},
    "Target": "arn:aws:sqs:us-east-1:000000000000:q"})");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.err().type, "ValidationException");
  EXPECT_TRUE(names_field(p.err(), "SourceParameters.ManagedStreamingKafkaParameters.BatchSize"));
  EXPECT_TRUE(
      names_field(p.err(), "SourceParameters.ManagedStreamingKafkaParameters.StartingPosition"));
  EXPECT_TRUE(names_field(p.err(), "RoleArn"));
  EXPECT_NE(p.err().text.find("validation errors detected"), std::string::npos);

  // A one-character topic is a topic.
  EXPECT_TRUE(create(R"({"Source": "arn:aws:kafka:us-east-1:0:cluster/c/1", "RoleArn": "r",
    "SourceParameters": {"ManagedStreamingKafkaParameters": {"TopicName": "x"}},
    "Target": "arn:wharf:kafka:::topic/o"})")
                  .ok());
  EXPECT_TRUE(names_field(
      create(R"({"Source": "x", "RoleArn": "r", "Target": "arn:wharf:kafka:::topic/o"})").err(),
      "Source"));
  // An MSK source needs its topic.
  EXPECT_TRUE(names_field(create(std::string(R"({"Source": ")") + msk +
                                 R"(", "RoleArn": "r", "Target": "arn:wharf:kafka:::topic/o"})")
                              .err(),
                          "SourceParameters.ManagedStreamingKafkaParameters"));
  // Bad names and patterns.
  EXPECT_TRUE(names_field(
      create(
          R"({"Source": "arn:wharf:kafka:::topic/a", "RoleArn": "r", "Target": "arn:wharf:kafka:::topic/o"})",
          "bad name")
          .err(),
      "Name"));
  EXPECT_TRUE(names_field(
      create(
          R"({"Source": "arn:wharf:kafka:::topic/a", "RoleArn": "r", "Target": "arn:wharf:kafka:::topic/o",
        "SourceParameters": {"FilterCriteria": {"Filters": [{"Pattern": "{\"a\": 1}"}]}}})")
          .err(),
      "SourceParameters.FilterCriteria.Filters.member.Pattern"));
  // An event bus cannot enrich.
  EXPECT_TRUE(names_field(
      create(
          R"({"Source": "arn:wharf:kafka:::topic/a", "RoleArn": "r", "Target": "arn:wharf:kafka:::topic/o",
        "Enrichment": "arn:aws:events:us-east-1:000000000000:event-bus/b"})")
          .err(),
      "Enrichment"));
}

TEST(UpdatePipe, ChangesBatchingFiltersAndTarget) {
  auto p = create(R"({"Source": "arn:aws:kafka:us-east-1:000000000000:cluster/wharf/abc",
    "SourceParameters": {"ManagedStreamingKafkaParameters": {"TopicName": "in"}},
    "Target": "arn:wharf:kafka:::topic/out", "RoleArn": "r"})");
  ASSERT_TRUE(p.ok());
  auto u = parse_update_pipe(*p, body(R"({"RoleArn": "r", "Target": "arn:wharf:kafka:::topic/o2",
    "SourceParameters": {"ManagedStreamingKafkaParameters": {"BatchSize": 5}}})"));
  ASSERT_TRUE(u.ok()) << u.err().text;
  auto plan = plan_pipe(*u);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->source.batch_size, 5);
  EXPECT_EQ(plan->source.topic, "in");
  EXPECT_EQ(plan->target.name, "o2");
  EXPECT_FALSE(parse_update_pipe(*p, body(R"({"DesiredState": "PAUSED"})")).ok());
}

TEST(PipeStore, RoundTrips) {
  auto p = create(R"({"Source": "arn:wharf:kafka:::topic/a", "RoleArn": "r",
    "Target": "arn:wharf:kafka:::topic/o", "Description": "d", "Tags": {"k": "v"}})");
  ASSERT_TRUE(p.ok());
  p->created = 5;
  auto back = pipe_from_json(to_json(*p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(bj::serialize(to_json(*back)), bj::serialize(to_json(*p)));
}

TEST(KafkaPayload, FieldsAsPipesSendsThem) {
  pipe_source source;
  source.kind = pipe_source_kind::msk;
  source.arn = msk;
  record_view r{"orders", 1, 7, 1764123410000, std::string("k1"), std::string(R"({"n": 1})")};
  r.headers.emplace_back("h", std::string("ab"));
  auto p = kafka_record_payload(source, r);
  EXPECT_EQ(p.at("eventSource"), "aws:kafka");
  EXPECT_EQ(p.at("eventSourceArn"), msk);
  EXPECT_EQ(p.at("eventSourceKey"), "orders-1");
  EXPECT_EQ(p.at("topic"), "orders");
  EXPECT_EQ(p.at("partition"), "1");
  EXPECT_EQ(p.at("offset"), 7);
  EXPECT_EQ(p.at("timestamp"), 1764123410000);
  EXPECT_EQ(p.at("timestampType"), "CREATE_TIME");
  EXPECT_EQ(p.at("key"), "azE=");
  EXPECT_EQ(p.at("value"), "eyJuIjogMX0=");
  EXPECT_EQ(bj::serialize(p.at("headers")), R"([{"h":[97,98]}])");
  EXPECT_EQ(record_key_of(p), "k1");
  EXPECT_EQ(bj::serialize(filter_view(p).at("value")), R"({"n":1})");

  source.kind = pipe_source_kind::self_managed;
  source.bootstrap_servers = "a:9092,b:9092";
  record_view bare{"t", 0, 1, 5, std::nullopt, std::string("\xff")};
  bare.log_append_time = true;
  auto s = kafka_record_payload(source, bare);
  EXPECT_EQ(s.at("eventSource"), "SelfManagedKafka");
  EXPECT_EQ(s.at("bootstrapServers"), "a:9092,b:9092");
  EXPECT_FALSE(s.contains("eventSourceArn"));
  EXPECT_FALSE(s.contains("key"));
  EXPECT_EQ(s.at("partition"), 0);
  EXPECT_EQ(s.at("timestampType"), "LOG_APPEND_TIME");
  EXPECT_FALSE(record_key_of(s));
  EXPECT_EQ(filter_view(s).at("value"), "/w==");  // not JSON: stays base64
}

TEST(PipeTemplate, PathsAndReservedVariables) {
  auto item = bj::parse(R"({"topic": "t", "data": {"id": "o-1", "n": 2}})");
  pipe_context ctx{
      "p1", "arn:aws:pipes:us-east-1:0:pipe/p1", "src", "", "tgt", "2026-01-01T00:00:00Z"};
  EXPECT_EQ(
      bj::parse(apply_pipe_template(
          R"({"id": <$.data.id>, "n": <$.data.n>, "text": "order <$.data.id> via <aws.pipes.pipe-name>", "all": <aws.pipes.event.json>, "none": <$.nothing>})",
          item, ctx)),
      bj::parse(R"({"id": "o-1", "n": 2, "text": "order o-1 via p1",
                          "all": {"topic": "t", "data": {"id": "o-1", "n": 2}}, "none": null})"));
  EXPECT_EQ(apply_pipe_template("<$.topic> at <aws.pipes.event.ingestion-time>", item, ctx),
            "t at 2026-01-01T00:00:00Z");
}

}  // namespace
}  // namespace wharf::router
