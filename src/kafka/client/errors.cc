#include "kafka/client/errors.h"

#include <librdkafka/rdkafka.h>

namespace wharf::kafka::client {

static_assert(codes::offset_out_of_range == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
static_assert(codes::unknown_topic_or_partition == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
static_assert(codes::leader_not_available == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
static_assert(codes::not_leader_or_follower == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
static_assert(codes::request_timed_out == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
static_assert(codes::message_too_large == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
static_assert(codes::invalid_topic == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION);
static_assert(codes::record_list_too_large == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE);
static_assert(codes::unknown_member_id == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
static_assert(codes::topic_authorization_failed == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
static_assert(codes::group_authorization_failed == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
static_assert(codes::cluster_authorization_failed ==
              RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
static_assert(codes::topic_already_exists == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
static_assert(codes::invalid_partitions == RD_KAFKA_RESP_ERR_INVALID_PARTITIONS);
static_assert(codes::invalid_replication_factor == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR);
static_assert(codes::invalid_request == RD_KAFKA_RESP_ERR_INVALID_REQUEST);
static_assert(codes::policy_violation == RD_KAFKA_RESP_ERR_POLICY_VIOLATION);
static_assert(codes::invalid_config == RD_KAFKA_RESP_ERR_INVALID_CONFIG);
static_assert(codes::sasl_authentication_failed == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED);
static_assert(codes::group_id_not_found == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND);
static_assert(codes::non_empty_group == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP);
static_assert(codes::local_fail == RD_KAFKA_RESP_ERR__FAIL);
static_assert(codes::local_transport == RD_KAFKA_RESP_ERR__TRANSPORT);
static_assert(codes::local_message_timed_out == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
static_assert(codes::local_unknown_partition == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION);
static_assert(codes::local_unknown_topic == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC);
static_assert(codes::local_all_brokers_down == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
static_assert(codes::local_invalid_argument == RD_KAFKA_RESP_ERR__INVALID_ARG);
static_assert(codes::local_timed_out == RD_KAFKA_RESP_ERR__TIMED_OUT);
static_assert(codes::local_queue_full == RD_KAFKA_RESP_ERR__QUEUE_FULL);
static_assert(codes::local_state == RD_KAFKA_RESP_ERR__STATE);
static_assert(codes::local_authentication == RD_KAFKA_RESP_ERR__AUTHENTICATION);
static_assert(codes::local_no_offset == RD_KAFKA_RESP_ERR__NO_OFFSET);
static_assert(codes::local_fatal == RD_KAFKA_RESP_ERR__FATAL);

namespace {

// Kafka's RetriableException family, plus librdkafka's local conditions that pass.
bool is_retriable_code(int code) {
  switch (code) {
    case RD_KAFKA_RESP_ERR_INVALID_MSG:  // CORRUPT_MESSAGE
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD: return true;
    default: return false;
  }
}

}  // namespace

kafka_error kafka_error::from_code(int code, std::string message) {
  auto err = static_cast<rd_kafka_resp_err_t>(code);
  if (message.empty()) message = rd_kafka_err2str(err);
  return kafka_error(code, std::move(message), is_retriable_code(code));
}

std::string kafka_error::name() const {
  return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code_));
}

wharf::error kafka_error::to_error() const {
  errc category = errc::internal;
  switch (code_) {
    case codes::local_timed_out:
    case codes::request_timed_out:
    case codes::local_message_timed_out: category = errc::timed_out; break;
    case codes::unknown_topic_or_partition:
    case codes::local_unknown_topic:
    case codes::local_unknown_partition:
    case codes::group_id_not_found: category = errc::not_found; break;
    case codes::topic_already_exists: category = errc::already_exists; break;
    case codes::local_invalid_argument:
    case codes::invalid_config:
    case codes::invalid_partitions:
    case codes::invalid_replication_factor:
    case codes::invalid_request: category = errc::invalid_argument; break;
    case codes::local_transport:
    case codes::local_all_brokers_down: category = errc::io_error; break;
    default: break;
  }
  return wharf::error(category, name() + ": " + message_);
}

}  // namespace wharf::kafka::client
