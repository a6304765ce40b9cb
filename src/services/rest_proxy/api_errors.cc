#include "services/rest_proxy/api_errors.h"

namespace wharf::rest_proxy {

namespace kc = kafka::client;

int http_status_of(int error_code) {
  int status = error_code;
  while (status >= 1000) status /= 10;
  if (status < 100 || status > 599) return 500;
  return status;
}

http::response error_response(const api_error& error) {
  return http::response::error(http_status_of(error.error_code), error.error_code, error.message());
}

api_error from_kafka(const kc::kafka_error& error) {
  using namespace error_codes;
  int code = kafka_error;
  switch (error.code()) {
    case kc::codes::sasl_authentication_failed:
    case kc::codes::local_authentication: code = kafka_authentication; break;
    case kc::codes::topic_authorization_failed:
    case kc::codes::group_authorization_failed:
    case kc::codes::cluster_authorization_failed:
    case 53:  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    case 65:  // DELEGATION_TOKEN_AUTHORIZATION_FAILED
      code = kafka_authorization;
      break;
    case 8: code = broker_not_available; break;  // BROKER_NOT_AVAILABLE
    case kc::codes::unknown_topic_or_partition:
    case kc::codes::local_unknown_topic:
    case kc::codes::local_unknown_partition: code = unknown_topic_or_partition; break;
    case kc::codes::invalid_replication_factor:
    case kc::codes::invalid_partitions:
    case kc::codes::invalid_request:
    case kc::codes::policy_violation:
    case kc::codes::topic_already_exists:
    case kc::codes::invalid_config:
    case kc::codes::invalid_topic:
    case 35:  // UNSUPPORTED_VERSION
    case 54:  // SECURITY_DISABLED
    case 73:  // TOPIC_DELETION_DISABLED
    case -1:  // UNKNOWN_SERVER_ERROR
    case kc::codes::local_invalid_argument: code = kafka_bad_request; break;
    // A record the client sent that Kafka refuses (too large, a timestamp outside the
    // topic's limits, invalid): the client's mistake, so 400 rather than Confluent's 50002.
    case kc::codes::message_too_large:
    case kc::codes::record_list_too_large:
    case 32:  // INVALID_TIMESTAMP
    case 87:  // INVALID_RECORD
      code = kafka_bad_request;
      break;
    case 89: code = too_many_requests; break;  // THROTTLING_QUOTA_EXCEEDED
    default: code = error.retriable() ? kafka_retriable_error : kafka_error; break;
  }
  return {code, error.message()};
}

}  // namespace wharf::rest_proxy
