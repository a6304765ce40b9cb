// The router's resources as stored and as the API shows them: event buses, rules and
// their targets, with EventBridge's validation of PutRule and PutTargets requests and the
// API destinations (HTTP endpoints) declared in the config file.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "base/result.h"
#include "services/router/transform.h"

namespace wharf::router {

// An API error: EventBridge's exception name (`__type`), message and HTTP status.
struct api_error {
  std::string type;
  std::string text;
  int status = 400;
  // The members a REST API's ValidationException names (fieldList: name, message).
  std::vector<std::pair<std::string, std::string>> fields = {};
  const std::string& message() const { return text; }
};

template <typename T>
using api_result = wharf::result<T, api_error>;

api_error validation_error(std::string text);

struct bus_def {
  std::string name;
  std::string description;
  double created = 0;  // epoch seconds
  double modified = 0;
};

struct rule_def {
  std::string name;
  std::string bus = "default";
  std::string description;
  std::string event_pattern;  // JSON text
  std::string state = "ENABLED";
  std::string source_topic;  // Wharf: read this plain Kafka topic instead of the bus
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<boost::json::object> targets;  // as PutTargets gave them, validated
  double created = 0;
  double modified = 0;
  double enabled_since = 0;  // last change to an enabled state: older events are skipped
  bool declared_in_config = false;

  bool enabled() const { return state != "DISABLED"; }
};

boost::json::object to_json(const bus_def& bus);
boost::json::object to_json(const rule_def& rule);
result<bus_def> bus_from_json(const boost::json::value& v);
result<rule_def> rule_from_json(const boost::json::value& v);

// An HTTP endpoint a target can name (arn:aws:events:<region>:<account>:api-destination/<name>).
struct api_destination {
  std::string name;
  std::string url;
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;
  double invocation_rate_per_second = 0;  // 0: unlimited
  std::chrono::milliseconds timeout{5'000};
};
result<std::map<std::string, api_destination>> parse_api_destinations(const std::string& json);

// Where a target delivers.
enum class target_kind { kafka_topic, event_bus, http, function };

struct target_spec {
  std::string id;
  std::string arn;
  target_kind kind = target_kind::kafka_topic;
  std::string name;  // topic, bus, function or API destination name; a URL for direct HTTP
  std::optional<std::string> input;
  std::optional<json_path> input_path;
  std::optional<input_transformer> transformer;
  std::vector<std::pair<std::string, std::string>> header_parameters;
  std::vector<std::pair<std::string, std::string>> query_parameters;
  std::string dead_letter_topic;  // empty: none
  int maximum_retry_attempts = 185;
  std::chrono::seconds maximum_event_age{86'400};
};

// Checks one PutTargets entry; error.type is the FailedEntries ErrorCode or, for what
// fails the whole call, the exception name.
api_result<target_spec> parse_target(const boost::json::object& entry);

// The Kafka topic a dead-letter or target ARN names: arn:wharf:kafka:::topic/<name>, or an
// SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>) read as the topic <name>.
std::optional<std::string> topic_of_arn(const std::string& arn);

// A PutRule request (the rule's name, bus and stored fields), or the error to answer.
api_result<rule_def> parse_put_rule(const boost::json::object& request);

// A request or stored object's string member; "" when absent or not a string.
std::string string_member(const boost::json::object& o, std::string_view key);

bool valid_bus_name(const std::string& name);
// Accepts a bus name or its ARN; "" is the default bus.
std::string bus_name_of(const std::string& name_or_arn);

}  // namespace wharf::router
