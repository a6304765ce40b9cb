// Confluent error codes: HTTP status from the code, and Kafka errors mapped as
// Confluent's KafkaExceptionMapper maps them.
#include "services/rest_proxy/api_errors.h"

#include <gtest/gtest.h>

namespace wharf::rest_proxy {
namespace {

namespace kc = kafka::client;

TEST(ApiErrors, StatusIsTheFirstThreeDigits) {
  EXPECT_EQ(http_status_of(40401), 404);
  EXPECT_EQ(http_status_of(40601), 406);
  EXPECT_EQ(http_status_of(42201), 422);
  EXPECT_EQ(http_status_of(50003), 500);
  EXPECT_EQ(http_status_of(415), 415);
  EXPECT_EQ(http_status_of(200), 200);
  EXPECT_EQ(http_status_of(7), 500);  // not a status at all
}

TEST(ApiErrors, BodyIsConfluentsShape) {
  auto r = error_response(40403, "Consumer instance not found.");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error_code":40403,"message":"Consumer instance not found."})");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
}

TEST(ApiErrors, KafkaErrorsMapLikeConfluents) {
  auto code = [](int kafka_code) {
    return from_kafka(kc::kafka_error::from_code(kafka_code)).error_code;
  };
  EXPECT_EQ(code(kc::codes::topic_authorization_failed), 40301);
  EXPECT_EQ(code(kc::codes::sasl_authentication_failed), 40101);
  EXPECT_EQ(code(kc::codes::unknown_topic_or_partition), 40403);
  EXPECT_EQ(code(kc::codes::topic_already_exists), 40002);
  EXPECT_EQ(code(kc::codes::invalid_partitions), 40002);
  EXPECT_EQ(code(kc::codes::policy_violation), 40002);
  EXPECT_EQ(code(kc::codes::local_timed_out), 50003);       // retriable
  EXPECT_EQ(code(kc::codes::leader_not_available), 50003);  // retriable
  EXPECT_EQ(code(kc::codes::local_message_timed_out), 50003);
  // Records Kafka refuses are the client's mistake: 400, where Confluent answers 50002.
  EXPECT_EQ(code(kc::codes::message_too_large), 40002);
  EXPECT_EQ(code(32), 40002);                            // INVALID_TIMESTAMP
  EXPECT_EQ(code(kc::codes::request_timed_out), 50003);  // retriable
  EXPECT_EQ(code(8), 50302);                             // BROKER_NOT_AVAILABLE
  EXPECT_EQ(code(89), 42901);                            // THROTTLING_QUOTA_EXCEEDED
  auto e = from_kafka(kc::kafka_error(kc::codes::local_fail, "broker went away"));
  EXPECT_EQ(e.message(), "broker went away");
}

}  // namespace
}  // namespace wharf::rest_proxy
