// Content-Type and Accept negotiation of the REST Proxy.
#include "services/rest_proxy/formats.h"

#include <gtest/gtest.h>

namespace wharf::rest_proxy {
namespace {

TEST(ProduceFormat, NamedFormatsAndBinaryByDefault) {
  EXPECT_EQ(*produce_format("application/vnd.kafka.binary.v2+json"), embedded_format::binary);
  EXPECT_EQ(*produce_format("application/vnd.kafka.json.v2+json"), embedded_format::json);
  EXPECT_EQ(*produce_format("Application/Vnd.Kafka.JSON.v2+json; charset=utf-8"),
            embedded_format::json);
  for (auto generic : {"application/vnd.kafka.v2+json", "application/vnd.kafka+json",
                       "application/json", "application/octet-stream", ""}) {
    auto f = produce_format(generic);
    ASSERT_TRUE(f.ok()) << generic;
    EXPECT_EQ(*f, embedded_format::binary) << generic;
  }
  EXPECT_EQ(*produce_format(std::nullopt), embedded_format::binary);
}

TEST(ProduceFormat, UnsupportedTypesAre415) {
  for (auto bad : {"text/plain", "application/xml", "application/vnd.kafka.binary.v1+json",
                   "application/vnd.kafka.yaml.v2+json", "application/vnd.kafkaXbinary"}) {
    auto f = produce_format(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.err().error_code, 415) << bad;
  }
  // The schema formats are accepted here; the produce route refuses them when no registry
  // is configured.
  EXPECT_EQ(*produce_format("application/vnd.kafka.avro.v2+json"), embedded_format::avro);
  EXPECT_EQ(*produce_format("application/vnd.kafka.protobuf.v2+json"), embedded_format::protobuf);
  EXPECT_EQ(*produce_format("application/vnd.kafka.jsonschema.v2+json"),
            embedded_format::jsonschema);
}

TEST(RecordsAccept, PicksTheMostPreferredKafkaFormat) {
  EXPECT_FALSE(records_accept(std::nullopt)->format);
  EXPECT_FALSE(records_accept("*/*")->format);
  EXPECT_FALSE(records_accept("application/vnd.kafka.v2+json")->format);
  EXPECT_FALSE(records_accept("application/json")->format);
  EXPECT_EQ(records_accept("application/vnd.kafka.json.v2+json")->format, embedded_format::json);
  EXPECT_EQ(records_accept("application/vnd.kafka.binary.v2+json, */*;q=0.5")->format,
            embedded_format::binary);
  EXPECT_EQ(records_accept("text/html, application/vnd.kafka.json.v2+json;q=0.9")->format,
            embedded_format::json);
  EXPECT_EQ(records_accept("application/vnd.kafka.binary.v2+json;q=0.2, "
                           "application/vnd.kafka.json.v2+json;q=0.8")
                ->format,
            embedded_format::json);
}

TEST(RecordsAccept, NothingWeServeIs406) {
  auto r = records_accept("text/html, application/xml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().error_code, 406);
  EXPECT_FALSE(records_accept("application/vnd.kafka.json.v2+json;q=0").ok());
}

TEST(BodyTypes, V2AndV3JsonChecks) {
  EXPECT_TRUE(check_v2_json_body("application/vnd.kafka.v2+json").ok());
  EXPECT_TRUE(check_v2_json_body("application/json").ok());
  EXPECT_TRUE(check_v2_json_body(std::nullopt).ok());
  EXPECT_EQ(check_v2_json_body("text/plain").err().error_code, 415);
  EXPECT_TRUE(check_v3_json_body("application/json; charset=UTF-8").ok());
  EXPECT_EQ(check_v3_json_body("application/vnd.kafka.v2+json").err().error_code, 415);
}

}  // namespace
}  // namespace wharf::rest_proxy
