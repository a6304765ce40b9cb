// EventBridge Pipes as the router keeps them: a pipe as stored and as the Pipes API shows
// it, the checks CreatePipe and UpdatePipe make (ValidationException with a fieldList),
// the plan a runner follows (source topic, filters, enrichment, target), the per-record
// payload Pipes sends for Kafka sources and the InputTemplate filling (<$.path>).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "services/router/model.h"
#include "services/router/transform.h"

namespace wharf::router {

struct pipe_def {
  std::string name;
  std::string description;
  std::string desired_state = "RUNNING";  // RUNNING or STOPPED
  std::string source;                     // an ARN or smk:// URL, as given
  boost::json::object source_parameters;  // as given (checked)
  std::string enrichment;                 // empty: none
  boost::json::object enrichment_parameters;
  std::string target;
  boost::json::object target_parameters;
  std::string role_arn;
  boost::json::object tags;
  double created = 0;  // epoch seconds
  double modified = 0;
  bool declared_in_config = false;
};

boost::json::object to_json(const pipe_def& pipe);
result<pipe_def> pipe_from_json(const boost::json::value& v);

// CreatePipe's body (name from the path): every member Pipes checks, with the failing
// member names in fieldList.
api_result<pipe_def> parse_create_pipe(const std::string& name, const boost::json::object& body);
// UpdatePipe's body over an existing pipe: what it names replaces what was there (a
// source cannot change; SourceParameters may change BatchSize, the batching window and
// FilterCriteria).
api_result<pipe_def> parse_update_pipe(const pipe_def& existing, const boost::json::object& body);

enum class pipe_source_kind { msk, self_managed, topic };

struct pipe_source {
  pipe_source_kind kind = pipe_source_kind::msk;
  std::string arn;                // eventSourceArn (MSK-style, or the topic ARN shorthand)
  std::string bootstrap_servers;  // self-managed: "host:port,..." as the payload shows it
  std::string topic;
  bool from_earliest = false;  // StartingPosition TRIM_HORIZON (LATEST is Pipes' default)
  int batch_size = 100;
  int batching_window_seconds = 0;
  std::string consumer_group;        // empty: derived from the pipe's name
  std::vector<std::string> filters;  // event patterns (JSON text); any one matching keeps a record
};

// A pipe's enrichment or target.
struct pipe_endpoint {
  std::string arn;
  target_kind kind = target_kind::kafka_topic;
  std::string name;  // topic, bus, function, API destination name or URL
  std::optional<std::string> input_template;
  std::vector<std::pair<std::string, std::string>> header_parameters;
  std::vector<std::pair<std::string, std::string>> query_parameters;
  std::string bus_source;       // event bus targets: the events' source
  std::string bus_detail_type;  // and detail-type
};

struct pipe_plan {
  pipe_source source;
  std::optional<pipe_endpoint> enrichment;
  pipe_endpoint target;
};

// What the runner does, from a checked pipe (errors name the member at fault).
api_result<pipe_plan> plan_pipe(const pipe_def& pipe);

// One Kafka record as Pipes hands it on: eventSource "aws:kafka" with eventSourceArn
// (MSK) or "SelfManagedKafka" with bootstrapServers, eventSourceKey "<topic>-<partition>",
// topic, partition, offset, timestamp, timestampType, base64 key and value, and headers
// as [{name: [byte, ...]}].
boost::json::object kafka_record_payload(const pipe_source& source, const record_view& record);

// The payload as filters see it: value parsed as JSON when it is base64 of JSON text.
boost::json::value filter_view(const boost::json::object& payload);

// The source record's key when item is a record payload (its base64 `key`), for Kafka
// targets; nullopt otherwise.
std::optional<std::string> record_key_of(const boost::json::value& item);

// The values the reserved <aws.pipes.*> template variables name.
struct pipe_context {
  std::string pipe_name;
  std::string pipe_arn;
  std::string source_arn;
  std::string enrichment_arn;
  std::string target_arn;
  std::string ingestion_time;  // ISO 8601
};

// Fills an InputTemplate for one item: <$.path> placeholders (JSON paths into the item)
// and <aws.pipes.pipe-name>, -arn, source-arn, enrichment-arn, target-arn,
// event.ingestion-time, <aws.pipes.event> and <aws.pipes.event.json> (the item), as
// EventBridge's input transformers fill templates.
std::string apply_pipe_template(const std::string& input_template, const boost::json::value& item,
                                const pipe_context& context);

}  // namespace wharf::router
