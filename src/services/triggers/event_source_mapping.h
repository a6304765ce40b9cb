// An event source mapping as AWS Lambda's API describes one for Kafka sources: parsing
// and checking CreateEventSourceMapping / UpdateEventSourceMapping bodies with Lambda's
// names, limits and errors, the stored form, and the EventSourceMappingConfiguration
// answer.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "base/result.h"

namespace wharf::triggers {

// Lambda's error: the exception name (X-Amzn-ErrorType), the HTTP status, the message.
struct api_error {
  std::string type;  // "InvalidParameterValueException", "ValidationException", ...
  int status = 400;
  std::string text;
  const std::string& message() const { return text; }
};

api_error invalid_parameter(std::string message);
api_error validation_error(const std::string& value, const std::string& member,
                           const std::string& constraint);
api_error not_found();

// Where the names in ARNs come from.
struct aws_identity {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string function_arn(const std::string& name) const;
  std::string mapping_arn(const std::string& uuid) const;
};

struct event_source_mapping {
  std::string uuid;
  std::string function_name;
  std::string event_source_arn;                // an MSK cluster ARN; empty when self-managed
  std::vector<std::string> bootstrap_servers;  // SelfManagedEventSource's KAFKA_BOOTSTRAP_SERVERS
  std::vector<std::string> topics;             // exactly one
  int batch_size = 100;
  std::optional<int> batching_window_s;  // absent: Lambda's 500 ms default for Kafka
  std::string starting_position = "TRIM_HORIZON";
  std::optional<double> starting_position_timestamp;  // epoch seconds
  std::string consumer_group_id;                      // default: the UUID
  std::vector<std::string> filter_patterns;           // FilterCriteria.Filters[].Pattern
  std::string on_failure_destination;                 // "kafka://topic" or ""
  bool report_batch_item_failures = false;
  int maximum_retry_attempts = -1;
  int maximum_record_age_s = -1;
  bool bisect_on_error = false;
  bool enabled = true;
  boost::json::value
      source_access_configurations;  // kept and echoed (credentials come from config)
  std::map<std::string, std::string> tags;
  double last_modified = 0;  // epoch seconds
  std::string state_transition_reason = "USER_INITIATED";
  bool declared_in_config = false;

  // The failure topic named by on_failure_destination, or "".
  std::string failure_topic() const;
  bool self_managed() const { return event_source_arn.empty(); }
};

// The parts of a request Lambda checks against the functions and clusters Wharf knows.
struct request_context {
  std::function<bool(const std::string& function_name)> function_exists;
  // Whether an MSK-style ARN names a cluster Wharf knows.
  std::function<bool(const std::string& arn)> cluster_known;
};

// The function name in FunctionName (a name, or a full or partial ARN, with no qualifier
// other than $LATEST), or an error.
result<std::string, api_error> function_name_of(const std::string& text);

// A CreateEventSourceMapping body as a new mapping (uuid and times still unset).
result<event_source_mapping, api_error> parse_create(const boost::json::value& body,
                                                     const request_context& ctx);
// An UpdateEventSourceMapping body applied to a mapping.
result<event_source_mapping, api_error> apply_update(event_source_mapping mapping,
                                                     const boost::json::value& body,
                                                     const request_context& ctx);

// The stored form (our own JSON, every field) and back.
std::string to_stored_json(const event_source_mapping& m);
result<event_source_mapping> from_stored_json(std::string_view text);

// Lambda's EventSourceMappingConfiguration.
boost::json::object to_configuration(const event_source_mapping& m, const aws_identity& aws,
                                     const std::string& state,
                                     const std::string& last_processing_result);

}  // namespace wharf::triggers
