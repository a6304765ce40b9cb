// Buses, rules and targets: stored forms and EventBridge's request checks (see model.h).
#include "services/router/model.h"

#include <regex>
#include <set>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "pattern/pattern.h"

namespace wharf::router {

namespace bj = boost::json;

api_error validation_error(std::string text) {
  return api_error{"ValidationException", std::move(text), 400};
}

std::string string_member(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

namespace {

double number_member(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  return 0;
}

}  // namespace

bool valid_bus_name(const std::string& name) {
  static const std::regex pattern(R"([/\.\-_A-Za-z0-9]{1,256})");
  return std::regex_match(name, pattern);
}

std::string bus_name_of(const std::string& name_or_arn) {
  if (name_or_arn.empty()) return "default";
  auto marker = name_or_arn.find(":event-bus/");
  if (name_or_arn.starts_with("arn:") && marker != std::string::npos) {
    return name_or_arn.substr(marker + 11);
  }
  return name_or_arn;
}

bj::object to_json(const bus_def& bus) {
  return bj::object{{"Name", bus.name},
                    {"Description", bus.description},
                    {"CreationTime", bus.created},
                    {"LastModifiedTime", bus.modified}};
}

result<bus_def> bus_from_json(const bj::value& v) {
  if (!v.is_object()) return make_error(errc::parse_error, "a stored bus is not an object");
  const auto& o = v.get_object();
  bus_def bus;
  bus.name = string_member(o, "Name");
  bus.description = string_member(o, "Description");
  bus.created = number_member(o, "CreationTime");
  bus.modified = number_member(o, "LastModifiedTime");
  if (bus.name.empty()) return make_error(errc::parse_error, "a stored bus has no name");
  return bus;
}

bj::object to_json(const rule_def& rule) {
  bj::array targets;
  for (const auto& t : rule.targets) targets.push_back(t);
  bj::array tags;
  for (const auto& [k, v] : rule.tags) tags.push_back(bj::object{{"Key", k}, {"Value", v}});
  return bj::object{{"Name", rule.name},
                    {"EventBusName", rule.bus},
                    {"Description", rule.description},
                    {"EventPattern", rule.event_pattern},
                    {"State", rule.state},
                    {"SourceTopic", rule.source_topic},
                    {"Tags", std::move(tags)},
                    {"Targets", std::move(targets)},
                    {"CreationTime", rule.created},
                    {"LastModifiedTime", rule.modified},
                    {"EnabledSince", rule.enabled_since},
                    {"DeclaredInConfig", rule.declared_in_config}};
}

result<rule_def> rule_from_json(const bj::value& v) {
  if (!v.is_object()) return make_error(errc::parse_error, "a stored rule is not an object");
  const auto& o = v.get_object();
  rule_def rule;
  rule.name = string_member(o, "Name");
  rule.bus = string_member(o, "EventBusName");
  rule.description = string_member(o, "Description");
  rule.event_pattern = string_member(o, "EventPattern");
  rule.state = string_member(o, "State");
  rule.source_topic = string_member(o, "SourceTopic");
  rule.created = number_member(o, "CreationTime");
  rule.modified = number_member(o, "LastModifiedTime");
  rule.enabled_since = number_member(o, "EnabledSince");
  if (auto* d = o.if_contains("DeclaredInConfig"); d && d->is_bool()) {
    rule.declared_in_config = d->get_bool();
  }
  if (auto* tags = o.if_contains("Tags"); tags && tags->is_array()) {
    for (const auto& t : tags->get_array()) {
      if (!t.is_object()) continue;
      rule.tags.emplace_back(string_member(t.get_object(), "Key"),
                             string_member(t.get_object(), "Value"));
    }
  }
  if (auto* targets = o.if_contains("Targets"); targets && targets->is_array()) {
    for (const auto& t : targets->get_array()) {
      if (t.is_object()) rule.targets.push_back(t.get_object());
    }
  }
  if (rule.name.empty() || rule.bus.empty()) {
    return make_error(errc::parse_error, "a stored rule has no name or bus");
  }
  return rule;
}

result<std::map<std::string, api_destination>> parse_api_destinations(const std::string& json) {
  std::map<std::string, api_destination> out;
  if (json.empty()) return out;
  boost::system::error_code ec;
  auto v = bj::parse(json, ec);
  if (ec) return make_error(errc::invalid_argument, "router.api_destinations: not valid JSON");
  if (v.is_null()) return out;
  if (!v.is_object()) {
    return make_error(errc::invalid_argument,
                      "router.api_destinations must be a mapping of names to endpoints");
  }
  for (const auto& [key, spec] : v.get_object()) {
    std::string name(key);
    auto where = fmt::format("router.api_destinations.{}", name);
    if (!spec.is_object()) return make_error(errc::invalid_argument, "{} must be a mapping", where);
    const auto& o = spec.get_object();
    api_destination d;
    d.name = name;
    d.url = string_member(o, "url");
    if (!d.url.starts_with("http://") && !d.url.starts_with("https://")) {
      return make_error(errc::invalid_argument, "{}.url must be an http(s) URL", where);
    }
    if (auto m = string_member(o, "method"); !m.empty()) d.method = m;
    static const std::set<std::string> methods{"POST", "GET",   "HEAD",  "OPTIONS",
                                               "PUT",  "PATCH", "DELETE"};
    if (!methods.count(d.method)) {
      return make_error(errc::invalid_argument, "{}.method must be one of EventBridge's ({})",
                        where, "POST, GET, HEAD, OPTIONS, PUT, PATCH, DELETE");
    }
    if (auto* h = o.if_contains("headers")) {
      if (!h->is_object()) {
        return make_error(errc::invalid_argument, "{}.headers must be a mapping", where);
      }
      for (const auto& [hk, hv] : h->get_object()) {
        d.headers.emplace_back(std::string(hk),
                               hv.is_string() ? std::string(hv.get_string()) : bj::serialize(hv));
      }
    }
    if (auto* r = o.if_contains("invocation_rate_per_second")) {
      if (!r->is_number() || r->to_number<double>() < 0) {
        return make_error(errc::invalid_argument,
                          "{}.invocation_rate_per_second must be a positive number", where);
      }
      d.invocation_rate_per_second = r->to_number<double>();
    }
    if (auto* t = o.if_contains("timeout_ms")) {
      if (!t->is_int64() || t->get_int64() < 1) {
        return make_error(errc::invalid_argument, "{}.timeout_ms must be a positive number", where);
      }
      d.timeout = std::chrono::milliseconds(t->get_int64());
    }
    // Connection-style authorization: one of api_key, basic and bearer.
    if (auto* auth = o.if_contains("auth")) {
      if (!auth->is_object()) {
        return make_error(errc::invalid_argument, "{}.auth must be a mapping", where);
      }
      const auto& a = auth->get_object();
      auto type = string_member(a, "type");
      if (type == "api_key") {
        auto header = string_member(a, "name");
        if (header.empty()) {
          return make_error(errc::invalid_argument, "{}.auth.name (the header) is required", where);
        }
        d.headers.emplace_back(header, string_member(a, "value"));
      } else if (type == "basic") {
        std::string credentials = string_member(a, "username") + ":" + string_member(a, "password");
        static constexpr char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string encoded;
        std::size_t i = 0;
        for (; i + 2 < credentials.size(); i += 3) {
          unsigned n = (static_cast<unsigned char>(credentials[i]) << 16) |
                       (static_cast<unsigned char>(credentials[i + 1]) << 8) |
                       static_cast<unsigned char>(credentials[i + 2]);
          for (int s = 18; s >= 0; s -= 6) encoded += alphabet[(n >> s) & 63];
        }
        if (auto rest = credentials.size() - i; rest > 0) {
          unsigned n = static_cast<unsigned char>(credentials[i]) << 16;
          if (rest == 2) n |= static_cast<unsigned char>(credentials[i + 1]) << 8;
          encoded += alphabet[(n >> 18) & 63];
          encoded += alphabet[(n >> 12) & 63];
          encoded += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
          encoded += '=';
        }
        d.headers.emplace_back("Authorization", "Basic " + encoded);
      } else if (type == "bearer") {
        d.headers.emplace_back("Authorization", "Bearer " + string_member(a, "token"));
      } else {
        return make_error(errc::invalid_argument, "{}.auth.type must be api_key, basic or bearer",
                          where);
      }
    }
    out[name] = std::move(d);
  }
  return out;
}

std::optional<std::string> topic_of_arn(const std::string& arn) {
  constexpr std::string_view wharf_prefix = "arn:wharf:kafka:::topic/";
  if (arn.starts_with(wharf_prefix) && arn.size() > wharf_prefix.size()) {
    return arn.substr(wharf_prefix.size());
  }
  static const std::regex sqs(R"(arn:aws:sqs:[a-z0-9-]*:[0-9]*:([A-Za-z0-9_.-]{1,249}))");
  std::smatch m;
  if (std::regex_match(arn, m, sqs)) return m[1].str();
  return std::nullopt;
}

api_result<target_spec> parse_target(const bj::object& entry) {
  target_spec t;
  t.id = string_member(entry, "Id");
  static const std::regex id_pattern(R"([\.\-_A-Za-z0-9]{1,64})");
  if (!std::regex_match(t.id, id_pattern)) {
    return validation_error(
        "Target Id must be 1 to 64 characters of letters, digits, '.', '-' and '_'");
  }
  t.arn = string_member(entry, "Arn");
  if (t.arn.empty()) return validation_error("Target Arn is required");
  static const std::regex lambda(
      R"(arn:aws:lambda:[a-z0-9-]*:[0-9]*:function:([A-Za-z0-9_-]{1,64}))");
  static const std::regex bus(
      R"(arn:aws:events:[a-z0-9-]*:[0-9]*:event-bus/([/\.\-_A-Za-z0-9]{1,256}))");
  static const std::regex destination(
      R"(arn:aws:events:[a-z0-9-]*:[0-9]*:api-destination/([\.\-_A-Za-z0-9]{1,64})(/.*)?)");
  std::smatch m;
  if (auto topic = topic_of_arn(t.arn); topic && t.arn.starts_with("arn:wharf:kafka:")) {
    t.kind = target_kind::kafka_topic;
    t.name = *topic;
  } else if (std::regex_match(t.arn, m, lambda)) {
    t.kind = target_kind::function;
    t.name = m[1].str();
  } else if (std::regex_match(t.arn, m, bus)) {
    t.kind = target_kind::event_bus;
    t.name = m[1].str();
  } else if (std::regex_match(t.arn, m, destination)) {
    t.kind = target_kind::http;
    t.name = m[1].str();
  } else if (t.arn.starts_with("http://") || t.arn.starts_with("https://")) {
    t.kind = target_kind::http;
    t.name = t.arn;
  } else {
    return api_error{"InvalidArgument",
                     fmt::format("Target {}: {} is not a target Wharf can deliver to (a Kafka "
                                 "topic arn:wharf:kafka:::topic/<name>, an event bus, a Lambda "
                                 "function, an API destination or an http(s) URL)",
                                 t.id, t.arn)};
  }
  int input_kinds = 0;
  if (auto* input = entry.if_contains("Input")) {
    ++input_kinds;
    if (!input->is_string()) return validation_error("Input must be a JSON text");
    boost::system::error_code ec;
    bj::parse(input->get_string(), ec);
    if (ec) {
      return validation_error(fmt::format("Target {}: Input is not valid JSON text", t.id));
    }
    t.input = std::string(input->get_string());
  }
  if (auto* path = entry.if_contains("InputPath")) {
    ++input_kinds;
    if (!path->is_string()) return validation_error("InputPath must be a JSON path");
    auto parsed = json_path::parse(std::string(path->get_string()));
    if (!parsed.ok()) return validation_error(parsed.err().message());
    t.input_path = std::move(*parsed);
  }
  if (auto* transformer = entry.if_contains("InputTransformer")) {
    ++input_kinds;
    auto parsed = input_transformer::parse(*transformer);
    if (!parsed.ok()) return validation_error(parsed.err().message());
    t.transformer = std::move(*parsed);
  }
  if (input_kinds > 1) {
    return validation_error(fmt::format(
        "Target {}: only one of Input, InputPath and InputTransformer may be given", t.id));
  }
  if (t.kind == target_kind::event_bus && input_kinds > 0) {
    return validation_error(fmt::format(
        "Target {}: an event bus target takes the event as it is (no Input, InputPath or "
        "InputTransformer)",
        t.id));
  }
  if (auto* http = entry.if_contains("HttpParameters")) {
    if (!http->is_object()) return validation_error("HttpParameters must be an object");
    auto pairs = [&](std::string_view key,
                     std::vector<std::pair<std::string, std::string>>& out) -> bool {
      auto* m = http->get_object().if_contains(key);
      if (!m) return true;
      if (!m->is_object()) return false;
      for (const auto& [k, v] : m->get_object()) {
        if (!v.is_string()) return false;
        out.emplace_back(std::string(k), std::string(v.get_string()));
      }
      return true;
    };
    if (!pairs("HeaderParameters", t.header_parameters) ||
        !pairs("QueryStringParameters", t.query_parameters)) {
      return validation_error("HttpParameters maps names to strings");
    }
  }
  if (auto* dlq = entry.if_contains("DeadLetterConfig")) {
    if (!dlq->is_object()) return validation_error("DeadLetterConfig must be an object");
    auto arn = string_member(dlq->get_object(), "Arn");
    auto topic = topic_of_arn(arn);
    if (!topic) {
      return validation_error(fmt::format(
          "DeadLetterConfig.Arn {} must name a Kafka topic (arn:wharf:kafka:::topic/<name> or "
          "an SQS queue ARN, read as the topic of the queue's name)",
          arn));
    }
    t.dead_letter_topic = *topic;
  }
  if (auto* retry = entry.if_contains("RetryPolicy")) {
    if (!retry->is_object()) return validation_error("RetryPolicy must be an object");
    const auto& r = retry->get_object();
    if (auto* attempts = r.if_contains("MaximumRetryAttempts")) {
      if (!attempts->is_int64() || attempts->get_int64() < 0 || attempts->get_int64() > 185) {
        return validation_error(
            "1 validation error detected: Value at 'targets.member.retryPolicy."
            "maximumRetryAttempts' failed to satisfy constraint: Member must have value between "
            "0 and 185");
      }
      t.maximum_retry_attempts = static_cast<int>(attempts->get_int64());
    }
    if (auto* age = r.if_contains("MaximumEventAgeInSeconds")) {
      if (!age->is_int64() || age->get_int64() < 60 || age->get_int64() > 86'400) {
        return validation_error(
            "1 validation error detected: Value at 'targets.member.retryPolicy."
            "maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value "
            "between 60 and 86400");
      }
      t.maximum_event_age = std::chrono::seconds(age->get_int64());
    }
  }
  return t;
}

api_result<rule_def> parse_put_rule(const bj::object& request) {
  rule_def rule;
  rule.name = string_member(request, "Name");
  static const std::regex name_pattern(R"([\.\-_A-Za-z0-9]{1,64})");
  if (!std::regex_match(rule.name, name_pattern)) {
    return validation_error(
        "1 validation error detected: Value at 'name' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between "
        "1 and 64");
  }
  rule.bus = bus_name_of(string_member(request, "EventBusName"));
  if (request.contains("ScheduleExpression")) {
    return validation_error("ScheduleExpression is not supported by Wharf's router yet");
  }
  auto* pattern = request.if_contains("EventPattern");
  if (!pattern) {
    return validation_error("Parameter(s) EventPattern or ScheduleExpression must be specified.");
  }
  // The config file may give the pattern as a mapping rather than as JSON text.
  rule.event_pattern =
      pattern->is_string() ? std::string(pattern->get_string()) : bj::serialize(*pattern);
  if (rule.event_pattern.size() > 4096) {
    return validation_error("EventPattern is longer than 4096 characters");
  }
  auto compiled = pattern::pattern::compile(rule.event_pattern);
  if (!compiled.ok()) {
    return api_error{compiled.err().type(), compiled.err().message()};
  }
  if (auto state = string_member(request, "State"); !state.empty()) {
    if (state != "ENABLED" && state != "DISABLED" &&
        state != "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS") {
      return validation_error(
          "1 validation error detected: Value at 'state' failed to satisfy constraint: Member "
          "must satisfy enum value set: [ENABLED, DISABLED, "
          "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]");
    }
    rule.state = state;
  }
  rule.description = string_member(request, "Description");
  if (rule.description.size() > 512) {
    return validation_error("Description is longer than 512 characters");
  }
  if (auto* tags = request.if_contains("Tags")) {
    if (!tags->is_array()) return validation_error("Tags must be a list");
    for (const auto& tag : tags->get_array()) {
      if (!tag.is_object()) return validation_error("each tag has a Key and a Value");
      auto key = string_member(tag.get_object(), "Key");
      auto value = string_member(tag.get_object(), "Value");
      if (key.empty()) return validation_error("each tag has a Key and a Value");
      rule.tags.emplace_back(key, value);
      // The aws CLI cannot send members the model lacks; a tag names the source topic.
      if (key == "wharf:source-topic") rule.source_topic = value;
    }
  }
  if (auto source = string_member(request, "SourceTopic"); !source.empty()) {
    rule.source_topic = source;
  }
  if (!rule.source_topic.empty()) {
    static const std::regex topic_pattern(R"([A-Za-z0-9._-]{1,249})");
    if (!std::regex_match(rule.source_topic, topic_pattern)) {
      return validation_error(
          fmt::format("SourceTopic {} is not a valid Kafka topic name", rule.source_topic));
    }
  }
  return rule;
}

}  // namespace wharf::router
