#include "services/triggers/triggers.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <regex>
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
#include "services/triggers/event_source_mapping.h"
#include "services/triggers/filters.h"
#include "services/triggers/functions.h"
#include "services/triggers/mapping_runner.h"

namespace wharf::triggers {

namespace bj = boost::json;
namespace kc = kafka::client;

namespace {

constexpr std::string_view mappings_path = "/2015-03-31/event-source-mappings";

// --- functions from the config file ------------------------------------------------

result<std::vector<std::string>> string_list(const bj::value& v, const std::string& where) {
  if (!v.is_array() || v.get_array().empty()) {
    return make_error(errc::invalid_argument, "{} must be a non-empty list of strings", where);
  }
  std::vector<std::string> out;
  for (const auto& item : v.get_array()) {
    if (item.is_string()) {
      out.emplace_back(item.get_string());
    } else if (item.is_number() || item.is_bool()) {
      out.push_back(bj::serialize(item));  // YAML read `true` or `8080` as a scalar
    } else {
      return make_error(errc::invalid_argument, "{} must be a list of strings", where);
    }
  }
  return out;
}

result<function_spec> parse_function(const std::string& name, const bj::value& v) {
  if (!v.is_object()) {
    return make_error(errc::invalid_argument, "functions.{} must be a mapping", name);
  }
  function_spec spec;
  spec.name = name;
  int kinds = 0;
  for (const auto& [key, value] : v.get_object()) {
    std::string where = fmt::format("functions.{}.{}", name, std::string(key));
    if (key == "url") {
      if (!value.is_string()) return make_error(errc::invalid_argument, "{} must be a URL", where);
      spec.url = std::string(value.get_string());
      ++kinds;
    } else if (key == "runtime") {
      WHARF_ASSIGN_OR_RETURN(spec.runtime, string_list(value, where));
      ++kinds;
    } else if (key == "exec") {
      WHARF_ASSIGN_OR_RETURN(spec.exec, string_list(value, where));
      ++kinds;
    } else if (key == "handler") {
      if (!value.is_string()) return make_error(errc::invalid_argument, "{} must be text", where);
      spec.handler = std::string(value.get_string());
    } else if (key == "timeout_s" || key == "concurrency" || key == "memory_mb") {
      if (!value.is_int64() || value.get_int64() < 1) {
        return make_error(errc::invalid_argument, "{} must be a positive whole number", where);
      }
      auto n = value.get_int64();
      if (key == "timeout_s") {
        if (n > 900) return make_error(errc::invalid_argument, "{} is at most 900 (15 min)", where);
        spec.timeout = std::chrono::seconds(n);
      } else if (key == "concurrency") {
        if (n > 1000) return make_error(errc::invalid_argument, "{} is at most 1000", where);
        spec.concurrency = static_cast<int>(n);
      } else {
        if (n < 128 || n > 10'240) {
          return make_error(errc::invalid_argument, "{} is between 128 and 10240", where);
        }
        spec.memory_mb = static_cast<int>(n);
      }
    } else if (key == "environment") {
      if (!value.is_object()) {
        return make_error(errc::invalid_argument, "{} must be a mapping of names to values", where);
      }
      for (const auto& [k, e] : value.get_object()) {
        spec.environment[std::string(k)] =
            e.is_string() ? std::string(e.get_string()) : bj::serialize(e);
      }
    } else if (key == "working_directory") {
      if (!value.is_string()) return make_error(errc::invalid_argument, "{} must be a path", where);
      spec.working_directory = std::string(value.get_string());
    } else {
      return make_error(errc::invalid_argument,
                        "{}: unknown setting (url, runtime, exec, handler, timeout_s, "
                        "concurrency, memory_mb, environment, working_directory)",
                        where);
    }
  }
  if (kinds != 1) {
    return make_error(errc::invalid_argument,
                      "functions.{} needs exactly one of url, runtime and exec", name);
  }
  return spec;
}

result<std::vector<function_spec>> parse_functions(const std::string& json) {
  std::vector<function_spec> out;
  if (json.empty()) return out;
  boost::system::error_code ec;
  auto v = bj::parse(json, ec);
  if (ec) return make_error(errc::invalid_argument, "functions: not valid JSON: {}", ec.message());
  if (v.is_null()) return out;
  if (!v.is_object()) return make_error(errc::invalid_argument, "functions must be a mapping");
  for (const auto& [name, spec] : v.get_object()) {
    static const std::regex valid(R"([a-zA-Z0-9-_]{1,64})");
    if (!std::regex_match(std::string(name), valid)) {
      return make_error(errc::invalid_argument,
                        "functions.{}: a function name is 1 to 64 letters, digits, - and _",
                        std::string(name));
    }
    WHARF_ASSIGN_OR_RETURN(auto parsed, parse_function(std::string(name), spec));
    out.push_back(std::move(parsed));
  }
  return out;
}

// Another Kafka cluster mappings may read, declared in the config file: reached with its
// own bootstrap servers and client properties (credentials), named by an MSK-style ARN.
struct declared_cluster {
  std::string name;
  std::vector<std::string> bootstrap_servers;
  std::map<std::string, std::string> properties;
  std::string id;  // the ARN's last part
};

result<std::map<std::string, declared_cluster>> parse_clusters(const std::string& json) {
  std::map<std::string, declared_cluster> out;
  if (json.empty()) return out;
  boost::system::error_code ec;
  auto v = bj::parse(json, ec);
  if (ec || !(v.is_object() || v.is_null())) {
    return make_error(errc::invalid_argument, "triggers.clusters must be a mapping of names");
  }
  if (v.is_null()) return out;
  static const std::regex valid(R"([a-zA-Z0-9-]{1,64})");
  for (const auto& [key, spec] : v.get_object()) {
    declared_cluster c;
    c.name = std::string(key);
    c.id = c.name;
    auto where = "triggers.clusters." + c.name;
    if (!std::regex_match(c.name, valid)) {
      return make_error(errc::invalid_argument,
                        "{}: a cluster name is 1 to 64 letters, digits "
                        "and -",
                        where);
    }
    if (!spec.is_object()) return make_error(errc::invalid_argument, "{} must be a mapping", where);
    for (const auto& [field, value] : spec.get_object()) {
      if (field == "bootstrap_servers") {
        WHARF_ASSIGN_OR_RETURN(c.bootstrap_servers,
                               string_list(value, where + ".bootstrap_servers"));
      } else if (field == "client_properties") {
        WHARF_ASSIGN_OR_RETURN(auto props, string_list(value, where + ".client_properties"));
        for (const auto& p : props) {
          auto eq = p.find('=');
          if (eq == std::string::npos || eq == 0) {
            return make_error(errc::invalid_argument,
                              "{}.client_properties: '{}' is not "
                              "name=value",
                              where, p);
          }
          c.properties[p.substr(0, eq)] = p.substr(eq + 1);
        }
      } else if (field == "cluster_id") {
        if (!value.is_string() || value.get_string().empty()) {
          return make_error(errc::invalid_argument, "{}.cluster_id must be text", where);
        }
        c.id = std::string(value.get_string());
      } else {
        return make_error(errc::invalid_argument,
                          "{}.{}: unknown setting (bootstrap_servers, client_properties, "
                          "cluster_id)",
                          where, std::string(field));
      }
    }
    if (c.bootstrap_servers.empty()) {
      return make_error(errc::invalid_argument, "{} needs bootstrap_servers", where);
    }
    out[c.name] = std::move(c);
  }
  return out;
}

// A stable UUID for a mapping declared in the config file, from its name.
std::string uuid_from_name(const std::string& name) {
  auto fnv = [&name](std::uint64_t seed) {
    std::uint64_t h = seed;
    for (unsigned char c : name) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    return h;
  };
  auto a = fnv(0xcbf29ce484222325ULL), b = fnv(0x84222325cbf29ce4ULL);
  return fmt::format("{:08x}-{:04x}-5{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

double epoch_seconds() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) /
         1000.0;
}

// Lambda's error answer: X-Amzn-ErrorType names the exception; the body's message member
// is spelt "Message" or "message" as each exception's shape has it.
http::response error_answer(const api_error& e) {
  bool capital = e.type == "ResourceNotFoundException" || e.type == "ResourceInUseException" ||
                 e.type == "ServiceException";
  bj::object body;
  if (e.type != "ValidationException")
    body["Type"] = e.type == "ServiceException" ? "Service" : "User";
  body[capital ? "Message" : "message"] = e.text;
  auto res = http::response::json(e.status, bj::serialize(body));
  res.set_header("X-Amzn-ErrorType", e.type);
  res.set_header("x-amzn-RequestId", random_uuid());
  return res;
}

http::response json_answer(int status, const bj::value& body) {
  auto res = http::response::json(status, bj::serialize(body));
  res.set_header("x-amzn-RequestId", random_uuid());
  return res;
}

struct running {
  std::unique_ptr<mapping_runner> runner;
  std::string settings;  // the stored form it was started from
};

class service_impl final : public service, public std::enable_shared_from_this<service_impl> {
 public:
  service_impl(service_options options, kc::cluster& kafka, metrics::registry* metrics,
               std::map<std::string, std::shared_ptr<function>> functions,
               std::map<std::string, declared_cluster> declared)
      : options_(std::move(options)),
        kafka_(kafka),
        metrics_(metrics),
        functions_(std::move(functions)),
        declared_(std::move(declared)),
        log_(logging::get("triggers")) {
    aws_.region = options_.region;
    aws_.account_id = options_.account_id;
  }

  ~service_impl() override { shutdown(); }

  void begin() {
    reconciler_ = std::thread([this] { run(); });
  }

  std::string cluster_arn() const override {
    std::lock_guard lock(mutex_);
    return cluster_arn_;
  }
  bool ready() const override {
    std::lock_guard lock(mutex_);
    return log_open_ != nullptr;
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (reconciler_.joinable()) reconciler_.join();
    for (auto& [uuid, r] : runners_) r.runner->stop();
    runners_.clear();
    if (log_open_) log_open_->close();
    for (auto& [name, fn] : functions_) fn->shutdown();
    for (auto& [servers, c] : clusters_) c->shutdown(std::chrono::milliseconds(1000));
  }

  bool has_function(const std::string& name) const override { return functions_.count(name) > 0; }

  std::optional<std::string> invoke_function(const std::string& name,
                                             const std::string& event) override {
    auto it = functions_.find(name);
    if (it == functions_.end()) return fmt::format("no function {}", name);
    auto outcome = it->second->invoke(event, random_uuid());
    if (outcome.ok()) return std::nullopt;
    return fmt::format("{}: {}", outcome.error_type, outcome.error_message);
  }

  result<std::string> call_function(const std::string& name, const std::string& event) {
    auto it = functions_.find(name);
    if (it == functions_.end()) return make_error(errc::not_found, "no function {}", name);
    auto outcome = it->second->invoke(event, random_uuid());
    if (outcome.ok()) return std::move(outcome.payload);
    return make_error(errc::io_error, "{}: {}", outcome.error_type, outcome.error_message);
  }

  void add_routes(http::router& r) override {
    auto self = shared_from_this();
    auto guarded = [self](auto fn) {
      return [self, fn](http::request&& req, http::responder respond) {
        if (!self->ready()) {
          return respond(error_answer({"ServiceException", 503,
                                       "The event source mapping store is not readable yet; "
                                       "retry"}));
        }
        // Writes wait for Kafka: a worker thread, not the I/O thread.
        self->kafka_.workers().post([self, fn, req = std::move(req), respond]() mutable {
          auto out = (self.get()->*fn)(req);
          respond(out.ok() ? std::move(*out) : error_answer(out.err()));
        });
      };
    };
    std::string base(mappings_path);
    for (const auto& collection : {base, base + "/"}) {
      r.add_async("POST", collection, guarded(&service_impl::create));
      r.add_async("GET", collection, guarded(&service_impl::list));
    }
    r.add_async("GET", base + "/{uuid}", guarded(&service_impl::get));
    // Where mappings read by default: for `wharf trigger create` and for people.
    r.add("GET", "/wharf/triggers/cluster", [self](const http::request&) {
      bj::array declared;
      for (const auto& [name, c] : self->declared_) {
        declared.push_back(bj::object{
            {"ClusterArn", self->declared_arn(c)},
            {"BootstrapServers", fmt::format("{}", fmt::join(c.bootstrap_servers, ","))}});
      }
      bj::object out{{"DeclaredClusters", std::move(declared)},
                     {"ClusterArn", self->cluster_arn()},
                     {"BootstrapServers",
                      fmt::format("{}", fmt::join(self->kafka_.options().bootstrap_servers, ","))}};
      return json_answer(self->cluster_arn().empty() ? 503 : 200, out);
    });
    r.add_async("PUT", base + "/{uuid}", guarded(&service_impl::update));
    r.add_async("DELETE", base + "/{uuid}", guarded(&service_impl::remove));
  }

 private:
  using api_result = result<http::response, api_error>;

  // --- the API ---------------------------------------------------------------------

  request_context context() {
    request_context ctx;
    ctx.function_exists = [this](const std::string& name) { return functions_.count(name) > 0; };
    ctx.cluster_known = [this](const std::string& arn) {
      return arn_matches_backbone(arn) || declared_cluster_of(arn) != nullptr;
    };
    return ctx;
  }

  // The backbone's exact ARN, or any ARN naming its cluster name (the id part differs
  // between a fresh embedded broker and the one a script was written against).
  bool arn_matches_backbone(const std::string& arn) const {
    std::lock_guard lock(mutex_);
    if (arn == cluster_arn_) return true;
    auto prefix = fmt::format("arn:aws:kafka:{}:{}:cluster/{}/", aws_.region, aws_.account_id,
                              options_.cluster_name);
    return arn.starts_with(prefix);
  }

  std::string declared_arn(const declared_cluster& c) const {
    return fmt::format("arn:aws:kafka:{}:{}:cluster/{}/{}", aws_.region, aws_.account_id, c.name,
                       c.id);
  }

  // The declared cluster an MSK-style ARN names (by its cluster name), if any.
  const declared_cluster* declared_cluster_of(const std::string& arn) const {
    for (const auto& [name, c] : declared_) {
      auto prefix =
          fmt::format("arn:aws:kafka:{}:{}:cluster/{}/", aws_.region, aws_.account_id, name);
      if (arn.starts_with(prefix) && !arn_matches_backbone(arn)) return &c;
    }
    return nullptr;
  }

  static result<bj::value, api_error> body_of(const http::request& req) {
    boost::system::error_code ec;
    bj::parse_options limits;
    limits.max_depth = 32;
    auto v = bj::parse(req.body.empty() ? std::string_view("{}") : std::string_view(req.body), ec,
                       {}, limits);
    if (ec) {
      return api_error{"InvalidParameterValueException", 400,
                       "The request body is not valid JSON: " + ec.message()};
    }
    return v;
  }

  bj::object configuration(const event_source_mapping& m, std::string state = {}) {
    std::string result = "No records processed";
    {
      std::lock_guard lock(runners_mutex_);
      if (auto it = runners_.find(m.uuid); it != runners_.end()) {
        result = it->second.runner->last_processing_result();
        if (it->second.runner->blocked()) {
          result +=
              "; a batch keeps failing and is retried until it succeeds (no "
              "MaximumRetryAttempts, MaximumRecordAgeInSeconds or OnFailure "
              "destination), so its partition waits";
        }
      }
    }
    if (state.empty()) state = m.enabled ? "Enabled" : "Disabled";
    return to_configuration(m, aws_, state, result);
  }

  std::optional<event_source_mapping> find(const std::string& uuid) {
    std::shared_lock lock(table_mutex_);
    if (auto it = table_.find(uuid); it != table_.end()) return it->second;
    return std::nullopt;
  }

  status store(const event_source_mapping& m) {
    return log_open_->write({{"mapping/" + m.uuid, to_stored_json(m)}});
  }

  static api_error store_failed(const error& e) {
    return {"ServiceException", 500, "Storing the event source mapping failed: " + e.message()};
  }

  api_result create(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, body_of(req));
    WHARF_ASSIGN_OR_RETURN(auto m, parse_create(body, context()));
    auto lock = log_open_->write_lock();
    if (auto conflict = find_conflict(m)) return *conflict;
    m.uuid = random_uuid();
    if (m.consumer_group_id.empty()) m.consumer_group_id = m.uuid;
    m.last_modified = epoch_seconds();
    if (auto stored = store(m); !stored.ok()) return store_failed(stored.err());
    wake_.notify_all();
    return json_answer(202, configuration(m, "Creating"));
  }

  // Lambda refuses a second mapping of one function to the same topic of one cluster.
  std::optional<api_error> find_conflict(const event_source_mapping& m) {
    std::shared_lock lock(table_mutex_);
    for (const auto& [uuid, other] : table_) {
      bool same_source = m.self_managed()
                             ? std::any_of(m.bootstrap_servers.begin(), m.bootstrap_servers.end(),
                                           [&](const auto& s) {
                                             return std::find(other.bootstrap_servers.begin(),
                                                              other.bootstrap_servers.end(),
                                                              s) != other.bootstrap_servers.end();
                                           })
                             : m.event_source_arn == other.event_source_arn;
      if (same_source && other.function_name == m.function_name && other.topics == m.topics) {
        std::string source = m.self_managed()
                                 ? fmt::format("{}", fmt::join(m.bootstrap_servers, ","))
                                 : m.event_source_arn;
        return api_error{
            "ResourceConflictException", 409,
            fmt::format("An event source mapping with event source (\"{}\"), "
                        "function (\"{}\"), topics (\"{}\") already exists. Please "
                        "update or delete the existing mapping with UUID {}",
                        source, aws_.function_arn(m.function_name), m.topics.front(), uuid)};
      }
    }
    if (!m.consumer_group_id.empty()) {
      for (const auto& [uuid, other] : table_) {
        if (other.consumer_group_id == m.consumer_group_id) {
          return api_error{"InvalidParameterValueException", 400,
                           fmt::format("The consumer group id {} is already used by the event "
                                       "source mapping {}",
                                       m.consumer_group_id, uuid)};
        }
      }
    }
    return std::nullopt;
  }

  api_result list(const http::request& req) {
    std::optional<std::string> function;
    if (auto f = req.query_param("FunctionName"); f && !f->empty()) {
      auto name = function_name_of(std::string(*f));
      if (!name.ok()) return name.err();
      function = *name;
    }
    auto arn = req.query_param("EventSourceArn");
    std::size_t start = 0;
    if (auto marker = req.query_param("Marker"); marker && !marker->empty()) {
      try {
        start = std::stoul(std::string(*marker));
      } catch (const std::exception&) {
        return invalid_parameter("Marker is not one this API handed out");
      }
    }
    std::size_t max_items = 100;
    if (auto m = req.query_param("MaxItems"); m && !m->empty()) {
      try {
        max_items = std::clamp<std::size_t>(std::stoul(std::string(*m)), 1, 100);
      } catch (const std::exception&) {
        return validation_error(std::string(*m), "maxItems",
                                "Member must have value greater than or equal to 1");
      }
    }
    std::vector<event_source_mapping> matching;
    {
      std::shared_lock lock(table_mutex_);
      for (const auto& [uuid, m] : table_) {
        if (function && m.function_name != *function) continue;
        if (arn && !arn->empty() && m.event_source_arn != *arn) continue;
        matching.push_back(m);
      }
    }
    std::sort(matching.begin(), matching.end(), [](const auto& a, const auto& b) {
      return std::tie(a.last_modified, a.uuid) < std::tie(b.last_modified, b.uuid);
    });
    bj::array items;
    for (std::size_t i = start; i < matching.size() && items.size() < max_items; ++i) {
      items.push_back(configuration(matching[i]));
    }
    bj::object out{{"EventSourceMappings", std::move(items)}};
    if (start + max_items < matching.size()) out["NextMarker"] = std::to_string(start + max_items);
    return json_answer(200, out);
  }

  api_result get(const http::request& req) {
    auto m = find(req.param("uuid"));
    if (!m) return not_found();
    return json_answer(200, configuration(*m));
  }

  api_result update(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, body_of(req));
    auto lock = log_open_->write_lock();
    auto m = find(req.param("uuid"));
    if (!m) return not_found();
    WHARF_ASSIGN_OR_RETURN(auto updated, apply_update(*m, body, context()));
    updated.last_modified = epoch_seconds();
    updated.state_transition_reason = "USER_INITIATED";
    if (auto stored = store(updated); !stored.ok()) return store_failed(stored.err());
    wake_.notify_all();
    return json_answer(202, configuration(updated, "Updating"));
  }

  api_result remove(const http::request& req) {
    auto lock = log_open_->write_lock();
    auto m = find(req.param("uuid"));
    if (!m) return not_found();
    if (auto written = log_open_->write({{"mapping/" + m->uuid, std::nullopt}}); !written.ok()) {
      return store_failed(written.err());
    }
    wake_.notify_all();
    return json_answer(202, configuration(*m, "Deleting"));
  }

  // --- storage and the runners -----------------------------------------------------

  void apply(const kc::log_entry& entry) {
    constexpr std::string_view prefix = "mapping/";
    if (!entry.key.starts_with(prefix)) return;
    auto uuid = entry.key.substr(prefix.size());
    std::unique_lock lock(table_mutex_);
    if (!entry.value) {
      table_.erase(uuid);
    } else if (auto m = from_stored_json(*entry.value); m.ok()) {
      table_[uuid] = std::move(*m);
    } else {
      log_->warn("skipped an unreadable mapping {} in {}: {}", uuid, options_.topic,
                 m.err().message());
    }
    wake_.notify_all();
  }

  void run() {
    // Open the store, retrying while Kafka cannot be reached.
    for (int attempt = 0;; ++attempt) {
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
      measure_lag();
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      wake_.wait_for(lock, std::chrono::seconds(5));
      if (stopping_) return;
    }
  }

  bool open_store() {
    auto md = kafka_.admin_client().metadata();
    if (!md.ok()) {
      log_->warn("triggers: Kafka cannot be reached yet: {}", md.err().message());
      return false;
    }
    {
      std::lock_guard lock(mutex_);
      cluster_arn_ =
          fmt::format("arn:aws:kafka:{}:{}:cluster/{}/{}", aws_.region, aws_.account_id,
                      options_.cluster_name, md->cluster_id.empty() ? "local" : md->cluster_id);
    }
    kc::compacted_log_options log_options;
    log_options.topic = options_.topic;
    log_options.client_id = "wharf-triggers";
    log_options.timeout = options_.timeout;
    log_options.apply = [this](const kc::log_entry& e, std::int64_t) { apply(e); };
    auto opened = kc::compacted_log::open(kafka_, log_options);
    if (!opened.ok()) {
      log_->warn("triggers: cannot read {} yet: {}", options_.topic, opened.err().message());
      return false;
    }
    if (auto declared = apply_declared(**opened); !declared.ok()) {
      log_->error("triggers: {}", declared.err().message());
    }
    std::lock_guard lock(mutex_);
    log_open_ = std::move(*opened);
    log_->info("triggers: event source mappings ready; the Kafka cluster's ARN is {}",
               cluster_arn_);
    for (const auto& [name, c] : declared_) {
      log_->info("triggers: the cluster {} ({}) is {}", name,
                 fmt::format("{}", fmt::join(c.bootstrap_servers, ",")), declared_arn(c));
    }
    return true;
  }

  // Mappings from the config file, stored under UUIDs derived from their names; a
  // mapping that is already stored keeps its state and creation time.
  status apply_declared(kc::compacted_log& log) {
    if (options_.mappings_json.empty()) return {};
    auto v = bj::parse(options_.mappings_json);
    if (v.is_null()) return {};
    for (const auto& [name, body] : v.get_object()) {
      bj::value request = body;
      auto& o = request.as_object();
      if (!o.contains("EventSourceArn") && !o.contains("SelfManagedEventSource")) {
        std::lock_guard lock(mutex_);
        o["EventSourceArn"] = cluster_arn_;
      }
      auto parsed = parse_create(request, context());
      if (!parsed.ok()) {
        return make_error(errc::invalid_argument, "triggers.{}: {}", std::string(name),
                          parsed.err().text);
      }
      auto m = std::move(*parsed);
      m.uuid = uuid_from_name(std::string(name));
      if (m.consumer_group_id.empty()) m.consumer_group_id = m.uuid;
      m.declared_in_config = true;
      auto existing = find(m.uuid);
      m.last_modified = existing ? existing->last_modified : epoch_seconds();
      if (existing && to_stored_json(*existing) == to_stored_json(m)) continue;
      m.last_modified = epoch_seconds();
      WHARF_RETURN_IF_ERROR(log.write({{"mapping/" + m.uuid, to_stored_json(m)}}));
    }
    return {};
  }

  // Starts, restarts and stops runners until they match the table.
  void reconcile() {
    std::map<std::string, event_source_mapping> wanted;
    {
      std::shared_lock lock(table_mutex_);
      for (const auto& [uuid, m] : table_) {
        if (m.enabled) wanted[uuid] = m;
      }
    }
    std::lock_guard lock(runners_mutex_);
    for (auto it = runners_.begin(); it != runners_.end();) {
      auto w = wanted.find(it->first);
      if (w == wanted.end() || to_stored_json(w->second) != it->second.settings) {
        it->second.runner->stop();
        it = runners_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [uuid, m] : wanted) {
      if (runners_.count(uuid)) continue;
      auto fn = functions_.find(m.function_name);
      if (fn == functions_.end()) continue;  // its function left the config file
      auto settings = runner_settings_for(m);
      if (!settings.ok()) {
        log_->warn("trigger {}: {}", uuid, settings.err().message());
        continue;
      }
      auto* cluster = cluster_for(m);
      if (!cluster) continue;
      auto started = mapping_runner::start(std::move(*settings), *cluster, fn->second, metrics_);
      if (!started.ok()) {
        log_->warn("trigger {}: cannot start: {}", uuid, started.err().message());
        continue;
      }
      runners_[uuid] = running{std::move(*started), to_stored_json(m)};
      log_->info("trigger {}: {} <- {}", uuid, m.function_name, m.topics.front());
    }
  }

  // OffsetLag per mapping: the log end offsets minus the group's committed offsets, summed
  // over the topic's partitions (Lambda measures it at the topic level).
  void measure_lag() {
    if (!metrics_) return;
    std::vector<event_source_mapping> running_now;
    {
      std::shared_lock lock(table_mutex_);
      std::lock_guard runners_lock(runners_mutex_);
      for (const auto& [uuid, r] : runners_) {
        if (auto it = table_.find(uuid); it != table_.end()) running_now.push_back(it->second);
      }
    }
    auto& family = metrics_->gauge_family(
        "wharf_trigger_offset_lag",
        "Records of the mapping's topic its group has not committed yet (OffsetLag)",
        {"EventSourceMappingUUID", "FunctionName"});
    for (const auto& m : running_now) {
      auto* cluster = cluster_for(m);
      if (!cluster) continue;
      auto& admin = cluster->admin_client();
      auto md = admin.metadata();
      if (!md.ok()) continue;
      const auto* topic = md->topic(m.topics.front());
      if (!topic) continue;
      std::vector<kc::topic_partition> partitions;
      for (const auto& p : topic->partitions) partitions.push_back({topic->name, p.id});
      auto committed = admin.group_offsets(m.consumer_group_id, partitions);
      if (!committed.ok()) continue;
      std::int64_t lag = 0;
      for (const auto& c : *committed) {
        auto marks = admin.query_watermarks(c.topic, c.partition);
        if (!marks.ok()) continue;
        // No commit yet: everything the mapping will read counts (from the log's start).
        lag += marks->high - (c.offset >= 0 ? c.offset : marks->low);
      }
      family.with({m.uuid, m.function_name}).set(static_cast<double>(lag));
    }
  }

  kc::cluster* cluster_for(const event_source_mapping& m) {
    const declared_cluster* declared =
        m.self_managed() ? nullptr : declared_cluster_of(m.event_source_arn);
    if (!m.self_managed() && !declared) return &kafka_;
    auto key = declared ? "cluster/" + declared->name
                        : fmt::format("{}", fmt::join(m.bootstrap_servers, ","));
    if (auto it = clusters_.find(key); it != clusters_.end()) return it->second.get();
    kc::cluster_options o;
    o.bootstrap_servers = declared ? declared->bootstrap_servers : m.bootstrap_servers;
    if (declared) o.properties = declared->properties;
    o.client_id = "wharf-triggers";
    o.worker_threads = 1;
    auto connected = kc::cluster::connect(o);
    if (!connected.ok()) {
      log_->warn("trigger {}: cannot reach {}: {}", m.uuid, key, connected.err().message());
      return nullptr;
    }
    return (clusters_[key] = std::move(*connected)).get();
  }

  result<runner_settings> runner_settings_for(const event_source_mapping& m) {
    runner_settings s;
    s.uuid = m.uuid;
    s.function_arn = aws_.function_arn(m.function_name);
    s.group_id = m.consumer_group_id.empty() ? m.uuid : m.consumer_group_id;
    s.topics = m.topics;
    s.starting_position = m.starting_position;
    if (m.starting_position_timestamp) {
      s.starting_timestamp_ms = static_cast<std::int64_t>(*m.starting_position_timestamp * 1000);
    }
    s.batch_size = static_cast<std::size_t>(m.batch_size);
    s.batching_window = m.batching_window_s ? std::chrono::milliseconds(*m.batching_window_s * 1000)
                                            : std::chrono::milliseconds(500);
    s.retry.maximum_retry_attempts = m.maximum_retry_attempts;
    s.retry.maximum_record_age = std::chrono::seconds(m.maximum_record_age_s);
    s.retry.bisect_on_error = m.bisect_on_error;
    s.retry.backoff_base = options_.retry_backoff;
    s.retry.backoff_max = options_.retry_backoff_max;
    s.report_batch_item_failures = m.report_batch_item_failures;
    s.failure_topic = m.failure_topic();
    if (m.self_managed()) {
      s.source.bootstrap_servers = fmt::format("{}", fmt::join(m.bootstrap_servers, ","));
    } else {
      s.source.arn = m.event_source_arn;
      const auto* declared = declared_cluster_of(m.event_source_arn);
      s.source.bootstrap_servers =
          declared ? fmt::format("{}", fmt::join(declared->bootstrap_servers, ","))
                   : fmt::format("{}", fmt::join(kafka_.options().bootstrap_servers, ","));
    }
    if (!m.filter_patterns.empty()) {
      auto filter = make_record_filter(m.filter_patterns);
      if (!filter.ok()) return make_error(errc::invalid_argument, "{}", filter.err().text);
      s.filter = std::move(*filter);
    }
    return s;
  }

  service_options options_;
  kc::cluster& kafka_;
  metrics::registry* metrics_;
  std::map<std::string, std::shared_ptr<function>> functions_;
  std::map<std::string, declared_cluster> declared_;
  std::shared_ptr<spdlog::logger> log_;
  aws_identity aws_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string cluster_arn_;
  std::unique_ptr<kc::compacted_log> log_open_;
  std::thread reconciler_;

  mutable std::shared_mutex table_mutex_;
  std::map<std::string, event_source_mapping> table_;

  std::mutex runners_mutex_;
  std::map<std::string, running> runners_;
  std::map<std::string, std::unique_ptr<kc::cluster>> clusters_;  // self-managed sources
};

}  // namespace

std::vector<std::string> check_config(const std::string& functions_json,
                                      const std::string& mappings_json,
                                      const std::string& clusters_json) {
  std::vector<std::string> problems;
  if (auto clusters = parse_clusters(clusters_json); !clusters.ok()) {
    problems.push_back(clusters.err().message());
  }
  auto specs = parse_functions(functions_json);
  std::set<std::string> names;
  if (!specs.ok()) {
    problems.push_back(specs.err().message());
  } else {
    for (const auto& s : *specs) names.insert(s.name);
  }
  if (mappings_json.empty()) return problems;
  boost::system::error_code ec;
  auto v = bj::parse(mappings_json, ec);
  if (ec || !(v.is_object() || v.is_null())) {
    problems.push_back("triggers.mappings must be a mapping of names to event source mappings");
    return problems;
  }
  if (v.is_null()) return problems;
  request_context ctx;
  ctx.function_exists = [&](const std::string& name) { return !specs.ok() || names.count(name); };
  ctx.cluster_known = [](const std::string&) { return true; };
  for (const auto& [name, body] : v.get_object()) {
    bj::value request = body;
    if (request.is_object() && !request.get_object().contains("EventSourceArn") &&
        !request.get_object().contains("SelfManagedEventSource")) {
      request.get_object()["EventSourceArn"] = "arn:aws:kafka:us-east-1:000000000000:cluster/x/y";
    }
    auto parsed = parse_create(request, ctx);
    if (!parsed.ok()) {
      problems.push_back(fmt::format("triggers.mappings.{}: {}: {}", std::string(name),
                                     parsed.err().type, parsed.err().text));
    }
  }
  return problems;
}

result<std::unique_ptr<service>> service::start(net::io_runtime& runtime, service_options options,
                                                kc::cluster& kafka, metrics::registry* metrics) {
  WHARF_ASSIGN_OR_RETURN(auto specs, parse_functions(options.functions_json));
  std::map<std::string, std::shared_ptr<function>> functions;
  for (auto& spec : specs) {
    auto name = spec.name;
    auto made = make_function(std::move(spec), runtime);
    if (!made.ok()) return made.err().with_context("functions." + name);
    functions[name] = std::shared_ptr<function>(std::move(*made));
  }
  if (!options.mappings_json.empty()) {
    boost::system::error_code ec;
    auto v = bj::parse(options.mappings_json, ec);
    if (ec || !(v.is_object() || v.is_null())) {
      return make_error(errc::invalid_argument,
                        "triggers must be a mapping of names to event source mappings");
    }
  }
  WHARF_ASSIGN_OR_RETURN(auto declared, parse_clusters(options.clusters_json));
  auto impl = std::make_shared<service_impl>(std::move(options), kafka, metrics,
                                             std::move(functions), std::move(declared));
  impl->begin();
  // The service is shared with the routes it adds; the owner holds it through this.
  struct holder final : service {
    std::shared_ptr<service_impl> impl;
    explicit holder(std::shared_ptr<service_impl> i) : impl(std::move(i)) {}
    ~holder() override { impl->shutdown(); }
    void add_routes(http::router& routes) override { impl->add_routes(routes); }
    std::string cluster_arn() const override { return impl->cluster_arn(); }
    bool ready() const override { return impl->ready(); }
    void shutdown() override { impl->shutdown(); }
    bool has_function(const std::string& name) const override { return impl->has_function(name); }
    std::optional<std::string> invoke_function(const std::string& name,
                                               const std::string& event) override {
      return impl->invoke_function(name, event);
    }
    result<std::string> call_function(const std::string& name, const std::string& event) override {
      return impl->call_function(name, event);
    }
  };
  return std::unique_ptr<service>(std::make_unique<holder>(std::move(impl)));
}

}  // namespace wharf::triggers
