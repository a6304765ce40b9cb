#include "services/triggers/event_source_mapping.h"

#include "services/triggers/filters.h"

#include <regex>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>

namespace wharf::triggers {

namespace bj = boost::json;

api_error invalid_parameter(std::string message) {
  return {"InvalidParameterValueException", 400, std::move(message)};
}

api_error validation_error(const std::string& value, const std::string& member,
                           const std::string& constraint) {
  return {"ValidationException", 400,
          fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                      "constraint: {}",
                      value, member, constraint)};
}

api_error not_found() {
  return {"ResourceNotFoundException", 404, "The resource you requested does not exist."};
}

std::string aws_identity::function_arn(const std::string& name) const {
  return fmt::format("arn:aws:lambda:{}:{}:function:{}", region, account_id, name);
}

std::string aws_identity::mapping_arn(const std::string& uuid) const {
  return fmt::format("arn:aws:lambda:{}:{}:event-source-mapping:{}", region, account_id, uuid);
}

std::string event_source_mapping::failure_topic() const {
  constexpr std::string_view prefix = "kafka://";
  if (!on_failure_destination.starts_with(prefix)) return {};
  return on_failure_destination.substr(prefix.size());
}

namespace {

std::string text_of(const bj::value& v) {
  return v.is_string() ? std::string(v.get_string()) : bj::serialize(v);
}

// The JSON member's name as Lambda's messages spell it ("batchSize").
std::string camel(std::string_view member) {
  std::string out(member);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

result<int, api_error> integer_in(const bj::value& v, std::string_view member, int min, int max) {
  if (!v.is_int64() || v.get_int64() < min || v.get_int64() > max) {
    if (v.is_int64() && v.get_int64() < min) {
      return validation_error(
          text_of(v), camel(member),
          fmt::format("Member must have value greater than or equal to {}", min));
    }
    if (v.is_int64() || v.is_uint64()) {
      return validation_error(text_of(v), camel(member),
                              fmt::format("Member must have value less than or equal to {}", max));
    }
    return invalid_parameter(fmt::format("{} must be an integer", member));
  }
  return static_cast<int>(v.get_int64());
}

result<bool, api_error> boolean(const bj::value& v, std::string_view member) {
  if (!v.is_bool()) return invalid_parameter(fmt::format("{} must be true or false", member));
  return v.get_bool();
}

const std::regex& topic_pattern() {
  static const std::regex pattern(R"([^.]([a-zA-Z0-9\-_.]+))");
  return pattern;
}

const std::regex& endpoint_pattern() {
  static const std::regex pattern(
      R"((([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]):[0-9]{1,5})");
  return pattern;
}

// The settings Create and Update share.
std::optional<api_error> apply_common(event_source_mapping& m, const bj::object& body,
                                      const request_context& ctx) {
  if (const auto* v = body.if_contains("FunctionName")) {
    if (!v->is_string()) return invalid_parameter("FunctionName must be a string");
    auto name = function_name_of(std::string(v->get_string()));
    if (!name.ok()) return name.err();
    if (ctx.function_exists && !ctx.function_exists(*name)) {
      return invalid_parameter("Function does not exist");
    }
    m.function_name = *name;
  }
  if (const auto* v = body.if_contains("Enabled"); v && !v->is_null()) {
    auto b = boolean(*v, "Enabled");
    if (!b.ok()) return b.err();
    m.enabled = *b;
  }
  if (const auto* v = body.if_contains("BatchSize"); v && !v->is_null()) {
    auto n = integer_in(*v, "BatchSize", 1, 10'000);
    if (!n.ok()) return n.err();
    m.batch_size = *n;
  }
  if (const auto* v = body.if_contains("MaximumBatchingWindowInSeconds"); v && !v->is_null()) {
    auto n = integer_in(*v, "MaximumBatchingWindowInSeconds", 0, 300);
    if (!n.ok()) return n.err();
    m.batching_window_s = *n;
  }
  if (const auto* v = body.if_contains("FilterCriteria"); v && !v->is_null()) {
    const auto* filters = v->is_object() ? v->get_object().if_contains("Filters") : nullptr;
    if (!v->is_object() || (filters && !filters->is_array() && !filters->is_null())) {
      return invalid_parameter("FilterCriteria must be {\"Filters\": [{\"Pattern\": \"...\"}]}");
    }
    std::vector<std::string> patterns;
    if (filters && filters->is_array()) {
      if (filters->get_array().size() > 5) {
        return invalid_parameter(
            "The number of filters exceeds the limit of 5 for one event source mapping.");
      }
      for (const auto& f : filters->get_array()) {
        const auto* p = f.is_object() ? f.get_object().if_contains("Pattern") : nullptr;
        if (!p || !p->is_string() || p->get_string().size() > 4096) {
          return invalid_parameter("Invalid filter pattern definition.");
        }
        patterns.emplace_back(p->get_string());
      }
    }
    if (auto compiled = make_record_filter(patterns); !compiled.ok()) return compiled.err();
    m.filter_patterns = std::move(patterns);
  }
  if (const auto* v = body.if_contains("DestinationConfig"); v && !v->is_null()) {
    if (!v->is_object()) return invalid_parameter("DestinationConfig must be an object");
    if (const auto* s = v->get_object().if_contains("OnSuccess"); s && !s->is_null()) {
      return invalid_parameter(
          "Unsupported DestinationConfig parameter for given event source mapping type.");
    }
    if (const auto* f = v->get_object().if_contains("OnFailure"); f && !f->is_null()) {
      const auto* d = f->is_object() ? f->get_object().if_contains("Destination") : nullptr;
      std::string destination = d && d->is_string() ? std::string(d->get_string()) : "";
      if (!destination.empty()) {
        static const std::regex kafka_destination(R"(kafka://([^.]([a-zA-Z0-9\-_.]{0,248})))");
        if (!std::regex_match(destination, kafka_destination)) {
          if (destination.starts_with("arn:")) {
            return invalid_parameter(
                "Only Kafka topics (kafka://<topic>) are supported as on-failure destinations "
                "by this Wharf");
          }
          return validation_error(destination, "destinationConfig.onFailure.destination",
                                  "Member must satisfy regular expression pattern: "
                                  "$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:...");
        }
      }
      m.on_failure_destination = destination;
    }
  }
  if (const auto* v = body.if_contains("FunctionResponseTypes"); v && !v->is_null()) {
    if (!v->is_array() || v->get_array().size() > 1) {
      return invalid_parameter("FunctionResponseTypes holds at most ReportBatchItemFailures");
    }
    m.report_batch_item_failures = false;
    for (const auto& t : v->get_array()) {
      if (!t.is_string() || t.get_string() != "ReportBatchItemFailures") {
        return validation_error(text_of(t), "functionResponseTypes",
                                "Member must satisfy enum value set: [ReportBatchItemFailures]");
      }
      m.report_batch_item_failures = true;
    }
  }
  if (const auto* v = body.if_contains("MaximumRetryAttempts"); v && !v->is_null()) {
    auto n = integer_in(*v, "MaximumRetryAttempts", -1, 10'000);
    if (!n.ok()) return n.err();
    m.maximum_retry_attempts = *n;
  }
  if (const auto* v = body.if_contains("MaximumRecordAgeInSeconds"); v && !v->is_null()) {
    auto n = integer_in(*v, "MaximumRecordAgeInSeconds", -1, 604'800);
    if (!n.ok()) return n.err();
    if (*n >= 0 && *n < 60) {
      return invalid_parameter(
          "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800.");
    }
    m.maximum_record_age_s = *n;
  }
  if (const auto* v = body.if_contains("BisectBatchOnFunctionError"); v && !v->is_null()) {
    auto b = boolean(*v, "BisectBatchOnFunctionError");
    if (!b.ok()) return b.err();
    m.bisect_on_error = *b;
  }
  if (const auto* v = body.if_contains("SourceAccessConfigurations"); v && !v->is_null()) {
    if (!v->is_array() || v->get_array().size() > 23) {
      return invalid_parameter("SourceAccessConfigurations must be a list of at most 23 entries");
    }
    m.source_access_configurations = *v;
  }
  for (const char* key :
       {"AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig"}) {
    const auto* v = body.if_contains(key);
    if (!v || v->is_null()) continue;
    const auto* id = v->is_object() ? v->get_object().if_contains("ConsumerGroupId") : nullptr;
    if (!id || id->is_null()) continue;
    if (!id->is_string() || id->get_string().empty() || id->get_string().size() > 200) {
      return invalid_parameter("ConsumerGroupId must be a string of 1 to 200 characters");
    }
    std::string group(id->get_string());
    if (!m.consumer_group_id.empty() && group != m.consumer_group_id) {
      return invalid_parameter("ConsumerGroupId cannot be updated.");
    }
    m.consumer_group_id = group;
  }
  if (!m.failure_topic().empty()) {
    for (const auto& t : m.topics) {
      if (t == m.failure_topic()) {
        return invalid_parameter(
            "The on-failure destination topic must differ from the event source mapping's topic.");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

result<std::string, api_error> function_name_of(const std::string& text) {
  // name | arn:aws:lambda:region:account:function:name[:qualifier] | account:function:name
  static const std::regex full(
      R"(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?)");
  static const std::regex partial(
      R"(\d{12}:function:([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?)");
  static const std::regex bare(R"(([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?)");
  std::smatch m;
  if (std::regex_match(text, m, full) || std::regex_match(text, m, partial) ||
      std::regex_match(text, m, bare)) {
    if (m[1].length() > 64) {
      return validation_error(text, "functionName",
                              "Member must have length less than or equal to 64");
    }
    if (m[3].matched && m[3].str() != "$LATEST") {
      return invalid_parameter("Function versions and aliases are not supported: use $LATEST");
    }
    return m[1].str();
  }
  return validation_error(text, "functionName",
                          "Member must satisfy regular expression pattern: "
                          "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
                          "(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
}

result<event_source_mapping, api_error> parse_create(const bj::value& value,
                                                     const request_context& ctx) {
  if (!value.is_object()) return invalid_parameter("The request body must be a JSON object");
  const auto& body = value.get_object();
  event_source_mapping m;
  const auto* fn = body.if_contains("FunctionName");
  if (!fn || fn->is_null()) {
    return validation_error("null", "functionName", "Member must not be null");
  }
  const auto* arn = body.if_contains("EventSourceArn");
  const auto* self = body.if_contains("SelfManagedEventSource");
  bool has_arn = arn && !arn->is_null();
  bool has_self = self && !self->is_null();
  if (has_arn == has_self) {
    return invalid_parameter(has_arn ? "Specify either EventSourceArn or SelfManagedEventSource, "
                                       "not both."
                                     : "Unrecognized event source.");
  }
  if (has_arn) {
    if (!arn->is_string()) return invalid_parameter("EventSourceArn must be a string");
    m.event_source_arn = std::string(arn->get_string());
    if (!m.event_source_arn.starts_with("arn:aws:kafka:")) {
      return invalid_parameter(
          "Unrecognized event source, must be an Amazon MSK cluster ARN "
          "(arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>) or a SelfManagedEventSource.");
    }
    if (ctx.cluster_known && !ctx.cluster_known(m.event_source_arn)) {
      return invalid_parameter(fmt::format(
          "The event source arn (\"{}\") does not name a Kafka cluster this Wharf knows.",
          m.event_source_arn));
    }
  } else {
    const auto* endpoints =
        self->is_object() ? self->get_object().if_contains("Endpoints") : nullptr;
    const auto* servers = endpoints && endpoints->is_object()
                              ? endpoints->get_object().if_contains("KAFKA_BOOTSTRAP_SERVERS")
                              : nullptr;
    if (!servers || !servers->is_array() || servers->get_array().empty() ||
        servers->get_array().size() > 10) {
      return invalid_parameter(
          "SelfManagedEventSource needs Endpoints.KAFKA_BOOTSTRAP_SERVERS with 1 to 10 "
          "host:port entries.");
    }
    for (const auto& s : servers->get_array()) {
      if (!s.is_string() || !std::regex_match(std::string(s.get_string()), endpoint_pattern())) {
        return validation_error(text_of(s), "selfManagedEventSource.endpoints",
                                "Member must satisfy the host:port pattern");
      }
      m.bootstrap_servers.emplace_back(s.get_string());
    }
  }
  const auto* topics = body.if_contains("Topics");
  if (!topics || topics->is_null())
    return invalid_parameter("Topics is required for Kafka sources.");
  if (!topics->is_array() || topics->get_array().size() != 1) {
    return validation_error(
        topics->is_array() ? std::to_string(topics->get_array().size()) : text_of(*topics),
        "topics",
        "Member must have length less than or equal to 1 and "
        "greater than or equal to 1");
  }
  const auto& topic = topics->get_array()[0];
  if (!topic.is_string() || topic.get_string().empty() || topic.get_string().size() > 249 ||
      !std::regex_match(std::string(topic.get_string()), topic_pattern())) {
    return validation_error(
        text_of(topic), "topics.1.member",
        "Member must satisfy regular expression pattern: [^.]([a-zA-Z0-9\\-_.]+)");
  }
  m.topics = {std::string(topic.get_string())};
  if (const auto* v = body.if_contains("StartingPosition"); v && !v->is_null()) {
    std::string position = text_of(*v);
    if (position != "LATEST" && position != "TRIM_HORIZON" && position != "AT_TIMESTAMP") {
      return validation_error(position, "startingPosition",
                              "Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, "
                              "TRIM_HORIZON]");
    }
    m.starting_position = position;
  }
  if (m.starting_position == "AT_TIMESTAMP") {
    const auto* ts = body.if_contains("StartingPositionTimestamp");
    if (!ts || !(ts->is_number())) {
      return invalid_parameter(
          "StartingPositionTimestamp is required when StartingPosition is AT_TIMESTAMP.");
    }
    double seconds = ts->to_number<double>();
    auto now = static_cast<double>(std::time(nullptr));
    if (seconds > now + 60) {
      return invalid_parameter("StartingPositionTimestamp cannot be in the future.");
    }
    m.starting_position_timestamp = seconds;
  }
  if (const auto* v = body.if_contains("Tags"); v && !v->is_null()) {
    if (!v->is_object()) return invalid_parameter("Tags must be an object of strings");
    for (const auto& [k, t] : v->get_object()) {
      if (!t.is_string()) return invalid_parameter("Tags must be an object of strings");
      m.tags[std::string(k)] = std::string(t.get_string());
    }
  }
  if (auto problem = apply_common(m, body, ctx)) return *problem;
  return m;
}

result<event_source_mapping, api_error> apply_update(event_source_mapping m, const bj::value& value,
                                                     const request_context& ctx) {
  if (!value.is_object()) return invalid_parameter("The request body must be a JSON object");
  const auto& body = value.get_object();
  for (const char* fixed :
       {"EventSourceArn", "Topics", "StartingPosition", "StartingPositionTimestamp",
        "SelfManagedEventSource", "Tags", "Queues"}) {
    if (const auto* v = body.if_contains(fixed); v && !v->is_null()) {
      return invalid_parameter(fmt::format("{} cannot be updated.", fixed));
    }
  }
  if (auto problem = apply_common(m, body, ctx)) return *problem;
  return m;
}

std::string to_stored_json(const event_source_mapping& m) {
  bj::object o{{"uuid", m.uuid},
               {"function_name", m.function_name},
               {"event_source_arn", m.event_source_arn},
               {"batch_size", m.batch_size},
               {"starting_position", m.starting_position},
               {"consumer_group_id", m.consumer_group_id},
               {"on_failure_destination", m.on_failure_destination},
               {"report_batch_item_failures", m.report_batch_item_failures},
               {"maximum_retry_attempts", m.maximum_retry_attempts},
               {"maximum_record_age_s", m.maximum_record_age_s},
               {"bisect_on_error", m.bisect_on_error},
               {"enabled", m.enabled},
               {"source_access_configurations", m.source_access_configurations},
               {"last_modified", m.last_modified},
               {"state_transition_reason", m.state_transition_reason},
               {"declared_in_config", m.declared_in_config}};
  bj::array servers, topics, patterns;
  for (const auto& s : m.bootstrap_servers) servers.emplace_back(s);
  for (const auto& t : m.topics) topics.emplace_back(t);
  for (const auto& p : m.filter_patterns) patterns.emplace_back(p);
  o["bootstrap_servers"] = std::move(servers);
  o["topics"] = std::move(topics);
  o["filter_patterns"] = std::move(patterns);
  if (m.batching_window_s) o["batching_window_s"] = *m.batching_window_s;
  if (m.starting_position_timestamp)
    o["starting_position_timestamp"] = *m.starting_position_timestamp;
  bj::object tags;
  for (const auto& [k, v] : m.tags) tags[k] = v;
  o["tags"] = std::move(tags);
  return bj::serialize(o);
}

result<event_source_mapping> from_stored_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = bj::parse(text, ec);
  if (ec || !v.is_object()) return make_error(errc::parse_error, "not a stored mapping");
  const auto& o = v.get_object();
  event_source_mapping m;
  try {
    m.uuid = bj::value_to<std::string>(o.at("uuid"));
    m.function_name = bj::value_to<std::string>(o.at("function_name"));
    m.event_source_arn = bj::value_to<std::string>(o.at("event_source_arn"));
    m.bootstrap_servers = bj::value_to<std::vector<std::string>>(o.at("bootstrap_servers"));
    m.topics = bj::value_to<std::vector<std::string>>(o.at("topics"));
    m.batch_size = bj::value_to<int>(o.at("batch_size"));
    if (const auto* w = o.if_contains("batching_window_s"))
      m.batching_window_s = bj::value_to<int>(*w);
    m.starting_position = bj::value_to<std::string>(o.at("starting_position"));
    if (const auto* t = o.if_contains("starting_position_timestamp")) {
      m.starting_position_timestamp = t->to_number<double>();
    }
    m.consumer_group_id = bj::value_to<std::string>(o.at("consumer_group_id"));
    m.filter_patterns = bj::value_to<std::vector<std::string>>(o.at("filter_patterns"));
    m.on_failure_destination = bj::value_to<std::string>(o.at("on_failure_destination"));
    m.report_batch_item_failures = o.at("report_batch_item_failures").as_bool();
    m.maximum_retry_attempts = bj::value_to<int>(o.at("maximum_retry_attempts"));
    m.maximum_record_age_s = bj::value_to<int>(o.at("maximum_record_age_s"));
    m.bisect_on_error = o.at("bisect_on_error").as_bool();
    m.enabled = o.at("enabled").as_bool();
    m.source_access_configurations = o.at("source_access_configurations");
    m.tags = bj::value_to<std::map<std::string, std::string>>(o.at("tags"));
    m.last_modified = o.at("last_modified").to_number<double>();
    m.state_transition_reason = bj::value_to<std::string>(o.at("state_transition_reason"));
    m.declared_in_config = o.at("declared_in_config").as_bool();
  } catch (const std::exception& e) {
    return make_error(errc::parse_error, "a stored mapping is missing a field: {}", e.what());
  }
  return m;
}

bj::object to_configuration(const event_source_mapping& m, const aws_identity& aws,
                            const std::string& state, const std::string& last_processing_result) {
  bj::object out{
      {"UUID", m.uuid}, {"BatchSize", m.batch_size}, {"StartingPosition", m.starting_position}};
  if (m.starting_position_timestamp)
    out["StartingPositionTimestamp"] = *m.starting_position_timestamp;
  if (m.batching_window_s) out["MaximumBatchingWindowInSeconds"] = *m.batching_window_s;
  if (m.self_managed()) {
    bj::array servers;
    for (const auto& s : m.bootstrap_servers) servers.emplace_back(s);
    out["SelfManagedEventSource"] =
        bj::object{{"Endpoints", bj::object{{"KAFKA_BOOTSTRAP_SERVERS", std::move(servers)}}}};
    out["SelfManagedKafkaEventSourceConfig"] = bj::object{{"ConsumerGroupId", m.consumer_group_id}};
  } else {
    out["EventSourceArn"] = m.event_source_arn;
    out["AmazonManagedKafkaEventSourceConfig"] =
        bj::object{{"ConsumerGroupId", m.consumer_group_id}};
  }
  if (!m.filter_patterns.empty()) {
    bj::array filters;
    for (const auto& p : m.filter_patterns) filters.push_back(bj::object{{"Pattern", p}});
    out["FilterCriteria"] = bj::object{{"Filters", std::move(filters)}};
  }
  out["FunctionArn"] = aws.function_arn(m.function_name);
  out["LastModified"] = m.last_modified;
  out["LastProcessingResult"] = last_processing_result;
  out["State"] = state;
  out["StateTransitionReason"] = m.state_transition_reason;
  if (!m.on_failure_destination.empty()) {
    out["DestinationConfig"] =
        bj::object{{"OnFailure", bj::object{{"Destination", m.on_failure_destination}}}};
  }
  bj::array topics;
  for (const auto& t : m.topics) topics.emplace_back(t);
  out["Topics"] = std::move(topics);
  if (m.source_access_configurations.is_array() &&
      !m.source_access_configurations.get_array().empty()) {
    out["SourceAccessConfigurations"] = m.source_access_configurations;
  }
  out["MaximumRecordAgeInSeconds"] = m.maximum_record_age_s;
  out["BisectBatchOnFunctionError"] = m.bisect_on_error;
  out["MaximumRetryAttempts"] = m.maximum_retry_attempts;
  bj::array types;
  if (m.report_batch_item_failures) types.emplace_back("ReportBatchItemFailures");
  out["FunctionResponseTypes"] = std::move(types);
  out["EventSourceMappingArn"] = aws.mapping_arn(m.uuid);
  return out;
}

}  // namespace wharf::triggers
