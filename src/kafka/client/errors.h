// Errors of the Kafka client: Kafka's numeric error code (positive: from a broker;
// negative: raised by librdkafka itself, e.g. a local timeout or a full queue) with its
// name and message, carried as values in result<T>.
#pragma once

#include <string>

#include "base/result.h"

namespace wharf::kafka::client {

// Codes callers branch on, with librdkafka's values (checked against rdkafka.h in
// errors.cc so this header does not need librdkafka's).
namespace codes {
inline constexpr int none = 0;
inline constexpr int offset_out_of_range = 1;
inline constexpr int unknown_topic_or_partition = 3;
inline constexpr int leader_not_available = 5;
inline constexpr int not_leader_or_follower = 6;
inline constexpr int request_timed_out = 7;
inline constexpr int message_too_large = 10;
inline constexpr int invalid_topic = 17;
inline constexpr int record_list_too_large = 18;
inline constexpr int unknown_member_id = 25;
inline constexpr int topic_authorization_failed = 29;
inline constexpr int group_authorization_failed = 30;
inline constexpr int cluster_authorization_failed = 31;
inline constexpr int topic_already_exists = 36;
inline constexpr int invalid_partitions = 37;
inline constexpr int invalid_replication_factor = 38;
inline constexpr int invalid_request = 42;
inline constexpr int policy_violation = 44;
inline constexpr int invalid_config = 40;
inline constexpr int sasl_authentication_failed = 58;
inline constexpr int group_id_not_found = 69;
inline constexpr int non_empty_group = 68;

// Raised by librdkafka, not by a broker.
inline constexpr int local_fail = -196;
inline constexpr int local_transport = -195;
inline constexpr int local_message_timed_out = -192;
inline constexpr int local_unknown_partition = -190;
inline constexpr int local_unknown_topic = -188;
inline constexpr int local_all_brokers_down = -187;
inline constexpr int local_invalid_argument = -186;
inline constexpr int local_timed_out = -185;
inline constexpr int local_queue_full = -184;
inline constexpr int local_state = -172;
inline constexpr int local_authentication = -169;
inline constexpr int local_no_offset = -168;
inline constexpr int local_fatal = -150;
}  // namespace codes

class kafka_error {
 public:
  kafka_error(int code, std::string message, bool retriable = false)
      : code_(code), message_(std::move(message)), retriable_(retriable) {}

  // A librdkafka/Kafka code, with its message and retriability looked up.
  static kafka_error from_code(int code, std::string message = {});

  int code() const { return code_; }
  const std::string& message() const { return message_; }
  // The condition may clear by itself (a leader election, a broker restart, a timeout).
  bool retriable() const { return retriable_; }
  // Kafka's name for the code ("UNKNOWN_TOPIC_OR_PART"), librdkafka's for local ones.
  std::string name() const;
  bool is_local() const { return code_ < 0; }

  // For code that reports through wharf::error.
  wharf::error to_error() const;

 private:
  int code_;
  std::string message_;
  bool retriable_;
};

template <typename T>
using result = wharf::result<T, kafka_error>;

// The value of a successful call that returns nothing.
struct done {};
using status = result<done>;

}  // namespace wharf::kafka::client
