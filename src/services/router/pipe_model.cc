// EventBridge Pipes' requests, plans, record payloads and templates (see pipe_model.h).
#include "services/router/pipe_model.h"

#include <regex>
#include <set>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/base64.h"
#include "pattern/pattern.h"

namespace wharf::router {

namespace bj = boost::json;

namespace {

constexpr std::size_t max_filters = 5;  // Pipes' FilterCriteria limit
constexpr std::size_t max_template = 8192;

// Collects member problems as Pipes' ValidationException does.
struct checker {
  std::vector<std::pair<std::string, std::string>> fields;

  void fail(std::string member, std::string message) {
    fields.emplace_back(std::move(member), std::move(message));
  }
  api_error error() const {
    std::string text = fmt::format("{} validation error{} detected: ", fields.size(),
                                   fields.size() == 1 ? "" : "s");
    for (std::size_t i = 0; i < fields.size(); ++i) {
      text += fmt::format("{}Value at '{}' failed to satisfy constraint: {}", i ? "; " : "",
                          fields[i].first, fields[i].second);
    }
    api_error e{"ValidationException", text, 400};
    e.fields = fields;
    return e;
  }

  // An optional object member; a present non-object is a problem.
  const bj::object* object(const bj::object& o, std::string_view key, const std::string& where) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_object()) {
      fail(where, "Member must be a structure");
      return nullptr;
    }
    return &v->get_object();
  }
  void string(const bj::object& o, std::string_view key, const std::string& where,
              std::size_t max) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return;
    if (!v->is_string()) {
      fail(where, "Member must be a string");
    } else if (v->get_string().size() > max) {
      fail(where, fmt::format("Member must have length less than or equal to {}", max));
    }
  }
  void integer(const bj::object& o, std::string_view key, const std::string& where,
               std::int64_t min, std::int64_t max) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return;
    if (!v->is_int64() && !v->is_uint64()) {
      fail(where, "Member must be an integer");
      return;
    }
    auto n = v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
    if (n < min || n > max) {
      fail(where, fmt::format("Member must have value between {} and {}", min, max));
    }
  }
  void one_of(const bj::object& o, std::string_view key, const std::string& where,
              std::initializer_list<std::string_view> values) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return;
    if (v->is_string()) {
      for (auto allowed : values) {
        if (v->get_string() == allowed) return;
      }
    }
    std::string list;
    for (auto allowed : values) list += (list.empty() ? "" : ", ") + std::string(allowed);
    fail(where, fmt::format("Member must satisfy enum value set: [{}]", list));
  }
};

const std::regex& msk_arn() {
  static const std::regex r(R"(arn:aws[a-z-]*:kafka:[a-z0-9-]*:[0-9]*:cluster/[^/]+/.+)");
  return r;
}

bool is_topic_arn(const std::string& s) { return s.starts_with("arn:wharf:kafka:::topic/"); }

void check_filters(checker& c, const bj::object& params) {
  auto* criteria = c.object(params, "FilterCriteria", "SourceParameters.FilterCriteria");
  if (!criteria) return;
  auto* filters = criteria->if_contains("Filters");
  if (!filters || filters->is_null()) return;
  if (!filters->is_array()) {
    c.fail("SourceParameters.FilterCriteria.Filters", "Member must be a list");
    return;
  }
  if (filters->get_array().size() > max_filters) {
    c.fail("SourceParameters.FilterCriteria.Filters",
           fmt::format("Member must have length less than or equal to {}", max_filters));
  }
  for (const auto& f : filters->get_array()) {
    auto* pattern = f.is_object() ? f.get_object().if_contains("Pattern") : nullptr;
    if (!pattern || !pattern->is_string()) {
      c.fail("SourceParameters.FilterCriteria.Filters.member.Pattern",
             "Member must be an event pattern (JSON text)");
      continue;
    }
    if (pattern->get_string().size() > 4096) {
      c.fail("SourceParameters.FilterCriteria.Filters.member.Pattern",
             "Member must have length less than or equal to 4096");
      continue;
    }
    auto compiled = pattern::pattern::compile(std::string(pattern->get_string()));
    if (!compiled.ok()) {
      c.fail("SourceParameters.FilterCriteria.Filters.member.Pattern",
             "Member must be a valid event pattern: " + compiled.err().message());
    }
  }
}

void check_kafka_parameters(checker& c, const bj::object& p, const std::string& where, bool full) {
  if (full) {
    auto topic = string_member(p, "TopicName");
    // A Kafka topic name, not starting with '.' (as Pipes' pattern [^.]([a-zA-Z0-9\-_.]+)).
    static const std::regex topic_pattern(R"([a-zA-Z0-9\-_][a-zA-Z0-9\-_.]*)");
    if (topic.empty() || topic.size() > 249 || !std::regex_match(topic, topic_pattern)) {
      c.fail(where + ".TopicName",
             "Member must be a Kafka topic name of 1 to 249 letters, digits, '.', '_' and '-', "
             "not starting with '.'");
    }
    c.one_of(p, "StartingPosition", where + ".StartingPosition", {"TRIM_HORIZON", "LATEST"});
    c.string(p, "ConsumerGroupID", where + ".ConsumerGroupID", 200);
    if (auto* servers = p.if_contains("AdditionalBootstrapServers");
        servers && !servers->is_null()) {
      if (!servers->is_array() || servers->get_array().size() > 2) {
        c.fail(where + ".AdditionalBootstrapServers", "Member must be a list of at most 2");
      }
    }
  }
  c.integer(p, "BatchSize", where + ".BatchSize", 1, 10'000);
  c.integer(p, "MaximumBatchingWindowInSeconds", where + ".MaximumBatchingWindowInSeconds", 0, 300);
}

// Source and SourceParameters: an MSK-style cluster ARN with ManagedStreamingKafkaParameters,
// smk://host:port with SelfManagedKafkaParameters, or Wharf's topic ARN.
void check_source(checker& c, const std::string& source, const bj::object& params, bool full) {
  auto* msk = c.object(params, "ManagedStreamingKafkaParameters",
                       "SourceParameters.ManagedStreamingKafkaParameters");
  auto* smk =
      c.object(params, "SelfManagedKafkaParameters", "SourceParameters.SelfManagedKafkaParameters");
  for (const char* other :
       {"KinesisStreamParameters", "DynamoDBStreamParameters", "SqsQueueParameters",
        "ActiveMQBrokerParameters", "RabbitMQBrokerParameters"}) {
    if (params.contains(other)) {
      c.fail(std::string("SourceParameters.") + other,
             "Wharf's pipes read Kafka topics only (ManagedStreamingKafkaParameters or "
             "SelfManagedKafkaParameters)");
    }
  }
  if (msk && smk) {
    c.fail("SourceParameters",
           "Only one of ManagedStreamingKafkaParameters and "
           "SelfManagedKafkaParameters may be given");
  }
  if (std::regex_match(source, msk_arn())) {
    if (!msk && full) {
      c.fail("SourceParameters.ManagedStreamingKafkaParameters",
             "Member is required for an Amazon MSK source");
    }
  } else if (source.starts_with("smk://")) {
    if (!smk && full) {
      c.fail("SourceParameters.SelfManagedKafkaParameters",
             "Member is required for a self-managed Apache Kafka source");
    }
  } else if (is_topic_arn(source)) {
    // Wharf's shorthand: the topic is in the ARN; parameters are optional.
  } else if (full) {
    c.fail("Source",
           "Member must be a Kafka source: an MSK cluster ARN "
           "(arn:aws:kafka:<region>:<account>:cluster/<name>/<id>), smk://host:port or "
           "arn:wharf:kafka:::topic/<name>");
  }
  if (msk) {
    check_kafka_parameters(c, *msk, "SourceParameters.ManagedStreamingKafkaParameters", full);
  }
  if (smk) check_kafka_parameters(c, *smk, "SourceParameters.SelfManagedKafkaParameters", full);
  check_filters(c, params);
}

std::optional<pipe_endpoint> endpoint_of(const std::string& arn) {
  bj::object entry{{"Id", "pipe"}, {"Arn", arn}};
  auto parsed = parse_target(entry);
  if (!parsed.ok()) return std::nullopt;
  pipe_endpoint e;
  e.arn = arn;
  e.kind = parsed->kind;
  e.name = parsed->name;
  return e;
}

std::vector<std::pair<std::string, std::string>> string_map(const bj::object* o) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!o) return out;
  for (const auto& [k, v] : *o) {
    if (v.is_string()) out.emplace_back(std::string(k), std::string(v.get_string()));
  }
  return out;
}

void check_endpoint_parameters(checker& c, const bj::object& params, const std::string& where) {
  c.string(params, "InputTemplate", where + ".InputTemplate", max_template);
  if (auto* http = c.object(params, "HttpParameters", where + ".HttpParameters")) {
    for (const char* m : {"HeaderParameters", "QueryStringParameters"}) {
      if (auto* map = c.object(*http, m, where + ".HttpParameters." + m)) {
        for (const auto& [k, v] : *map) {
          if (!v.is_string()) {
            c.fail(where + ".HttpParameters." + m, "Member must map strings to strings");
            break;
          }
        }
      }
    }
  }
}

void check_enrichment_and_target(checker& c, const pipe_def& p) {
  if (!p.enrichment.empty()) {
    auto e = endpoint_of(p.enrichment);
    if (!e || (e->kind != target_kind::http && e->kind != target_kind::function)) {
      c.fail("Enrichment",
             "Member must be a Lambda function ARN or an API destination ARN "
             "(arn:aws:events:<region>:<account>:api-destination/<name>)");
    }
  }
  check_endpoint_parameters(c, p.enrichment_parameters, "EnrichmentParameters");
  if (p.target.empty()) {
    c.fail("Target", "Member must not be null");
  } else if (!endpoint_of(p.target)) {
    c.fail("Target",
           "Member must be a target Wharf can deliver to: arn:wharf:kafka:::topic/<name>, an "
           "event bus, a Lambda function, an API destination or an http(s) URL");
  }
  check_endpoint_parameters(c, p.target_parameters, "TargetParameters");
  if (auto* bus = c.object(p.target_parameters, "EventBridgeEventBusParameters",
                           "TargetParameters.EventBridgeEventBusParameters")) {
    c.string(*bus, "Source", "TargetParameters.EventBridgeEventBusParameters.Source", 256);
    c.string(*bus, "DetailType", "TargetParameters.EventBridgeEventBusParameters.DetailType", 128);
  }
}

const bj::object& empty_object() {
  static const bj::object empty;
  return empty;
}

}  // namespace

bj::object to_json(const pipe_def& p) {
  bj::object o{{"Name", p.name},
               {"Description", p.description},
               {"DesiredState", p.desired_state},
               {"Source", p.source},
               {"SourceParameters", p.source_parameters},
               {"Enrichment", p.enrichment},
               {"EnrichmentParameters", p.enrichment_parameters},
               {"Target", p.target},
               {"TargetParameters", p.target_parameters},
               {"RoleArn", p.role_arn},
               {"Tags", p.tags},
               {"CreationTime", p.created},
               {"LastModifiedTime", p.modified}};
  if (p.declared_in_config) o["DeclaredInConfig"] = true;
  return o;
}

result<pipe_def> pipe_from_json(const bj::value& v) {
  if (!v.is_object()) return make_error(errc::parse_error, "a pipe must be a JSON object");
  const auto& o = v.get_object();
  pipe_def p;
  p.name = string_member(o, "Name");
  p.description = string_member(o, "Description");
  p.desired_state = string_member(o, "DesiredState");
  if (p.desired_state.empty()) p.desired_state = "RUNNING";
  p.source = string_member(o, "Source");
  p.enrichment = string_member(o, "Enrichment");
  p.target = string_member(o, "Target");
  p.role_arn = string_member(o, "RoleArn");
  auto obj = [&](std::string_view key) {
    auto* m = o.if_contains(key);
    return m && m->is_object() ? m->get_object() : bj::object{};
  };
  p.source_parameters = obj("SourceParameters");
  p.enrichment_parameters = obj("EnrichmentParameters");
  p.target_parameters = obj("TargetParameters");
  p.tags = obj("Tags");
  auto number = [&](std::string_view key) {
    auto* m = o.if_contains(key);
    return m && m->is_number() ? m->to_number<double>() : 0.0;
  };
  p.created = number("CreationTime");
  p.modified = number("LastModifiedTime");
  if (auto* d = o.if_contains("DeclaredInConfig"); d && d->is_bool()) {
    p.declared_in_config = d->get_bool();
  }
  if (p.name.empty() || p.source.empty() || p.target.empty()) {
    return make_error(errc::parse_error, "a stored pipe lacks its name, source or target");
  }
  return p;
}

api_result<pipe_def> parse_create_pipe(const std::string& name, const bj::object& body) {
  checker c;
  static const std::regex name_pattern(R"([\.\-_A-Za-z0-9]{1,64})");
  if (!std::regex_match(name, name_pattern)) {
    c.fail("Name", "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ (1 to 64)");
  }
  pipe_def p;
  p.name = name;
  c.string(body, "Description", "Description", 512);
  p.description = string_member(body, "Description");
  c.one_of(body, "DesiredState", "DesiredState", {"RUNNING", "STOPPED"});
  if (auto s = string_member(body, "DesiredState"); !s.empty()) p.desired_state = s;
  p.source = string_member(body, "Source");
  p.target = string_member(body, "Target");
  p.enrichment = string_member(body, "Enrichment");
  p.role_arn = string_member(body, "RoleArn");
  if (p.source.empty() || p.source.size() > 1600) {
    c.fail("Source", "Member must have length between 1 and 1600");
  }
  if (p.role_arn.empty()) c.fail("RoleArn", "Member must not be null");
  if (auto* sp = c.object(body, "SourceParameters", "SourceParameters")) p.source_parameters = *sp;
  if (auto* ep = c.object(body, "EnrichmentParameters", "EnrichmentParameters")) {
    p.enrichment_parameters = *ep;
  }
  if (auto* tp = c.object(body, "TargetParameters", "TargetParameters")) p.target_parameters = *tp;
  if (auto* tags = c.object(body, "Tags", "Tags")) p.tags = *tags;
  if (!p.source.empty()) check_source(c, p.source, p.source_parameters, true);
  check_enrichment_and_target(c, p);
  if (!c.fields.empty()) return c.error();
  return p;
}

api_result<pipe_def> parse_update_pipe(const pipe_def& existing, const bj::object& body) {
  checker c;
  pipe_def p = existing;
  if (body.contains("Description")) {
    c.string(body, "Description", "Description", 512);
    p.description = string_member(body, "Description");
  }
  c.one_of(body, "DesiredState", "DesiredState", {"RUNNING", "STOPPED"});
  if (auto s = string_member(body, "DesiredState"); !s.empty()) p.desired_state = s;
  if (auto r = string_member(body, "RoleArn"); !r.empty()) p.role_arn = r;
  if (body.contains("Enrichment")) p.enrichment = string_member(body, "Enrichment");
  if (auto t = string_member(body, "Target"); !t.empty()) p.target = t;
  if (auto* ep = c.object(body, "EnrichmentParameters", "EnrichmentParameters")) {
    p.enrichment_parameters = *ep;
  }
  if (auto* tp = c.object(body, "TargetParameters", "TargetParameters")) p.target_parameters = *tp;
  if (auto* sp = c.object(body, "SourceParameters", "SourceParameters")) {
    // What UpdatePipe may change of a source: batching and filters.
    check_source(c, p.source, *sp, false);
    if (auto* f = sp->if_contains("FilterCriteria")) p.source_parameters["FilterCriteria"] = *f;
    for (const char* kind : {"ManagedStreamingKafkaParameters", "SelfManagedKafkaParameters"}) {
      auto* given = sp->if_contains(kind);
      if (!given || !given->is_object()) continue;
      auto& stored = p.source_parameters[kind];
      if (!stored.is_object()) stored = bj::object{};
      for (const char* m : {"BatchSize", "MaximumBatchingWindowInSeconds", "Credentials"}) {
        if (auto* v = given->get_object().if_contains(m)) stored.get_object()[m] = *v;
      }
    }
  }
  check_enrichment_and_target(c, p);
  if (!c.fields.empty()) return c.error();
  return p;
}

api_result<pipe_plan> plan_pipe(const pipe_def& p) {
  checker c;
  check_source(c, p.source, p.source_parameters, true);
  check_enrichment_and_target(c, p);
  if (!c.fields.empty()) return c.error();
  pipe_plan plan;
  auto& s = plan.source;
  const bj::object* kafka = nullptr;
  if (auto* m = p.source_parameters.if_contains("ManagedStreamingKafkaParameters")) {
    kafka = &m->get_object();
  } else if (auto* sm = p.source_parameters.if_contains("SelfManagedKafkaParameters")) {
    kafka = &sm->get_object();
  }
  if (p.source.starts_with("smk://")) {
    s.kind = pipe_source_kind::self_managed;
    s.bootstrap_servers = p.source.substr(6);
    if (kafka) {
      if (auto* more = kafka->if_contains("AdditionalBootstrapServers"); more && more->is_array()) {
        for (const auto& server : more->get_array()) {
          if (server.is_string()) s.bootstrap_servers += "," + std::string(server.get_string());
        }
      }
    }
  } else if (is_topic_arn(p.source)) {
    s.kind = pipe_source_kind::topic;
    s.topic = p.source.substr(std::string_view("arn:wharf:kafka:::topic/").size());
  } else {
    s.kind = pipe_source_kind::msk;
  }
  s.arn = p.source;
  const auto& k = kafka ? *kafka : empty_object();
  if (auto t = string_member(k, "TopicName"); !t.empty()) s.topic = t;
  s.from_earliest = string_member(k, "StartingPosition") == "TRIM_HORIZON";
  if (auto* b = k.if_contains("BatchSize"); b && b->is_int64()) {
    s.batch_size = static_cast<int>(b->get_int64());
  }
  if (auto* w = k.if_contains("MaximumBatchingWindowInSeconds"); w && w->is_int64()) {
    s.batching_window_seconds = static_cast<int>(w->get_int64());
  }
  s.consumer_group = string_member(k, "ConsumerGroupID");
  if (auto* criteria = p.source_parameters.if_contains("FilterCriteria");
      criteria && criteria->is_object()) {
    if (auto* filters = criteria->get_object().if_contains("Filters");
        filters && filters->is_array()) {
      for (const auto& f : filters->get_array()) {
        s.filters.push_back(string_member(f.get_object(), "Pattern"));
      }
    }
  }
  auto endpoint = [](const std::string& arn, const bj::object& params) {
    auto e = *endpoint_of(arn);
    if (auto* t = params.if_contains("InputTemplate"); t && t->is_string()) {
      e.input_template = std::string(t->get_string());
    }
    if (auto* http = params.if_contains("HttpParameters"); http && http->is_object()) {
      auto map = [&](const char* key) -> const bj::object* {
        auto* m = http->get_object().if_contains(key);
        return m && m->is_object() ? &m->get_object() : nullptr;
      };
      e.header_parameters = string_map(map("HeaderParameters"));
      e.query_parameters = string_map(map("QueryStringParameters"));
    }
    return e;
  };
  if (!p.enrichment.empty()) plan.enrichment = endpoint(p.enrichment, p.enrichment_parameters);
  plan.target = endpoint(p.target, p.target_parameters);
  if (auto* bus = p.target_parameters.if_contains("EventBridgeEventBusParameters");
      bus && bus->is_object()) {
    plan.target.bus_source = string_member(bus->get_object(), "Source");
    plan.target.bus_detail_type = string_member(bus->get_object(), "DetailType");
  }
  return plan;
}

bj::object kafka_record_payload(const pipe_source& source, const record_view& r) {
  bj::object o;
  if (source.kind == pipe_source_kind::self_managed) {
    o["eventSource"] = "SelfManagedKafka";
    o["bootstrapServers"] = source.bootstrap_servers;
  } else {
    o["eventSource"] = "aws:kafka";
    o["eventSourceArn"] = source.arn;
  }
  o["eventSourceKey"] = fmt::format("{}-{}", r.topic, r.partition);
  o["topic"] = r.topic;
  // Pipes' MSK example shows the partition as a string, its self-managed one as a number.
  if (source.kind == pipe_source_kind::self_managed) {
    o["partition"] = r.partition;
  } else {
    o["partition"] = std::to_string(r.partition);
  }
  o["offset"] = r.offset;
  o["timestamp"] = r.timestamp_ms;
  o["timestampType"] = r.log_append_time ? "LOG_APPEND_TIME" : "CREATE_TIME";
  if (r.key) o["key"] = base64::encode(*r.key);
  if (r.value) o["value"] = base64::encode(*r.value);
  bj::array headers;
  for (const auto& [name, value] : r.headers) {
    bj::array bytes;
    if (value) {
      for (unsigned char b : *value) bytes.push_back(static_cast<std::int64_t>(b));
    }
    headers.push_back(bj::object{{name, std::move(bytes)}});
  }
  o["headers"] = std::move(headers);
  return o;
}

bj::value filter_view(const bj::object& payload) {
  bj::object view = payload;
  if (auto* v = view.if_contains("value"); v && v->is_string()) {
    if (auto decoded = base64::decode(v->get_string())) {
      boost::system::error_code ec;
      bj::parse_options limits;
      limits.max_depth = 64;
      auto parsed = bj::parse(*decoded, ec, {}, limits);
      if (!ec) *v = std::move(parsed);
    }
  }
  return view;
}

std::optional<std::string> record_key_of(const bj::value& item) {
  if (!item.is_object()) return std::nullopt;
  const auto& o = item.get_object();
  if (!o.contains("eventSourceKey") || !o.contains("offset")) return std::nullopt;
  auto* key = o.if_contains("key");
  if (!key || !key->is_string()) return std::nullopt;
  return base64::decode(key->get_string());
}

std::string apply_pipe_template(const std::string& input_template, const bj::value& item,
                                const pipe_context& context) {
  // The template's placeholders become input-transformer variables over a document that
  // holds the item and the reserved values.
  bj::object doc{{"item", item},
                 {"pipes", bj::object{{"pipe-name", context.pipe_name},
                                      {"pipe-arn", context.pipe_arn},
                                      {"source-arn", context.source_arn},
                                      {"enrichment-arn", context.enrichment_arn},
                                      {"target-arn", context.target_arn},
                                      {"ingestion-time", context.ingestion_time}}}};
  input_transformer t;
  t.input_template = input_template;
  std::string_view text = input_template;
  for (auto open = text.find('<'); open != std::string_view::npos;
       open = text.find('<', open + 1)) {
    auto close = text.find('>', open + 1);
    if (close == std::string_view::npos) break;
    std::string name(text.substr(open + 1, close - open - 1));
    std::string path;
    if (name.starts_with("$")) {
      path = "$.item" + name.substr(1);
    } else if (name == "aws.pipes.event" || name == "aws.pipes.event.json") {
      path = "$.item";
    } else if (name == "aws.pipes.event.ingestion-time") {
      path = "$.pipes.ingestion-time";
    } else if (name.starts_with("aws.pipes.")) {
      path = "$.pipes." + name.substr(10);
    } else {
      continue;
    }
    if (json_path::parse(path).ok()) t.input_paths[name] = path;
  }
  return t.apply(bj::value(std::move(doc)), invocation_context{});
}

}  // namespace wharf::router
