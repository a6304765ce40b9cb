// Confluent REST Proxy error codes and bodies: {"error_code": N, "message": "..."} with
// the HTTP status taken from N's first three digits (40401 -> 404), and the mapping of
// Kafka client errors to them (as Confluent's KafkaExceptionMapper does).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "http/message.h"
#include "kafka/client/errors.h"

namespace wharf::rest_proxy {

namespace error_codes {
inline constexpr int bad_request = 400;
inline constexpr int not_found = 404;
inline constexpr int not_acceptable = 406;
inline constexpr int unsupported_media_type = 415;
inline constexpr int unprocessable = 422;
inline constexpr int kafka_bad_request = 40002;
inline constexpr int kafka_authentication = 40101;
inline constexpr int kafka_authorization = 40301;
inline constexpr int topic_not_found = 40401;
inline constexpr int partition_not_found = 40402;
inline constexpr int consumer_instance_not_found = 40403;
inline constexpr int unknown_topic_or_partition = 40403;  // Kafka's, as Confluent maps it
inline constexpr int leader_not_available = 40404;
inline constexpr int consumer_format_mismatch = 40601;
inline constexpr int consumer_already_subscribed = 40901;
inline constexpr int consumer_already_exists = 40902;
inline constexpr int illegal_state = 40903;
inline constexpr int key_schema_missing = 42201;
inline constexpr int value_schema_missing = 42202;
inline constexpr int json_conversion = 42203;
inline constexpr int invalid_consumer_config = 42204;
inline constexpr int invalid_schema = 42205;
inline constexpr int invalid_payload = 42206;
inline constexpr int serialization = 42207;
inline constexpr int produce_batch = 42208;
inline constexpr int too_many_requests = 42901;
inline constexpr int kafka_error = 50002;
inline constexpr int kafka_retriable_error = 50003;
inline constexpr int broker_not_available = 50302;
}  // namespace error_codes

// An answer that is an error: Confluent's code and a message for humans.
struct api_error {
  int error_code;
  std::string text;
  const std::string& message() const { return text; }
};

template <typename T>
using api_result = wharf::result<T, api_error>;

// 40401 -> 404; a three-digit code is its own status.
int http_status_of(int error_code);

http::response error_response(const api_error& error);
inline http::response error_response(int error_code, std::string_view message) {
  return error_response(api_error{error_code, std::string(message)});
}

// Confluent's code for a Kafka client error (KafkaExceptionMapper's table).
api_error from_kafka(const kafka::client::kafka_error& error);

}  // namespace wharf::rest_proxy
