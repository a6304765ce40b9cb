// The router service: EventBridge's JSON 1.1 API, the buses and rules table in a
// compacted topic, and a reconciler that keeps one rule_runner per enabled rule.
#include "services/router/router.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/logging.h"
#include "base/uuid.h"
#include "http/router.h"
#include "kafka/client/cluster.h"
#include "kafka/client/compacted_log.h"
#include "metrics/registry.h"
#include "pattern/pattern.h"
#include "services/router/model.h"
#include "services/router/pipe_model.h"
#include "services/router/pipe_runner.h"
#include "services/router/rule_runner.h"

namespace wharf::router {

namespace bj = boost::json;
namespace kc = kafka::client;

namespace {

constexpr std::size_t max_targets_per_rule = 5;
constexpr std::size_t max_entry_bytes = 256 * 1024;
constexpr std::size_t max_request_bytes = 1024 * 1024;
// Detail nesting a PutEvents entry may have (deeper is MalformedDetail).
constexpr unsigned max_detail_depth = 128;

double epoch_seconds() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) /
         1000.0;
}

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::response amz_json(int status, const bj::value& body) {
  auto res = http::response::json(status, bj::serialize(body), "application/x-amz-json-1.1");
  res.set_header("x-amzn-RequestId", random_uuid());
  return res;
}

http::response error_answer(const api_error& e) {
  return amz_json(e.status, bj::object{{"__type", e.type}, {"message", e.text}});
}

api_error not_found(std::string text) {
  return api_error{"ResourceNotFoundException", std::move(text), 400};
}

// NextToken is the index of the next item; Limit is 1..100.
api_result<std::pair<std::size_t, std::size_t>> page_of(const bj::object& request) {
  std::size_t start = 0, limit = 100;
  if (auto token = string_member(request, "NextToken"); !token.empty()) {
    try {
      start = std::stoul(token);
    } catch (const std::exception&) {
      return validation_error("NextToken is not one this API handed out");
    }
  }
  if (auto* l = request.if_contains("Limit")) {
    if (!l->is_int64() || l->get_int64() < 1 || l->get_int64() > 100) {
      return validation_error(
          "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member "
          "must have value between 1 and 100");
    }
    limit = static_cast<std::size_t>(l->get_int64());
  }
  return std::make_pair(start, limit);
}

// A router.pipes entry as a CreatePipe body: RoleArn may be left out, and filter
// patterns may be mappings instead of JSON text.
result<bj::object> declared_pipe_request(const std::string& name, const bj::value& body,
                                         const std::string& account) {
  if (!body.is_object()) {
    return make_error(errc::invalid_argument, "router.pipes.{} must be a mapping", name);
  }
  bj::object request = body.get_object();
  if (!request.contains("RoleArn")) {
    request["RoleArn"] = fmt::format("arn:aws:iam::{}:role/wharf-pipes", account);
  }
  if (auto* sp = request.if_contains("SourceParameters"); sp && sp->is_object()) {
    if (auto* fc = sp->get_object().if_contains("FilterCriteria"); fc && fc->is_object()) {
      if (auto* fs = fc->get_object().if_contains("Filters"); fs && fs->is_array()) {
        for (auto& f : fs->get_array()) {
          if (!f.is_object()) continue;
          if (auto* pattern = f.get_object().if_contains("Pattern");
              pattern && pattern->is_object()) {
            *pattern = bj::serialize(*pattern);
          }
        }
      }
    }
  }
  return request;
}

struct running {
  std::unique_ptr<rule_runner> runner;
  std::string settings;  // the stored rule it was started from
};

struct running_pipe {
  std::unique_ptr<pipe_runner> runner;
  std::string settings;  // the stored pipe it was started from
};

// Pipes' REST-JSON errors: the status, X-Amzn-ErrorType and {"message": ...} (with
// fieldList for ValidationException, resourceId and resourceType for ConflictException).
http::response pipes_error(const api_error& e, const std::string& resource = {}) {
  bj::object body{{"message", e.text}};
  int status = e.status;
  if (e.type == "ValidationException") {
    status = 400;
    bj::array fields;
    for (const auto& [name, message] : e.fields) {
      fields.push_back(bj::object{{"name", name}, {"message", message}});
    }
    if (!fields.empty()) body["fieldList"] = std::move(fields);
  } else if (e.type == "NotFoundException") {
    status = 404;
  } else if (e.type == "ConflictException") {
    status = 409;
    body["resourceId"] = resource;
    body["resourceType"] = "pipe";
  } else if (e.type == "InternalException") {
    status = 500;
  }
  auto res = http::response::json(status, bj::serialize(body));
  res.set_header("X-Amzn-ErrorType", e.type);
  res.set_header("x-amzn-RequestId", random_uuid());
  return res;
}

class service_impl final : public std::enable_shared_from_this<service_impl> {
 public:
  service_impl(service_options options, kc::cluster& kafka, metrics::registry* metrics,
               std::map<std::string, api_destination> destinations)
      : options_(std::move(options)),
        kafka_(kafka),
        metrics_(metrics),
        destinations_(std::move(destinations)),
        log_(logging::get("router")) {
    static metrics::registry fallback;  // metrics off: count somewhere nobody reads
    auto& r = metrics_ ? *metrics_ : fallback;
    put_entries_ = &r.counter_family("wharf_router_put_events_entries_total",
                                     "PutEvents entries written to a bus", {"bus"});
    failed_entries_ = &r.make_counter("wharf_router_put_events_failed_entries_total",
                                      "PutEvents entries refused (FailedEntryCount)");
  }

  ~service_impl() { shutdown(); }

  void begin() {
    reconciler_ = std::thread([this] { run(); });
  }

  bool ready() const {
    std::lock_guard lock(mutex_);
    return store_ != nullptr;
  }

  std::vector<std::string> rules_using_function(const std::string& name) const {
    std::vector<std::string> out;
    std::shared_lock lock(table_mutex_);
    for (const auto& [key, rule] : rules_) {
      for (const auto& t : rule.targets) {
        auto parsed = parse_target(t);
        if (parsed.ok() && parsed->kind == target_kind::function && parsed->name == name) {
          out.push_back(key.first + "/" + key.second);
          break;
        }
      }
    }
    for (const auto& [pipe_name, pipe] : pipes_) {
      auto plan = plan_pipe(pipe);
      if (!plan.ok()) continue;
      auto uses = [&](const pipe_endpoint& e) {
        return e.kind == target_kind::function && e.name == name;
      };
      if ((plan->enrichment && uses(*plan->enrichment)) || uses(plan->target)) {
        out.push_back("pipe " + pipe_name);
      }
    }
    return out;
  }

  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (reconciler_.joinable()) reconciler_.join();
    std::lock_guard lock(runners_mutex_);
    for (auto& [key, r] : runners_) r.runner->stop();
    runners_.clear();
    for (auto& [key, r] : pipe_runners_) r.runner->stop();
    pipe_runners_.clear();
    if (store_) store_->close();
  }

  void add_routes(http::router& routes) {
    auto self = shared_from_this();
    routes.add_async("POST", "/", [self](http::request&& req, http::responder respond) {
      auto target = req.header("X-Amz-Target");
      if (!target || !target->starts_with("AWSEvents.")) {
        return respond(error_answer({"UnknownOperationException",
                                     "POST / serves EventBridge's API: X-Amz-Target must be "
                                     "AWSEvents.<Operation>"}));
      }
      if (!self->ready()) {
        return respond(error_answer(
            {"InternalException", "The router's store is not readable yet; retry", 500}));
      }
      // Writes wait for Kafka: a worker thread, not the I/O thread.
      self->kafka_.workers().post([self, req = std::move(req), respond]() mutable {
        auto operation = std::string(req.header("X-Amz-Target")->substr(10));
        auto out = self->dispatch(operation, req.body);
        respond(out.ok() ? amz_json(200, *out) : error_answer(out.err()));
      });
    });
    add_pipe_routes(routes);
  }

 private:
  // --- the API ---------------------------------------------------------------------

  api_result<bj::value> dispatch(const std::string& operation, const std::string& body) {
    boost::system::error_code ec;
    bj::parse_options limits;
    limits.max_depth = 64;
    auto parsed =
        bj::parse(body.empty() ? std::string_view("{}") : std::string_view(body), ec, {}, limits);
    if (ec || !parsed.is_object()) {
      return api_error{"SerializationException", "The request body is not a JSON object"};
    }
    const auto& request = parsed.get_object();
    using handler = api_result<bj::value> (service_impl::*)(const bj::object&);
    static const std::map<std::string, handler> handlers{
        {"CreateEventBus", &service_impl::create_event_bus},
        {"DescribeEventBus", &service_impl::describe_event_bus},
        {"ListEventBuses", &service_impl::list_event_buses},
        {"DeleteEventBus", &service_impl::delete_event_bus},
        {"PutRule", &service_impl::put_rule},
        {"DescribeRule", &service_impl::describe_rule},
        {"ListRules", &service_impl::list_rules},
        {"EnableRule", &service_impl::enable_rule},
        {"DisableRule", &service_impl::disable_rule},
        {"DeleteRule", &service_impl::delete_rule},
        {"PutTargets", &service_impl::put_targets},
        {"RemoveTargets", &service_impl::remove_targets},
        {"ListTargetsByRule", &service_impl::list_targets_by_rule},
        {"PutEvents", &service_impl::put_events},
        {"TestEventPattern", &service_impl::test_event_pattern},
    };
    auto it = handlers.find(operation);
    if (it == handlers.end()) {
      return api_error{"UnknownOperationException",
                       fmt::format("Wharf's router does not support {}", operation)};
    }
    return (this->*(it->second))(request);
  }

  std::string bus_arn(const std::string& bus) const {
    return fmt::format("arn:aws:events:{}:{}:event-bus/{}", options_.region, options_.account_id,
                       bus);
  }
  std::string rule_arn(const std::string& bus, const std::string& rule) const {
    if (bus == "default") {
      return fmt::format("arn:aws:events:{}:{}:rule/{}", options_.region, options_.account_id,
                         rule);
    }
    return fmt::format("arn:aws:events:{}:{}:rule/{}/{}", options_.region, options_.account_id, bus,
                       rule);
  }
  std::string bus_topic(const std::string& bus) const { return options_.bus_topic_prefix + bus; }
  static std::string rule_key(const std::string& bus, const std::string& rule) {
    return "rule/" + bus + "/" + rule;
  }

  std::optional<bus_def> find_bus(const std::string& name) const {
    std::shared_lock lock(table_mutex_);
    if (auto it = buses_.find(name); it != buses_.end()) return it->second;
    return std::nullopt;
  }
  std::optional<rule_def> find_rule(const std::string& bus, const std::string& name) const {
    std::shared_lock lock(table_mutex_);
    if (auto it = rules_.find({bus, name}); it != rules_.end()) return it->second;
    return std::nullopt;
  }

  api_error store_failed(const error& e) {
    return api_error{"InternalException", "Storing the change in Kafka failed: " + e.message(),
                     500};
  }

  status ensure_topic(const std::string& topic) {
    kc::new_topic t;
    t.name = topic;
    t.partitions = options_.bus_partitions;
    auto created = kafka_.admin_client().create_topic(t, false);
    if (!created.ok() && created.err().code() != kc::codes::topic_already_exists) {
      return created.err().to_error();
    }
    return {};
  }

  api_result<bj::value> create_event_bus(const bj::object& request) {
    auto name = string_member(request, "Name");
    if (!valid_bus_name(name) || name.find('/') != std::string::npos) {
      return validation_error(
          "1 validation error detected: Value at 'name' failed to satisfy constraint: Member "
          "must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
    }
    if (request.contains("EventSourceName")) {
      return validation_error("Partner event sources are not supported by Wharf's router");
    }
    auto lock = store_->write_lock();
    if (find_bus(name)) {
      return api_error{"ResourceAlreadyExistsException",
                       fmt::format("Event bus {} already exists.", name)};
    }
    if (auto made = ensure_topic(bus_topic(name)); !made.ok()) return store_failed(made.err());
    bus_def bus{name, string_member(request, "Description"), epoch_seconds(), epoch_seconds()};
    if (auto s = store_->write({{"bus/" + name, bj::serialize(to_json(bus))}}); !s.ok()) {
      return store_failed(s.err());
    }
    bj::object out{{"EventBusArn", bus_arn(name)}};
    if (!bus.description.empty()) out["Description"] = bus.description;
    return bj::value(std::move(out));
  }

  bj::object bus_view(const bus_def& bus) const {
    bj::object out{{"Name", bus.name},
                   {"Arn", bus_arn(bus.name)},
                   {"CreationTime", bus.created},
                   {"LastModifiedTime", bus.modified}};
    if (!bus.description.empty()) out["Description"] = bus.description;
    return out;
  }

  api_result<bj::value> describe_event_bus(const bj::object& request) {
    auto name = bus_name_of(string_member(request, "Name"));
    auto bus = find_bus(name);
    if (!bus) return not_found(fmt::format("Event bus {} does not exist.", name));
    return bj::value(bus_view(*bus));
  }

  api_result<bj::value> list_event_buses(const bj::object& request) {
    WHARF_ASSIGN_OR_RETURN(auto page, page_of(request));
    auto prefix = string_member(request, "NamePrefix");
    bj::array items;
    std::size_t index = 0;
    bool more = false;
    std::shared_lock lock(table_mutex_);
    for (const auto& [name, bus] : buses_) {
      if (!name.starts_with(prefix)) continue;
      if (index++ < page.first) continue;
      if (items.size() == page.second) {
        more = true;
        break;
      }
      items.push_back(bus_view(bus));
    }
    bj::object out{{"EventBuses", std::move(items)}};
    if (more) out["NextToken"] = std::to_string(page.first + page.second);
    return bj::value(std::move(out));
  }

  api_result<bj::value> delete_event_bus(const bj::object& request) {
    auto name = bus_name_of(string_member(request, "Name"));
    if (name == "default") return validation_error("Cannot delete event bus default.");
    auto lock = store_->write_lock();
    if (!find_bus(name)) return bj::value(bj::object{});  // EventBridge: deleting nothing is fine
    std::vector<kc::log_entry> entries;
    {
      std::shared_lock table(table_mutex_);
      for (const auto& [key, rule] : rules_) {
        if (key.first == name) entries.push_back({rule_key(key.first, key.second), std::nullopt});
      }
    }
    entries.push_back({"bus/" + name, std::nullopt});
    if (auto s = store_->write(entries); !s.ok()) return store_failed(s.err());
    wake_.notify_all();
    return bj::value(bj::object{});
  }

  api_result<bj::value> put_rule(const bj::object& request) {
    WHARF_ASSIGN_OR_RETURN(auto rule, parse_put_rule(request));
    auto lock = store_->write_lock();
    if (!find_bus(rule.bus))
      return not_found(fmt::format("Event bus {} does not exist.", rule.bus));
    auto existing = find_rule(rule.bus, rule.name);
    rule.modified = epoch_seconds();
    rule.created = existing ? existing->created : rule.modified;
    rule.enabled_since = rule.created;
    if (existing) {
      rule.targets = existing->targets;
      if (!request.contains("State")) rule.state = existing->state;
      // A rule enabled again sees only events put from now on, as in EventBridge.
      rule.enabled_since = existing->enabled() ? existing->enabled_since : rule.modified;
    }
    if (auto s = write_rule(rule); !s.ok()) return store_failed(s.err());
    return bj::value(bj::object{{"RuleArn", rule_arn(rule.bus, rule.name)}});
  }

  status write_rule(const rule_def& rule) {
    auto s = store_->write({{rule_key(rule.bus, rule.name), bj::serialize(to_json(rule))}});
    wake_.notify_all();
    return s;
  }

  bj::object rule_view(const rule_def& rule) const {
    bj::object out{{"Name", rule.name},
                   {"Arn", rule_arn(rule.bus, rule.name)},
                   {"EventPattern", rule.event_pattern},
                   {"State", rule.state},
                   {"EventBusName", rule.bus},
                   {"CreatedBy", options_.account_id}};
    if (!rule.description.empty()) out["Description"] = rule.description;
    return out;
  }

  api_result<rule_def> existing_rule(const bj::object& request, std::string_view name_member) {
    auto bus = bus_name_of(string_member(request, "EventBusName"));
    auto name = string_member(request, name_member);
    if (name.empty()) return validation_error(fmt::format("{} is required", name_member));
    auto rule = find_rule(bus, name);
    if (!rule) {
      return not_found(fmt::format("Rule {} does not exist on EventBus {}.", name, bus));
    }
    return *rule;
  }

  api_result<bj::value> describe_rule(const bj::object& request) {
    WHARF_ASSIGN_OR_RETURN(auto rule, existing_rule(request, "Name"));
    return bj::value(rule_view(rule));
  }

  api_result<bj::value> list_rules(const bj::object& request) {
    WHARF_ASSIGN_OR_RETURN(auto page, page_of(request));
    auto bus = bus_name_of(string_member(request, "EventBusName"));
    if (!find_bus(bus)) return not_found(fmt::format("Event bus {} does not exist.", bus));
    auto prefix = string_member(request, "NamePrefix");
    bj::array items;
    std::size_t index = 0;
    bool more = false;
    std::shared_lock lock(table_mutex_);
    for (const auto& [key, rule] : rules_) {
      if (key.first != bus || !key.second.starts_with(prefix)) continue;
      if (index++ < page.first) continue;
      if (items.size() == page.second) {
        more = true;
        break;
      }
      items.push_back(rule_view(rule));
    }
    bj::object out{{"Rules", std::move(items)}};
    if (more) out["NextToken"] = std::to_string(page.first + page.second);
    return bj::value(std::move(out));
  }

  api_result<bj::value> set_state(const bj::object& request, const char* state) {
    auto lock = store_->write_lock();
    WHARF_ASSIGN_OR_RETURN(auto rule, existing_rule(request, "Name"));
    if (rule.state == state) return bj::value(bj::object{});
    rule.state = state;
    rule.modified = epoch_seconds();
    if (rule.enabled()) rule.enabled_since = rule.modified;
    if (auto s = write_rule(rule); !s.ok()) return store_failed(s.err());
    return bj::value(bj::object{});
  }
  api_result<bj::value> enable_rule(const bj::object& r) { return set_state(r, "ENABLED"); }
  api_result<bj::value> disable_rule(const bj::object& r) { return set_state(r, "DISABLED"); }

  api_result<bj::value> delete_rule(const bj::object& request) {
    auto lock = store_->write_lock();
    auto rule = existing_rule(request, "Name");
    if (!rule.ok()) {
      if (rule.err().type == "ResourceNotFoundException") return bj::value(bj::object{});
      return rule.err();
    }
    if (!rule->targets.empty()) {
      return validation_error("Rule can't be deleted since it has targets.");
    }
    if (auto s = store_->write({{rule_key(rule->bus, rule->name), std::nullopt}}); !s.ok()) {
      return store_failed(s.err());
    }
    wake_.notify_all();
    return bj::value(bj::object{});
  }

  api_result<bj::value> put_targets(const bj::object& request) {
    auto* targets = request.if_contains("Targets");
    if (!targets || !targets->is_array() || targets->get_array().empty() ||
        targets->get_array().size() > 10) {
      return validation_error(
          "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member "
          "must have length between 1 and 10");
    }
    auto lock = store_->write_lock();
    WHARF_ASSIGN_OR_RETURN(auto rule, existing_rule(request, "Rule"));
    bj::array failed;
    auto stored = rule.targets;
    for (const auto& entry : targets->get_array()) {
      if (!entry.is_object()) return validation_error("each target is an object");
      auto id = string_member(entry.get_object(), "Id");
      auto parsed = parse_target(entry.get_object());
      if (!parsed.ok()) {
        if (parsed.err().type == "ValidationException") return parsed.err();
        failed.push_back(bj::object{{"TargetId", id},
                                    {"ErrorCode", parsed.err().type},
                                    {"ErrorMessage", parsed.err().text}});
        continue;
      }
      if (parsed->kind == target_kind::function && options_.function_exists &&
          !options_.function_exists(parsed->name)) {
        failed.push_back(bj::object{
            {"TargetId", id},
            {"ErrorCode", "InvalidArgument"},
            {"ErrorMessage", fmt::format("No function {} (in the config file's functions section "
                                         "or created through the function API)",
                                         parsed->name)}});
        continue;
      }
      auto same_id = [&](const bj::object& t) { return string_member(t, "Id") == id; };
      std::erase_if(stored, same_id);
      stored.push_back(entry.get_object());
    }
    if (stored.size() > max_targets_per_rule) {
      return api_error{"LimitExceededException",
                       fmt::format("The requested resource exceeds the maximum number allowed "
                                   "(a rule has at most {} targets).",
                                   max_targets_per_rule)};
    }
    rule.targets = std::move(stored);
    rule.modified = epoch_seconds();
    if (auto s = write_rule(rule); !s.ok()) return store_failed(s.err());
    auto count = static_cast<std::int64_t>(failed.size());
    return bj::value(bj::object{{"FailedEntryCount", count}, {"FailedEntries", std::move(failed)}});
  }

  api_result<bj::value> remove_targets(const bj::object& request) {
    auto* ids = request.if_contains("Ids");
    if (!ids || !ids->is_array() || ids->get_array().empty() || ids->get_array().size() > 100) {
      return validation_error(
          "1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must "
          "have length between 1 and 100");
    }
    auto lock = store_->write_lock();
    WHARF_ASSIGN_OR_RETURN(auto rule, existing_rule(request, "Rule"));
    bj::array failed;
    for (const auto& id_value : ids->get_array()) {
      std::string id = id_value.is_string() ? std::string(id_value.get_string()) : "";
      auto before = rule.targets.size();
      std::erase_if(rule.targets,
                    [&](const bj::object& t) { return string_member(t, "Id") == id; });
      if (before == rule.targets.size()) {
        failed.push_back(
            bj::object{{"TargetId", id},
                       {"ErrorCode", "ResourceNotFoundException"},
                       {"ErrorMessage", fmt::format("Target {} does not exist.", id)}});
      }
    }
    rule.modified = epoch_seconds();
    if (auto s = write_rule(rule); !s.ok()) return store_failed(s.err());
    auto count = static_cast<std::int64_t>(failed.size());
    return bj::value(bj::object{{"FailedEntryCount", count}, {"FailedEntries", std::move(failed)}});
  }

  api_result<bj::value> list_targets_by_rule(const bj::object& request) {
    WHARF_ASSIGN_OR_RETURN(auto page, page_of(request));
    WHARF_ASSIGN_OR_RETURN(auto rule, existing_rule(request, "Rule"));
    bj::array items;
    for (std::size_t i = page.first; i < rule.targets.size() && items.size() < page.second; ++i) {
      items.push_back(rule.targets[i]);
    }
    bj::object out{{"Targets", std::move(items)}};
    if (page.first + page.second < rule.targets.size()) {
      out["NextToken"] = std::to_string(page.first + page.second);
    }
    return bj::value(std::move(out));
  }

  api_result<bj::value> put_events(const bj::object& request) {
    auto* entries = request.if_contains("Entries");
    if (!entries || !entries->is_array() || entries->get_array().empty() ||
        entries->get_array().size() > 10) {
      return validation_error(
          "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member "
          "must have length less than or equal to 10");
    }
    // EventBridge's size: Time (14 bytes if given), Source, DetailType, Detail, Resources;
    // 256 KB an entry and 1 MB the request.
    std::size_t total = 0;
    for (const auto& e : entries->get_array()) {
      if (!e.is_object()) return validation_error("each entry is an object");
      const auto& o = e.get_object();
      std::size_t size = o.contains("Time") ? 14 : 0;
      size += string_member(o, "Source").size() + string_member(o, "DetailType").size() +
              string_member(o, "Detail").size();
      if (auto* r = o.if_contains("Resources"); r && r->is_array()) {
        for (const auto& item : r->get_array()) {
          if (item.is_string()) size += item.get_string().size();
        }
      }
      if (size > max_entry_bytes) {
        return validation_error(fmt::format(
            "An entry of {} bytes is over the limit of {} bytes an entry.", size, max_entry_bytes));
      }
      total += size;
    }
    if (total > max_request_bytes) {
      return validation_error("Total size of the entries in the request is over the limit.");
    }
    std::vector<bj::object> results(entries->get_array().size());
    std::vector<std::future<kc::result<kc::delivery_report>>> futures(results.size());
    std::int64_t failures = 0;
    auto fail = [&](std::size_t i, std::string code, std::string message) {
      results[i] = bj::object{{"ErrorCode", std::move(code)}, {"ErrorMessage", std::move(message)}};
      ++failures;
    };
    auto now = epoch_ms();
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& o = entries->get_array()[i].get_object();
      auto source = string_member(o, "Source");
      auto detail_type = string_member(o, "DetailType");
      auto detail_text = string_member(o, "Detail");
      if (source.empty()) {
        fail(i, "InvalidArgument",
             "Parameter Source is not valid. Reason: Source is a required "
             "argument.");
        continue;
      }
      if (detail_type.empty()) {
        fail(i, "InvalidArgument",
             "Parameter DetailType is not valid. Reason: DetailType is a "
             "required argument.");
        continue;
      }
      if (detail_text.empty()) {
        fail(i, "InvalidArgument",
             "Parameter Detail is not valid. Reason: Detail is a required "
             "argument.");
        continue;
      }
      boost::system::error_code ec;
      bj::parse_options depth;
      depth.max_depth = max_detail_depth;
      auto detail = bj::parse(detail_text, ec, {}, depth);
      if (ec || !detail.is_object()) {
        fail(i, "MalformedDetail", "Detail is malformed.");
        continue;
      }
      auto bus = bus_name_of(string_member(o, "EventBusName"));
      if (!find_bus(bus)) {
        fail(i, "ResourceNotFoundException", fmt::format("Event bus {} does not exist.", bus));
        continue;
      }
      std::vector<std::string> resources;
      if (auto* r = o.if_contains("Resources"); r && r->is_array()) {
        for (const auto& item : r->get_array()) {
          if (item.is_string()) resources.emplace_back(item.get_string());
        }
      }
      std::string time;
      if (auto* t = o.if_contains("Time"); t && t->is_number()) {
        time = iso8601_seconds(static_cast<std::int64_t>(t->to_number<double>() * 1000));
      } else {
        time = iso8601_seconds(now);
      }
      auto id = random_uuid();
      auto envelope =
          make_envelope(id, source, detail_type, std::move(detail), std::move(resources), time,
                        options_.account_id, options_.region);
      kc::outgoing_record record;
      record.topic = bus_topic(bus);
      record.key = id;
      record.value = bj::serialize(envelope);
      record.timestamp_ms = now;
      auto promise = std::make_shared<std::promise<kc::result<kc::delivery_report>>>();
      futures[i] = promise->get_future();
      auto queued = kafka_.shared_producer().produce(
          std::move(record),
          [promise](kc::result<kc::delivery_report> report) { promise->set_value(report); });
      if (!queued.ok()) {
        futures[i] = {};
        fail(i, "InternalFailure", queued.err().message());
        continue;
      }
      results[i] = bj::object{{"EventId", id}};
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (!futures[i].valid()) continue;
      auto report = futures[i].get();
      if (!report.ok()) {
        fail(i, "InternalFailure", report.err().message());
      } else {
        // Only buses that exist become labels: entry names are untrusted.
        put_entries_
            ->with(
                {bus_name_of(string_member(entries->get_array()[i].get_object(), "EventBusName"))})
            .inc();
      }
    }
    failed_entries_->inc(static_cast<double>(failures));
    bj::array out;
    for (auto& r : results) out.push_back(std::move(r));
    return bj::value(bj::object{{"FailedEntryCount", failures}, {"Entries", std::move(out)}});
  }

  api_result<bj::value> test_event_pattern(const bj::object& request) {
    auto pattern_text = string_member(request, "EventPattern");
    auto event_text = string_member(request, "Event");
    if (pattern_text.empty() || event_text.empty()) {
      return validation_error("EventPattern and Event are required");
    }
    auto compiled = pattern::pattern::compile(pattern_text);
    if (!compiled.ok()) return api_error{compiled.err().type(), compiled.err().message()};
    boost::system::error_code ec;
    auto event = bj::parse(event_text, ec);
    if (ec || !event.is_object()) return validation_error("Parameter Event is not valid.");
    // EventBridge insists on the envelope's fields.
    for (const char* field : {"id", "account", "source", "time", "region", "detail-type"}) {
      if (!event.get_object().contains(field)) {
        return validation_error(
            fmt::format("Parameter Event is not valid. Reason: Provided Event is missing the "
                        "required field {}.",
                        field));
      }
    }
    return bj::value(bj::object{{"Result", pattern::matches(*compiled, event)}});
  }

  // --- EventBridge Pipes' REST-JSON API ----------------------------------------------

  using pipe_handler = api_result<bj::value> (service_impl::*)(const http::request&);

  void add_pipe_routes(http::router& routes) {
    auto self = shared_from_this();
    auto route = [&](const char* method, const char* pattern, pipe_handler handler) {
      routes.add_async(
          method, pattern, [self, handler](http::request&& req, http::responder respond) {
            if (!self->ready()) {
              return respond(pipes_error(
                  {"InternalException", "The router's store is not readable yet; retry", 500}));
            }
            self->kafka_.workers().post([self, handler, req = std::move(req), respond]() mutable {
              auto out = (self.get()->*handler)(req);
              if (out.ok()) {
                auto res = http::response::json(200, bj::serialize(*out));
                res.set_header("x-amzn-RequestId", random_uuid());
                return respond(std::move(res));
              }
              auto name = req.path_params.count("name") ? req.path_params["name"] : std::string();
              respond(pipes_error(out.err(), name));
            });
          });
    };
    route("POST", "/v1/pipes/{name}", &service_impl::create_pipe);
    route("GET", "/v1/pipes/{name}", &service_impl::describe_pipe);
    route("PUT", "/v1/pipes/{name}", &service_impl::update_pipe);
    route("DELETE", "/v1/pipes/{name}", &service_impl::delete_pipe);
    route("GET", "/v1/pipes", &service_impl::list_pipes);
    route("POST", "/v1/pipes/{name}/start", &service_impl::start_pipe);
    route("POST", "/v1/pipes/{name}/stop", &service_impl::stop_pipe);
  }

  std::string pipe_arn(const std::string& name) const {
    return fmt::format("arn:aws:pipes:{}:{}:pipe/{}", options_.region, options_.account_id, name);
  }

  std::optional<pipe_def> find_pipe(const std::string& name) const {
    std::shared_lock lock(table_mutex_);
    if (auto it = pipes_.find(name); it != pipes_.end()) return it->second;
    return std::nullopt;
  }

  static api_result<bj::object> pipe_body(const http::request& req) {
    if (req.body.empty()) return bj::object{};
    boost::system::error_code ec;
    bj::parse_options limits;
    limits.max_depth = 64;
    auto parsed = bj::parse(req.body, ec, {}, limits);
    if (ec || !parsed.is_object()) {
      return validation_error("The request body is not a JSON object");
    }
    return std::move(parsed.get_object());
  }

  api_result<pipe_def> existing_pipe(const http::request& req) const {
    auto it = req.path_params.find("name");
    auto name = it == req.path_params.end() ? std::string() : it->second;
    auto pipe = find_pipe(name);
    if (!pipe)
      return api_error{"NotFoundException", fmt::format("Pipe {} does not exist.", name), 404};
    return *pipe;
  }

  // What this instance sees of a pipe: its runner's state, or where it is going.
  std::pair<std::string, std::string> current_state(const pipe_def& pipe) {
    std::lock_guard lock(runners_mutex_);
    auto it = pipe_runners_.find(pipe.name);
    bool running = it != pipe_runners_.end();
    std::string reason;
    if (auto f = pipe_failures_.find(pipe.name); f != pipe_failures_.end()) reason = f->second;
    if (pipe.desired_state == "STOPPED") return {running ? "STOPPING" : "STOPPED", ""};
    if (running) {
      if (it->second.settings != bj::serialize(to_json(pipe))) return {"UPDATING", ""};
      return {"RUNNING", it->second.runner->state_reason()};
    }
    if (!reason.empty()) return {"START_FAILED", reason};
    return {"STARTING", ""};
  }

  bj::object pipe_summary(const pipe_def& pipe, const std::string& state) const {
    return bj::object{{"Arn", pipe_arn(pipe.name)},         {"Name", pipe.name},
                      {"DesiredState", pipe.desired_state}, {"CurrentState", state},
                      {"CreationTime", pipe.created},       {"LastModifiedTime", pipe.modified}};
  }

  // The API destinations and functions a pipe names exist here (otherwise every batch
  // would fail for good).
  std::optional<api_error> check_references(const pipe_def& pipe) const {
    auto plan = plan_pipe(pipe);
    if (!plan.ok()) return plan.err();
    if (plan->source.kind == pipe_source_kind::msk && options_.backbone_arn) {
      // The cluster part of the ARN (its id differs between a fresh embedded broker and
      // the one a script was written against, so only the name counts).
      auto backbone = options_.backbone_arn();
      auto cluster = backbone.substr(0, backbone.rfind('/') + 1);
      if (!cluster.empty() && !pipe.source.starts_with(cluster)) {
        auto problem = fmt::format(
            "Source names another cluster than the one Wharf serves ({}<id>); pipes read the "
            "backbone only",
            cluster);
        api_error err = validation_error("1 validation error detected: " + problem);
        err.fields = {{"Source", problem}};
        return err;
      }
    }
    std::vector<std::pair<std::string, const pipe_endpoint*>> endpoints{{"Target", &plan->target}};
    if (plan->enrichment) endpoints.emplace_back("Enrichment", &*plan->enrichment);
    for (const auto& [member, e] : endpoints) {
      std::string problem;
      if (e->kind == target_kind::http && !e->name.starts_with("http://") &&
          !e->name.starts_with("https://") && !destinations_.count(e->name)) {
        problem = fmt::format(
            "{} names the API destination {}, which router.api_destinations "
            "does not declare",
            member, e->name);
      } else if (e->kind == target_kind::function &&
                 (!options_.function_exists || !options_.function_exists(e->name))) {
        problem = fmt::format(
            "{} names the function {}, which the config file's functions "
            "do not declare (or triggers are off)",
            member, e->name);
      }
      if (!problem.empty()) {
        api_error err = validation_error("1 validation error detected: " + problem);
        err.fields = {{member, problem}};
        return err;
      }
    }
    return std::nullopt;
  }

  status write_pipe(const pipe_def& pipe) {
    auto s = store_->write({{"pipe/" + pipe.name, bj::serialize(to_json(pipe))}});
    wake_.notify_all();
    return s;
  }

  api_result<bj::value> create_pipe(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, pipe_body(req));
    auto name = req.path_params.at("name");
    WHARF_ASSIGN_OR_RETURN(auto pipe, parse_create_pipe(name, body));
    if (auto problem = check_references(pipe)) return *problem;
    auto lock = store_->write_lock();
    if (find_pipe(name)) {
      return api_error{"ConflictException", fmt::format("Pipe {} already exists.", name), 409};
    }
    pipe.created = pipe.modified = epoch_seconds();
    if (auto s = write_pipe(pipe); !s.ok()) return store_failed(s.err());
    return bj::value(pipe_summary(pipe, "CREATING"));
  }

  api_result<bj::value> describe_pipe(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto pipe, existing_pipe(req));
    auto [state, reason] = current_state(pipe);
    auto out = pipe_summary(pipe, state);
    if (!reason.empty()) out["StateReason"] = reason.substr(0, 512);
    out["Source"] = pipe.source;
    out["SourceParameters"] = pipe.source_parameters;
    if (!pipe.description.empty()) out["Description"] = pipe.description;
    if (!pipe.enrichment.empty()) out["Enrichment"] = pipe.enrichment;
    out["EnrichmentParameters"] = pipe.enrichment_parameters;
    out["Target"] = pipe.target;
    out["TargetParameters"] = pipe.target_parameters;
    out["RoleArn"] = pipe.role_arn;
    out["Tags"] = pipe.tags;
    return bj::value(std::move(out));
  }

  api_result<bj::value> list_pipes(const http::request& req) {
    auto param = [&](std::string_view key) {
      auto v = req.query_param(key);
      return v ? std::string(*v) : std::string();
    };
    std::size_t start = 0, limit = 100;
    if (auto token = param("NextToken"); !token.empty()) {
      try {
        start = std::stoul(token);
      } catch (const std::exception&) {
        return validation_error("NextToken is not one this API handed out");
      }
    }
    if (auto l = param("Limit"); !l.empty()) {
      int n = 0;
      try {
        n = std::stoi(l);
      } catch (const std::exception&) {
      }
      if (n < 1 || n > 100) {
        api_error e = validation_error(
            "1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member "
            "must have value between 1 and 100");
        e.fields = {{"Limit", "Member must have value between 1 and 100"}};
        return e;
      }
      limit = static_cast<std::size_t>(n);
    }
    auto name_prefix = param("NamePrefix"), desired = param("DesiredState"),
         current = param("CurrentState"), source_prefix = param("SourcePrefix"),
         target_prefix = param("TargetPrefix");
    std::vector<pipe_def> all;
    {
      std::shared_lock lock(table_mutex_);
      for (const auto& [name, pipe] : pipes_) all.push_back(pipe);
    }
    bj::array items;
    std::size_t index = 0;
    bool more = false;
    for (const auto& pipe : all) {
      if (!pipe.name.starts_with(name_prefix) || !pipe.source.starts_with(source_prefix) ||
          !pipe.target.starts_with(target_prefix)) {
        continue;
      }
      if (!desired.empty() && pipe.desired_state != desired) continue;
      auto [state, reason] = current_state(pipe);
      if (!current.empty() && state != current) continue;
      if (index++ < start) continue;
      if (items.size() == limit) {
        more = true;
        break;
      }
      auto summary = pipe_summary(pipe, state);
      if (!reason.empty()) summary["StateReason"] = reason.substr(0, 512);
      summary["Source"] = pipe.source;
      summary["Target"] = pipe.target;
      if (!pipe.enrichment.empty()) summary["Enrichment"] = pipe.enrichment;
      items.push_back(std::move(summary));
    }
    bj::object out{{"Pipes", std::move(items)}};
    if (more) out["NextToken"] = std::to_string(start + limit);
    return bj::value(std::move(out));
  }

  api_result<bj::value> update_pipe(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, pipe_body(req));
    auto lock = store_->write_lock();
    WHARF_ASSIGN_OR_RETURN(auto existing, existing_pipe(req));
    WHARF_ASSIGN_OR_RETURN(auto pipe, parse_update_pipe(existing, body));
    if (auto problem = check_references(pipe)) return *problem;
    pipe.modified = epoch_seconds();
    if (auto s = write_pipe(pipe); !s.ok()) return store_failed(s.err());
    return bj::value(pipe_summary(pipe, "UPDATING"));
  }

  api_result<bj::value> delete_pipe(const http::request& req) {
    auto lock = store_->write_lock();
    WHARF_ASSIGN_OR_RETURN(auto pipe, existing_pipe(req));
    if (auto s = store_->write({{"pipe/" + pipe.name, std::nullopt}}); !s.ok()) {
      return store_failed(s.err());
    }
    wake_.notify_all();
    auto out = pipe_summary(pipe, "DELETING");
    out["DesiredState"] = "DELETED";
    return bj::value(std::move(out));
  }

  api_result<bj::value> set_pipe_state(const http::request& req, const char* desired,
                                       const char* transition) {
    auto lock = store_->write_lock();
    WHARF_ASSIGN_OR_RETURN(auto pipe, existing_pipe(req));
    if (pipe.desired_state != desired) {
      pipe.desired_state = desired;
      pipe.modified = epoch_seconds();
      if (auto s = write_pipe(pipe); !s.ok()) return store_failed(s.err());
    }
    return bj::value(pipe_summary(pipe, transition));
  }
  api_result<bj::value> start_pipe(const http::request& r) {
    return set_pipe_state(r, "RUNNING", "STARTING");
  }
  api_result<bj::value> stop_pipe(const http::request& r) {
    return set_pipe_state(r, "STOPPED", "STOPPING");
  }

  // --- storage and the runners -----------------------------------------------------

  void apply(const kc::log_entry& entry) {
    std::unique_lock lock(table_mutex_);
    if (entry.key.starts_with("bus/")) {
      auto name = entry.key.substr(4);
      if (!entry.value) {
        buses_.erase(name);
      } else if (auto v = bus_from_json(bj::parse(*entry.value)); v.ok()) {
        buses_[name] = *v;
      }
    } else if (entry.key.starts_with("pipe/")) {
      auto name = entry.key.substr(5);
      if (!entry.value) {
        deactivate_pipe(name);
        pipes_.erase(name);
      } else {
        boost::system::error_code ec;
        auto parsed = bj::parse(*entry.value, ec);
        auto pipe = ec ? result<pipe_def>(make_error(errc::parse_error, "not JSON"))
                       : pipe_from_json(parsed);
        if (pipe.ok()) {
          if (pipe->desired_state != "RUNNING") deactivate_pipe(name);
          pipes_[name] = std::move(*pipe);
        } else {
          log_->warn("router: skipped an unreadable pipe {}: {}", entry.key, pipe.err().message());
        }
      }
    } else if (entry.key.starts_with("rule/")) {
      auto rest = entry.key.substr(5);
      auto slash = rest.rfind('/');
      if (slash == std::string::npos) return;
      std::pair<std::string, std::string> key{rest.substr(0, slash), rest.substr(slash + 1)};
      if (!entry.value) {
        deactivate(key);
        rules_.erase(key);
      } else {
        boost::system::error_code ec;
        auto parsed = bj::parse(*entry.value, ec);
        auto rule = ec ? result<rule_def>(make_error(errc::parse_error, "not JSON"))
                       : rule_from_json(parsed);
        if (rule.ok()) {
          if (!rule->enabled()) deactivate(key);
          rules_[key] = std::move(*rule);
        } else {
          log_->warn("router: skipped an unreadable rule {}: {}", entry.key, rule.err().message());
        }
      }
    }
    wake_.notify_all();
  }

  // Tells a rule's runner to deliver nothing more, without waiting for it to stop.
  void deactivate(const std::pair<std::string, std::string>& key) {
    std::lock_guard lock(active_mutex_);
    if (auto it = active_.find(key); it != active_.end()) it->second->store(false);
  }

  void deactivate_pipe(const std::string& name) {
    std::lock_guard lock(active_mutex_);
    if (auto it = active_pipes_.find(name); it != active_pipes_.end()) it->second->store(false);
  }

  void run() {
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      if (open_store()) break;
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::seconds(2), [this] { return stopping_; });
    }
    while (true) {
      reconcile();
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      wake_.wait_for(lock, std::chrono::seconds(5));
      if (stopping_) return;
    }
  }

  bool open_store() {
    kc::compacted_log_options o;
    o.topic = options_.topic;
    o.client_id = "wharf-router";
    o.timeout = options_.timeout;
    o.apply = [this](const kc::log_entry& e, std::int64_t) { apply(e); };
    auto opened = kc::compacted_log::open(kafka_, o);
    if (!opened.ok()) {
      log_->warn("router: cannot read {} yet: {}", options_.topic, opened.err().message());
      return false;
    }
    auto& store = **opened;
    // The default bus always exists.
    if (auto made = ensure_topic(bus_topic("default")); !made.ok()) {
      log_->warn("router: cannot create {}: {}", bus_topic("default"), made.err().message());
      return false;
    }
    if (!find_bus("default")) {
      bus_def bus{"default", "", epoch_seconds(), epoch_seconds()};
      if (auto s = store.write({{"bus/default", bj::serialize(to_json(bus))}}); !s.ok()) {
        log_->warn("router: cannot store the default bus: {}", s.err().message());
        return false;
      }
    }
    if (auto declared = apply_declared(store); !declared.ok()) {
      log_->error("router: {}", declared.err().message());
    }
    if (auto declared = apply_declared_pipes(store); !declared.ok()) {
      log_->error("router: {}", declared.err().message());
    }
    std::lock_guard lock(mutex_);
    store_ = std::move(*opened);
    log_->info("router: event buses and rules ready (stored in {})", options_.topic);
    return true;
  }

  // Rules from the config file (and the buses they name); a stored rule keeps its
  // creation time, and its state unless the file sets one.
  status apply_declared(kc::compacted_log& store) {
    if (options_.rules_json.empty()) return {};
    auto v = bj::parse(options_.rules_json);
    if (!v.is_object()) return {};
    for (const auto& [name, body] : v.get_object()) {
      if (!body.is_object()) {
        return make_error(errc::invalid_argument, "router.rules.{} must be a mapping",
                          std::string(name));
      }
      bj::object request = body.get_object();
      request["Name"] = std::string(name);
      auto parsed = parse_put_rule(request);
      if (!parsed.ok()) {
        return make_error(errc::invalid_argument, "router.rules.{}: {}", std::string(name),
                          parsed.err().text);
      }
      auto rule = std::move(*parsed);
      rule.declared_in_config = true;
      if (auto* targets = request.if_contains("Targets"); targets && targets->is_array()) {
        for (const auto& t : targets->get_array()) {
          if (!t.is_object() || !parse_target(t.get_object()).ok()) {
            return make_error(errc::invalid_argument, "router.rules.{}: an invalid target",
                              std::string(name));
          }
          rule.targets.push_back(t.get_object());
        }
      }
      if (!find_bus(rule.bus)) {
        WHARF_RETURN_IF_ERROR(ensure_topic(bus_topic(rule.bus)));
        bus_def bus{rule.bus, "", epoch_seconds(), epoch_seconds()};
        WHARF_RETURN_IF_ERROR(store.write({{"bus/" + rule.bus, bj::serialize(to_json(bus))}}));
      }
      auto existing = find_rule(rule.bus, rule.name);
      rule.created = existing ? existing->created : epoch_seconds();
      rule.modified = existing ? existing->modified : rule.created;
      rule.enabled_since =
          existing && existing->enabled() ? existing->enabled_since : rule.modified;
      if (existing && bj::serialize(to_json(*existing)) == bj::serialize(to_json(rule))) continue;
      rule.modified = epoch_seconds();
      WHARF_RETURN_IF_ERROR(
          store.write({{rule_key(rule.bus, rule.name), bj::serialize(to_json(rule))}}));
    }
    return {};
  }

  // Pipes from the config file; a stored pipe keeps its creation time and desired state
  // unless the file sets one.
  status apply_declared_pipes(kc::compacted_log& store) {
    if (options_.pipes_json.empty()) return {};
    auto v = bj::parse(options_.pipes_json);
    if (!v.is_object()) return {};
    for (const auto& [name, body] : v.get_object()) {
      WHARF_ASSIGN_OR_RETURN(auto request,
                             declared_pipe_request(std::string(name), body, options_.account_id));
      auto parsed = parse_create_pipe(std::string(name), request);
      if (!parsed.ok()) {
        return make_error(errc::invalid_argument, "router.pipes.{}: {}", std::string(name),
                          parsed.err().text);
      }
      auto pipe = std::move(*parsed);
      pipe.declared_in_config = true;
      auto existing = find_pipe(pipe.name);
      if (existing && !request.contains("DesiredState")) {
        pipe.desired_state = existing->desired_state;
      }
      pipe.created = existing ? existing->created : epoch_seconds();
      pipe.modified = existing ? existing->modified : pipe.created;
      if (existing && bj::serialize(to_json(*existing)) == bj::serialize(to_json(pipe))) continue;
      pipe.modified = epoch_seconds();
      WHARF_RETURN_IF_ERROR(store.write({{"pipe/" + pipe.name, bj::serialize(to_json(pipe))}}));
    }
    return {};
  }

  void reconcile() {
    reconcile_pipes();
    std::map<std::pair<std::string, std::string>, rule_def> wanted;
    {
      std::shared_lock lock(table_mutex_);
      for (const auto& [key, rule] : rules_) {
        if (rule.enabled() && !rule.targets.empty()) wanted[key] = rule;
      }
    }
    std::lock_guard lock(runners_mutex_);
    for (auto it = runners_.begin(); it != runners_.end();) {
      auto w = wanted.find(it->first);
      if (w == wanted.end() || bj::serialize(to_json(w->second)) != it->second.settings) {
        it->second.runner->stop();
        it = runners_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [key, rule] : wanted) {
      if (runners_.count(key)) continue;
      runner_settings s;
      s.rule = rule;
      s.rule_arn = rule_arn(rule.bus, rule.name);
      s.plain_topic = !rule.source_topic.empty();
      s.topic = s.plain_topic ? rule.source_topic : bus_topic(rule.bus);
      s.group_id = fmt::format("wharf-router.{}.{}", rule.bus, rule.name);
      // A second of slack for events put just before the rule was written.
      s.start_ms =
          static_cast<std::int64_t>(std::max(rule.created, rule.enabled_since) * 1000) - 1000;
      s.account = options_.account_id;
      s.region = options_.region;
      s.bus_topic_prefix = options_.bus_topic_prefix;
      s.destinations = destinations_;
      s.invoke_function = options_.invoke_function;
      s.retry_backoff = options_.retry_backoff;
      s.retry_backoff_max = options_.retry_backoff_max;
      bool targets_ok = true;
      for (const auto& t : rule.targets) {
        auto parsed = parse_target(t);
        if (!parsed.ok()) {
          log_->warn("rule {}: {}", rule.name, parsed.err().text);
          targets_ok = false;
          break;
        }
        s.targets.push_back(std::move(*parsed));
      }
      if (!targets_ok) continue;
      {
        std::lock_guard active_lock(active_mutex_);
        active_[key] = s.active;
      }
      auto started = rule_runner::start(std::move(s), kafka_, metrics_);
      if (!started.ok()) {
        log_->warn("rule {}: cannot start: {}", rule.name, started.err().message());
        continue;
      }
      runners_[key] = running{std::move(*started), bj::serialize(to_json(rule))};
      log_->info("rule {} on {}: running", rule.name,
                 rule.source_topic.empty() ? "bus " + rule.bus : "topic " + rule.source_topic);
    }
  }

  void reconcile_pipes() {
    std::map<std::string, pipe_def> wanted;
    {
      std::shared_lock lock(table_mutex_);
      for (const auto& [name, pipe] : pipes_) {
        if (pipe.desired_state == "RUNNING") wanted[name] = pipe;
      }
    }
    std::lock_guard lock(runners_mutex_);
    for (auto it = pipe_runners_.begin(); it != pipe_runners_.end();) {
      auto w = wanted.find(it->first);
      if (w == wanted.end() || bj::serialize(to_json(w->second)) != it->second.settings) {
        it->second.runner->stop();
        it = pipe_runners_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = pipe_failures_.begin(); it != pipe_failures_.end();) {
      it = wanted.count(it->first) ? std::next(it) : pipe_failures_.erase(it);
    }
    for (const auto& [name, pipe] : wanted) {
      if (pipe_runners_.count(name)) continue;
      auto plan = plan_pipe(pipe);
      if (!plan.ok()) {
        pipe_failures_[name] = plan.err().text;
        continue;
      }
      if (auto problem = check_references(pipe)) {
        if (!pipe_failures_.count(name)) log_->warn("pipe {}: {}", name, problem->text);
        pipe_failures_[name] = problem->text;
        continue;
      }
      pipe_runner_settings s;
      s.pipe_name = name;
      s.pipe_arn = pipe_arn(name);
      s.plan = std::move(*plan);
      s.group_id = s.plan.source.consumer_group.empty() ? "wharf-pipes." + name
                                                        : s.plan.source.consumer_group;
      s.account = options_.account_id;
      s.region = options_.region;
      s.bus_topic_prefix = options_.bus_topic_prefix;
      s.destinations = destinations_;
      s.call_function = options_.call_function;
      s.retry_backoff = options_.retry_backoff;
      s.retry_backoff_max = options_.retry_backoff_max;
      {
        std::lock_guard active_lock(active_mutex_);
        active_pipes_[name] = s.active;
      }
      auto topic = s.plan.source.topic;
      auto started = pipe_runner::start(std::move(s), kafka_, metrics_);
      if (!started.ok()) {
        pipe_failures_[name] = started.err().message();
        log_->warn("pipe {}: cannot start: {}", name, started.err().message());
        continue;
      }
      pipe_failures_.erase(name);
      pipe_runners_[name] = running_pipe{std::move(*started), bj::serialize(to_json(pipe))};
      log_->info("pipe {} from topic {}: running", name, topic);
    }
  }

  service_options options_;
  kc::cluster& kafka_;
  metrics::registry* metrics_;
  metrics::family<metrics::counter>* put_entries_ = nullptr;
  metrics::counter* failed_entries_ = nullptr;
  std::map<std::string, api_destination> destinations_;
  std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unique_ptr<kc::compacted_log> store_;
  std::thread reconciler_;

  mutable std::shared_mutex table_mutex_;
  std::map<std::string, bus_def> buses_;
  std::map<std::pair<std::string, std::string>, rule_def> rules_;
  std::map<std::string, pipe_def> pipes_;

  std::mutex runners_mutex_;
  std::map<std::pair<std::string, std::string>, running> runners_;
  std::map<std::string, running_pipe> pipe_runners_;
  std::map<std::string, std::string> pipe_failures_;  // why a pipe could not start here
  std::mutex active_mutex_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<std::atomic<bool>>> active_;
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> active_pipes_;
};

}  // namespace

std::vector<std::string> check_config(const std::string& rules_json,
                                      const std::string& api_destinations_json,
                                      const std::string& pipes_json) {
  std::vector<std::string> problems;
  if (auto d = parse_api_destinations(api_destinations_json); !d.ok()) {
    problems.push_back(d.err().message());
  }
  if (!pipes_json.empty()) {
    boost::system::error_code ec;
    auto v = bj::parse(pipes_json, ec);
    if (ec || !(v.is_object() || v.is_null())) {
      problems.push_back("router.pipes must be a mapping of names to pipes");
    } else if (v.is_object()) {
      for (const auto& [name, body] : v.get_object()) {
        auto request = declared_pipe_request(std::string(name), body, "000000000000");
        if (!request.ok()) {
          problems.push_back(request.err().message());
          continue;
        }
        auto parsed = parse_create_pipe(std::string(name), *request);
        if (!parsed.ok()) {
          problems.push_back(
              fmt::format("router.pipes.{}: {}", std::string(name), parsed.err().text));
          continue;
        }
        auto plan = plan_pipe(*parsed);
        auto destinations = parse_api_destinations(api_destinations_json);
        if (!plan.ok() || !destinations.ok()) continue;
        for (const auto* e : {&plan->target, plan->enrichment ? &*plan->enrichment : nullptr}) {
          if (e && e->kind == target_kind::http && !e->name.starts_with("http://") &&
              !e->name.starts_with("https://") && !destinations->count(e->name)) {
            problems.push_back(fmt::format(
                "router.pipes.{}: the API destination {} is not in router.api_destinations",
                std::string(name), e->name));
          }
        }
      }
    }
  }
  if (rules_json.empty()) return problems;
  boost::system::error_code ec;
  auto v = bj::parse(rules_json, ec);
  if (ec || !(v.is_object() || v.is_null())) {
    problems.push_back("router.rules must be a mapping of names to rules");
    return problems;
  }
  if (v.is_null()) return problems;
  for (const auto& [name, body] : v.get_object()) {
    if (!body.is_object()) {
      problems.push_back(fmt::format("router.rules.{} must be a mapping", std::string(name)));
      continue;
    }
    bj::object request = body.get_object();
    request["Name"] = std::string(name);
    if (auto parsed = parse_put_rule(request); !parsed.ok()) {
      problems.push_back(fmt::format("router.rules.{}: {}: {}", std::string(name),
                                     parsed.err().type, parsed.err().text));
    }
    if (auto* targets = request.if_contains("Targets")) {
      if (!targets->is_array() || targets->get_array().size() > max_targets_per_rule) {
        problems.push_back(fmt::format("router.rules.{}.Targets must be a list of at most {}",
                                       std::string(name), max_targets_per_rule));
        continue;
      }
      for (const auto& t : targets->get_array()) {
        auto parsed = t.is_object() ? parse_target(t.get_object())
                                    : api_result<target_spec>(validation_error("not a mapping"));
        if (!parsed.ok()) {
          problems.push_back(
              fmt::format("router.rules.{}.Targets: {}", std::string(name), parsed.err().text));
        }
      }
    }
  }
  return problems;
}

result<std::unique_ptr<service>> service::start(service_options options, kc::cluster& kafka,
                                                metrics::registry* metrics) {
  auto problems =
      check_config(options.rules_json, options.api_destinations_json, options.pipes_json);
  if (!problems.empty()) return make_error(errc::invalid_argument, "{}", problems.front());
  WHARF_ASSIGN_OR_RETURN(auto destinations, parse_api_destinations(options.api_destinations_json));
  auto impl =
      std::make_shared<service_impl>(std::move(options), kafka, metrics, std::move(destinations));
  impl->begin();
  // The routes share the service; the owner holds it through this.
  struct holder final : service {
    std::shared_ptr<service_impl> impl;
    explicit holder(std::shared_ptr<service_impl> i) : impl(std::move(i)) {}
    ~holder() override { impl->shutdown(); }
    void add_routes(http::router& routes) override { impl->add_routes(routes); }
    bool ready() const override { return impl->ready(); }
    void shutdown() override { impl->shutdown(); }
    std::vector<std::string> rules_using_function(const std::string& name) const override {
      return impl->rules_using_function(name);
    }
  };
  return std::unique_ptr<service>(std::make_unique<holder>(std::move(impl)));
}

}  // namespace wharf::router
