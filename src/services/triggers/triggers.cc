#include "services/triggers/triggers.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
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
#include "services/triggers/function_api.h"
#include "services/triggers/functions.h"
#include "services/triggers/mapping_runner.h"

namespace wharf::triggers {

namespace bj = boost::json;
namespace kc = kafka::client;

namespace {

constexpr std::string_view mappings_path = "/2015-03-31/event-source-mappings";
constexpr std::string_view functions_path = "/2015-03-31/functions";

// --- functions from the config file ------------------------------------------------

result<std::vector<function_spec>> parse_functions(const std::string& json) {
  std::vector<function_spec> out;
  if (json.empty()) return out;
  boost::system::error_code ec;
  auto v = bj::parse(json, ec);
  if (ec) return make_error(errc::invalid_argument, "functions: not valid JSON: {}", ec.message());
  if (v.is_null()) return out;
  if (!v.is_object()) return make_error(errc::invalid_argument, "functions must be a mapping");
  for (const auto& [name, spec] : v.get_object()) {
    if (!valid_function_name(std::string(name))) {
      return make_error(errc::invalid_argument,
                        "functions.{}: a function name is 1 to 64 letters, digits, - and _",
                        std::string(name));
    }
    WHARF_ASSIGN_OR_RETURN(auto parsed, parse_function_spec(std::string(name), spec,
                                                            "functions." + std::string(name)));
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
  std::string settings;          // the stored form it was started from
  std::shared_ptr<function> fn;  // the instance it invokes (restarted when replaced)
};

// A function that can be invoked: the config file's (stored empty) or one of the API's.
struct live_function {
  std::shared_ptr<function> fn;
  std::optional<stored_function> stored;
  std::string built_from;  // the stored form it was made from
};

constexpr std::string_view function_prefix = "function/";
constexpr std::string_view code_prefix = "function-code/";
constexpr std::size_t code_chunk_bytes = 512 * 1024;

class service_impl final : public service, public std::enable_shared_from_this<service_impl> {
 public:
  service_impl(net::io_runtime& runtime, service_options options, kc::cluster& kafka,
               metrics::registry* metrics,
               std::map<std::string, std::shared_ptr<function>> functions,
               std::map<std::string, declared_cluster> declared)
      : runtime_(runtime),
        options_(std::move(options)),
        kafka_(kafka),
        metrics_(metrics),
        declared_(std::move(declared)),
        log_(logging::get("triggers")) {
    aws_.region = options_.region;
    aws_.account_id = options_.account_id;
    for (auto& [name, fn] : functions) {
      config_functions_.insert(name);
      functions_[name] = live_function{std::move(fn), std::nullopt, {}};
    }
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
    std::map<std::string, live_function> functions;
    {
      std::unique_lock lock(functions_mutex_);
      functions.swap(functions_);
    }
    for (auto& [name, live] : functions) live.fn->shutdown();
    for (auto& [servers, c] : clusters_) c->shutdown(std::chrono::milliseconds(1000));
  }

  bool has_function(const std::string& name) const override { return lookup(name) != nullptr; }

  void set_function_users(
      std::function<std::vector<std::string>(const std::string&)> users) override {
    std::lock_guard lock(mutex_);
    function_users_ = std::move(users);
  }

  std::optional<std::string> invoke_function(const std::string& name,
                                             const std::string& event) override {
    auto fn = lookup(name);  // kept for the invocation, even if the API replaces it
    if (!fn) return fmt::format("no function {}", name);
    auto outcome = fn->invoke(event, random_uuid());
    if (outcome.ok()) return std::nullopt;
    return fmt::format("{}: {}", outcome.error_type, outcome.error_message);
  }

  result<std::string> call_function(const std::string& name, const std::string& event) {
    auto fn = lookup(name);  // kept for the invocation, even if the API replaces it
    if (!fn) return make_error(errc::not_found, "no function {}", name);
    auto outcome = fn->invoke(event, random_uuid());
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

    // AWS Lambda's function API and Wharf's own (the config file's shape).
    std::string functions(functions_path);
    for (const auto& collection : {functions, functions + "/"}) {
      r.add_async("GET", collection, guarded(&service_impl::list_functions));
      r.add_async("POST", collection, guarded(&service_impl::create_function));
    }
    r.add_async("GET", functions + "/{name}", guarded(&service_impl::get_function));
    r.add_async("DELETE", functions + "/{name}", guarded(&service_impl::delete_function));
    r.add_async("GET", functions + "/{name}/configuration",
                guarded(&service_impl::get_function_configuration));
    r.add_async("PUT", functions + "/{name}/configuration",
                guarded(&service_impl::update_function_configuration));
    r.add_async("PUT", functions + "/{name}/code", guarded(&service_impl::update_function_code));
    r.add_async("POST", functions + "/{name}/invocations",
                [self](http::request&& req, http::responder respond) {
                  self->invoke(std::move(req), std::move(respond));
                });
    for (const auto& collection :
         {std::string("/wharf/functions"), std::string("/wharf/functions/")}) {
      r.add_async("GET", collection, guarded(&service_impl::list_wharf_functions));
    }
    r.add_async("GET", "/wharf/functions/{name}", guarded(&service_impl::get_wharf_function));
    r.add_async("PUT", "/wharf/functions/{name}", guarded(&service_impl::put_wharf_function));
    r.add_async("DELETE", "/wharf/functions/{name}", guarded(&service_impl::delete_function));
  }

 private:
  using api_result = result<http::response, api_error>;

  // A Lambda list call's Marker (the index of the next item, as this API hands it out) and
  // MaxItems (default_items when absent, clamped to 1..most_items).
  static result<std::pair<std::size_t, std::size_t>, api_error> page_of(const http::request& req,
                                                                        std::size_t default_items,
                                                                        std::size_t most_items) {
    std::size_t start = 0;
    if (auto marker = req.query_param("Marker"); marker && !marker->empty()) {
      try {
        start = std::stoul(std::string(*marker));
      } catch (const std::exception&) {
        return invalid_parameter("Marker is not one this API handed out");
      }
    }
    std::size_t max_items = default_items;
    if (auto m = req.query_param("MaxItems"); m && !m->empty()) {
      try {
        max_items = std::clamp<std::size_t>(std::stoul(std::string(*m)), 1, most_items);
      } catch (const std::exception&) {
        return validation_error(std::string(*m), "maxItems",
                                "Member must have value greater than or equal to 1");
      }
    }
    return std::pair{start, max_items};
  }

  // --- the API ---------------------------------------------------------------------

  request_context context() {
    request_context ctx;
    // A stored API function counts before this Wharf has made it (the config file's
    // mappings are checked as soon as the topic is read).
    ctx.function_exists = [this](const std::string& name) {
      return lookup(name) != nullptr || stored_record(name).has_value();
    };
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
    WHARF_ASSIGN_OR_RETURN(auto page, page_of(req, 100, 100));
    auto [start, max_items] = page;
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

  // --- functions declared through the API ----------------------------------------------

  std::shared_ptr<function> lookup(const std::string& name) const {
    std::shared_lock lock(functions_mutex_);
    auto it = functions_.find(name);
    return it == functions_.end() ? nullptr : it->second.fn;
  }

  std::filesystem::path code_dir(const stored_function& f) const {
    return std::filesystem::path(options_.data_dir) / "functions" / f.name /
           f.code_hex().substr(0, 16);
  }

  // "function/<name>" records and "function-code/<hex>/<i>" chunks of zip packages.
  void apply_function(const kc::log_entry& entry) {
    std::unique_lock lock(table_mutex_);
    if (entry.key.starts_with(code_prefix)) {
      auto rest = entry.key.substr(code_prefix.size());
      auto slash = rest.find('/');
      if (slash == std::string::npos) return;
      auto hex = rest.substr(0, slash);
      int index = std::atoi(rest.c_str() + slash + 1);
      if (entry.value) {
        code_chunks_[hex][index] = *entry.value;
      } else if (auto it = code_chunks_.find(hex); it != code_chunks_.end()) {
        it->second.erase(index);
        if (it->second.empty()) code_chunks_.erase(it);
      }
      return;
    }
    auto name = entry.key.substr(function_prefix.size());
    if (!entry.value) {
      api_functions_.erase(name);
    } else if (auto f = function_from_stored_json(*entry.value); f.ok()) {
      api_functions_[name] = std::move(*f);
    } else {
      log_->warn("skipped an unreadable function {} in {}: {}", name, options_.topic,
                 f.err().message());
    }
    wake_.notify_all();
  }

  // The zip of a package, from the chunks read from the topic.
  result<std::string> stored_code(const stored_function& f) {
    std::shared_lock lock(table_mutex_);
    auto it = code_chunks_.find(f.code_hex());
    if (it == code_chunks_.end() || static_cast<int>(it->second.size()) < f.code_chunks) {
      return make_error(errc::not_found, "its code is not in {} (yet)", options_.topic);
    }
    std::string zip;
    for (int i = 0; i < f.code_chunks; ++i) {
      auto part = it->second.find(i);
      if (part == it->second.end())
        return make_error(errc::not_found, "a part of its code is missing");
      zip += part->second;
    }
    if (sha256_base64(zip) != f.code_sha256) {
      return make_error(errc::parse_error, "its stored code does not match CodeSha256");
    }
    return zip;
  }

  // Makes a function instance for f (unpacking its zip first when needed: zip, or else the
  // chunks in the topic). The instance shuts down when its last user lets it go, and
  // then removes its code directory if no record uses it any more.
  result<std::shared_ptr<function>> prepare(const stored_function& f, std::string_view zip = {}) {
    if (config_functions_.count(f.name)) {
      return make_error(errc::already_exists, "the config file declares a function {}", f.name);
    }
    if (f.runs_commands() && !options_.allow_api_commands) {
      return make_error(errc::unsupported,
                        "it runs a command and triggers.api_functions.allow_commands is off");
    }
    std::filesystem::path dir;
    if (f.is_package()) {
      dir = code_dir(f);
      std::error_code ec;
      std::lock_guard unpacking(unpack_mutex_);  // the API and the reconciler, one at a time
      if (!std::filesystem::exists(dir / ".complete", ec)) {
        std::string fetched;
        if (zip.empty()) {
          WHARF_ASSIGN_OR_RETURN(fetched, stored_code(f));
          zip = fetched;
        }
        std::filesystem::create_directories(dir.parent_path(), ec);
        auto staging = dir.parent_path() / (".unpack-" + random_uuid());
        WHARF_RETURN_IF_ERROR(unpack_zip(zip, staging));
        std::filesystem::remove_all(dir, ec);
        std::filesystem::rename(staging, dir, ec);
        if (ec) {
          std::filesystem::remove_all(staging, ec);
          return make_error(errc::io_error, "cannot move the code to {}", dir.string());
        }
        std::ofstream(dir / ".complete") << f.code_sha256 << "\n";
      }
    }
    WHARF_ASSIGN_OR_RETURN(auto spec, spec_of(f, dir));
    spec.concurrency = std::min(spec.concurrency, options_.api_max_concurrency);
    WHARF_ASSIGN_OR_RETURN(auto made, make_function(std::move(spec), runtime_));
    std::weak_ptr<service_impl> weak = weak_from_this();
    std::string name = f.name;
    return std::shared_ptr<function>(made.release(), [weak, name, dir](function* fn) {
      fn->shutdown();
      delete fn;
      if (dir.empty()) return;
      if (auto self = weak.lock()) self->remove_code_dir_if_unused(name, dir);
    });
  }

  void remove_code_dir_if_unused(const std::string& name, const std::filesystem::path& dir) {
    {
      std::shared_lock lock(table_mutex_);
      if (auto it = api_functions_.find(name);
          it != api_functions_.end() && it->second.is_package() && code_dir(it->second) == dir) {
        return;
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  // Puts fn in place of f.name's instance; the old one shuts down once the runners and
  // invocations holding it let it go (the runners restart on the new one).
  void swap_in(const stored_function& f, std::shared_ptr<function> fn) {
    std::shared_ptr<function> old;
    {
      std::unique_lock lock(functions_mutex_);
      auto& slot = functions_[f.name];
      auto built_from = to_stored_json(f);
      if (slot.fn && slot.built_from == built_from) return;  // another thread was first
      old = std::move(slot.fn);
      slot = live_function{std::move(fn), f, built_from};
    }
    log_->info("function {}: {}", f.name, old ? "replaced" : "ready");
    wake_.notify_all();
    // old goes here, outside the lock (its last user may be a runner, stopped later).
  }

  void uninstall(const std::string& name) {
    std::shared_ptr<function> old;
    {
      std::unique_lock lock(functions_mutex_);
      auto it = functions_.find(name);
      if (it == functions_.end() || !it->second.stored) return;
      old = std::move(it->second.fn);
      functions_.erase(it);
    }
    log_->info("function {}: deleted", name);
    wake_.notify_all();
  }

  // Makes the API functions match the records (other instances' writes arrive here).
  void reconcile_functions() {
    std::map<std::string, stored_function> wanted;
    {
      std::shared_lock lock(table_mutex_);
      wanted = api_functions_;
    }
    for (const auto& [name, f] : wanted) {
      {
        std::shared_lock lock(functions_mutex_);
        auto it = functions_.find(name);
        if (it != functions_.end() &&
            (!it->second.stored || it->second.built_from == to_stored_json(f))) {
          continue;
        }
      }
      auto made = prepare(f);
      if (!made.ok()) {
        auto& last = install_problems_[name];
        if (last != made.err().message()) {
          log_->warn("function {}: not started: {}", name, made.err().message());
          last = made.err().message();
        }
        continue;
      }
      install_problems_.erase(name);
      swap_in(f, std::move(*made));
    }
    std::vector<std::string> gone;
    {
      std::shared_lock lock(functions_mutex_);
      for (const auto& [name, live] : functions_) {
        if (live.stored && !wanted.count(name)) gone.push_back(name);
      }
    }
    for (const auto& name : gone) uninstall(name);
  }

  // --- the function API ----------------------------------------------------------------

  static api_error function_not_found(const std::string& arn) {
    return {"ResourceNotFoundException", 404, "Function not found: " + arn};
  }

  api_error commands_refused() const {
    return {"AccessDeniedException", 403,
            "This function would run a command or uploaded code (a zip package, `runtime` or "
            "`exec`), which the function API refuses while the setting "
            "triggers.api_functions.allow_commands is false: whoever reaches the admin "
            "listener could run programs as Wharf. Declare it in the config file's functions "
            "section, or set triggers.api_functions.allow_commands: true"};
  }

  api_error declared_in_config(const std::string& name) const {
    return {"ResourceConflictException", 409,
            fmt::format("The function {} comes from the config file's functions section and "
                        "cannot be changed or deleted through the API; edit the config file",
                        name)};
  }

  // The function a path's {name} names (a name or a function ARN).
  result<std::string, api_error> name_in_path(const http::request& req) {
    auto name = function_name_of(req.param("name"));
    if (!name.ok()) return name.err();
    if (!valid_function_name(*name)) {
      return validation_error(req.param("name"), "functionName",
                              "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+");
    }
    return *name;
  }

  struct function_view {
    std::shared_ptr<function> fn;
    std::optional<stored_function> stored;
  };

  std::optional<function_view> view_of(const std::string& name) {
    {
      std::shared_lock lock(functions_mutex_);
      if (auto it = functions_.find(name); it != functions_.end()) {
        return function_view{it->second.fn, it->second.stored};
      }
    }
    return std::nullopt;
  }

  bj::object configuration_of(const function_view& v) {
    return function_configuration(v.fn->spec(), v.stored ? &*v.stored : nullptr, aws_);
  }

  // Wharf's own shape of a function (the config file's), for /wharf/functions.
  static bj::object wharf_shape(const function_spec& spec) {
    bj::object o;
    auto list = [](const std::vector<std::string>& items) {
      bj::array a;
      for (const auto& i : items) a.emplace_back(i);
      return a;
    };
    if (!spec.url.empty()) o["url"] = spec.url;
    if (!spec.runtime.empty()) o["runtime"] = list(spec.runtime);
    if (!spec.exec.empty()) o["exec"] = list(spec.exec);
    if (!spec.handler.empty()) o["handler"] = spec.handler;
    o["timeout_s"] = (spec.timeout.count() + 999) / 1000;
    o["concurrency"] = spec.concurrency;
    o["memory_mb"] = spec.memory_mb;
    if (!spec.environment.empty()) {
      bj::object env;
      for (const auto& [k, v] : spec.environment) env[k] = v;
      o["environment"] = std::move(env);
    }
    if (!spec.working_directory.empty()) o["working_directory"] = spec.working_directory;
    return o;
  }

  bj::object wharf_entry(const function_view& v) {
    bj::object o{{"name", v.fn->spec().name},
                 {"origin", v.stored ? "api" : "config"},
                 {"spec", wharf_shape(v.fn->spec())},
                 {"FunctionArn", aws_.function_arn(v.fn->spec().name)}};
    if (v.stored && v.stored->is_package()) {
      o["package"] = bj::object{{"Runtime", v.stored->package_runtime},
                                {"Handler", v.stored->handler},
                                {"CodeSha256", v.stored->code_sha256},
                                {"CodeSize", v.stored->code_size}};
    }
    return o;
  }

  std::vector<function_view> all_functions() {
    std::vector<function_view> out;
    std::shared_lock lock(functions_mutex_);
    for (const auto& [name, live] : functions_) out.push_back({live.fn, live.stored});
    return out;
  }

  // Writes f (and its code's chunks, then tombstones for the chunks it no longer uses).
  status store_function(const stored_function& f, std::string_view zip,
                        const std::optional<stored_function>& previous) {
    std::vector<kc::log_entry> entries;
    for (int i = 0; i < f.code_chunks; ++i) {
      auto part = zip.substr(static_cast<std::size_t>(i) * code_chunk_bytes, code_chunk_bytes);
      entries.push_back({fmt::format("{}{}/{}", code_prefix, f.code_hex(), i), std::string(part)});
    }
    entries.push_back({std::string(function_prefix) + f.name, to_stored_json(f)});
    if (previous && previous->is_package() && previous->code_hex() != f.code_hex()) {
      for (int i = 0; i < previous->code_chunks; ++i) {
        entries.push_back(
            {fmt::format("{}{}/{}", code_prefix, previous->code_hex(), i), std::nullopt});
      }
    }
    return log_open_->write(entries);
  }

  std::optional<stored_function> stored_record(const std::string& name) {
    std::shared_lock lock(table_mutex_);
    if (auto it = api_functions_.find(name); it != api_functions_.end()) return it->second;
    return std::nullopt;
  }

  // Stores f and puts it in place; zip is its new code (empty: unchanged or none).
  api_result put_function(stored_function f, std::string_view zip, int status_code) {
    auto previous = stored_record(f.name);
    if (!zip.empty()) {
      f.code_chunks = static_cast<int>((zip.size() + code_chunk_bytes - 1) / code_chunk_bytes);
    }
    auto made = prepare(f, zip);
    if (!made.ok()) {
      if (made.err().code() == errc::unsupported) return commands_refused();
      return invalid_parameter(made.err().message());
    }
    if (auto stored = store_function(f, zip, previous); !stored.ok()) {
      return api_error{"ServiceException", 500,
                       "Storing the function failed: " + stored.err().message()};
    }
    swap_in(f, std::move(*made));
    auto v = view_of(f.name);
    if (!v) return function_not_found(aws_.function_arn(f.name));
    return json_answer(status_code, configuration_of(*v));
  }

  api_result create_function(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, body_of(req));
    WHARF_ASSIGN_OR_RETURN(auto parsed, parse_create_function(body));
    if (!options_.allow_api_commands) return commands_refused();
    auto lock = log_open_->write_lock();
    if (lookup(parsed.function.name) || stored_record(parsed.function.name)) {
      return api_error{"ResourceConflictException", 409,
                       "Function already exist: " + parsed.function.name};
    }
    return put_function(std::move(parsed.function), parsed.zip, 201);
  }

  api_result list_functions(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto page, page_of(req, 50, 10'000));
    auto [start, max_items] = page;
    auto all = all_functions();  // by name
    bj::array items;
    for (std::size_t i = start; i < all.size() && items.size() < max_items; ++i) {
      items.push_back(configuration_of(all[i]));
    }
    bj::object out{{"Functions", std::move(items)}};
    if (start + max_items < all.size()) out["NextMarker"] = std::to_string(start + max_items);
    return json_answer(200, out);
  }

  api_result get_function(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto name, name_in_path(req));
    auto v = view_of(name);
    if (!v) return function_not_found(aws_.function_arn(name));
    bj::object code{{"RepositoryType", "S3"}, {"Location", ""}};
    return json_answer(
        200, bj::object{{"Configuration", configuration_of(*v)}, {"Code", std::move(code)}});
  }

  api_result get_function_configuration(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto name, name_in_path(req));
    auto v = view_of(name);
    if (!v) return function_not_found(aws_.function_arn(name));
    return json_answer(200, configuration_of(*v));
  }

  api_result update_function_configuration(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto name, name_in_path(req));
    WHARF_ASSIGN_OR_RETURN(auto body, body_of(req));
    auto lock = log_open_->write_lock();
    if (config_functions_.count(name)) return declared_in_config(name);
    auto current = stored_record(name);
    if (!current) return function_not_found(aws_.function_arn(name));
    WHARF_ASSIGN_OR_RETURN(auto updated, apply_configuration_update(*current, body));
    if (!updated.is_package()) {
      auto spec = parse_function_spec(name, updated.wharf, "function " + name);
      if (!spec.ok()) return invalid_parameter(spec.err().message());
    }
    return put_function(std::move(updated), {}, 200);
  }

  api_result update_function_code(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto name, name_in_path(req));
    WHARF_ASSIGN_OR_RETURN(auto body, body_of(req));
    WHARF_ASSIGN_OR_RETURN(auto zip, zip_of_update_code(body));
    auto lock = log_open_->write_lock();
    if (config_functions_.count(name)) return declared_in_config(name);
    auto current = stored_record(name);
    if (!current) return function_not_found(aws_.function_arn(name));
    if (!current->is_package()) {
      return invalid_parameter(fmt::format(
          "The function {} is not a zip package; change it with PUT /wharf/functions/{}", name,
          name));
    }
    auto updated = *current;
    updated.code_sha256 = sha256_base64(zip);
    updated.code_size = static_cast<std::int64_t>(zip.size());
    updated.last_modified = epoch_seconds();
    return put_function(std::move(updated), zip, 200);
  }

  // PUT /wharf/functions/{name}: the config file's shape.
  api_result put_wharf_function(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto name, name_in_path(req));
    WHARF_ASSIGN_OR_RETURN(auto body, body_of(req));
    auto spec = parse_function_spec(name, body, "function " + name);
    if (!spec.ok()) return invalid_parameter(spec.err().message());
    if (spec->concurrency > options_.api_max_concurrency) {
      return invalid_parameter(
          fmt::format("concurrency {} is over {}, the most the API allows "
                      "(triggers.api_functions.max_concurrency)",
                      spec->concurrency, options_.api_max_concurrency));
    }
    stored_function f;
    f.name = name;
    f.wharf = body.as_object();
    f.last_modified = epoch_seconds();
    if (f.runs_commands() && !options_.allow_api_commands) return commands_refused();
    auto lock = log_open_->write_lock();
    if (config_functions_.count(name)) return declared_in_config(name);
    bool existed = stored_record(name).has_value();
    return put_function(std::move(f), {}, existed ? 200 : 201);
  }

  api_result list_wharf_functions(const http::request&) {
    bj::array items;
    for (const auto& v : all_functions()) items.push_back(wharf_entry(v));
    return json_answer(200, bj::object{{"Functions", std::move(items)}});
  }

  api_result get_wharf_function(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto name, name_in_path(req));
    auto v = view_of(name);
    if (!v) return function_not_found(aws_.function_arn(name));
    return json_answer(200, wharf_entry(*v));
  }

  api_result delete_function(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto name, name_in_path(req));
    auto lock = log_open_->write_lock();
    if (config_functions_.count(name)) return declared_in_config(name);
    auto current = stored_record(name);
    if (!current) return function_not_found(aws_.function_arn(name));
    std::vector<std::string> users;
    {
      std::shared_lock table(table_mutex_);
      for (const auto& [uuid, m] : table_) {
        if (m.function_name == name) users.push_back("event source mapping " + uuid);
      }
    }
    std::function<std::vector<std::string>(const std::string&)> rules;
    {
      std::lock_guard guard(mutex_);
      rules = function_users_;
    }
    if (rules) {
      for (const auto& r : rules(name)) users.push_back("router rule " + r);
    }
    if (!users.empty()) {
      return api_error{"ResourceConflictException", 409,
                       fmt::format("The function {} is in use by {}; delete or change them first",
                                   name, fmt::join(users, ", "))};
    }
    std::vector<kc::log_entry> entries{{std::string(function_prefix) + name, std::nullopt}};
    if (current->is_package()) {
      for (int i = 0; i < current->code_chunks; ++i) {
        entries.push_back(
            {fmt::format("{}{}/{}", code_prefix, current->code_hex(), i), std::nullopt});
      }
    }
    if (auto written = log_open_->write(entries); !written.ok()) {
      return api_error{"ServiceException", 500,
                       "Deleting the function failed: " + written.err().message()};
    }
    uninstall(name);
    http::response res;
    res.status = 204;
    res.set_header("x-amzn-RequestId", random_uuid());
    return res;
  }

  // Invoke: runs on a thread of its own (an invocation may take up to 15 minutes).
  void invoke(http::request&& req, http::responder respond) {
    auto name = name_in_path(req);
    if (!name.ok()) return respond(error_answer(name.err()));
    auto fn = lookup(*name);
    if (!fn) return respond(error_answer(function_not_found(aws_.function_arn(*name))));
    std::string type(req.header("X-Amz-Invocation-Type").value_or("RequestResponse"));
    if (type != "RequestResponse" && type != "Event" && type != "DryRun") {
      return respond(error_answer(validation_error(
          type, "invocationType",
          "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")));
    }
    std::string event = req.body.empty() ? std::string("{}") : std::move(req.body);
    boost::system::error_code ec;
    bj::parse(event, ec);
    if (ec) {
      return respond(error_answer({"InvalidRequestContentException", 400,
                                   "Could not parse request body into json: " + ec.message()}));
    }
    auto answer = [](int status) {
      http::response res;
      res.status = status;
      res.set_header("x-amzn-RequestId", random_uuid());
      res.set_header("X-Amz-Executed-Version", "$LATEST");
      return res;
    };
    if (type == "DryRun") return respond(answer(204));
    // Each Invoke waits on a thread of its own: bound them, as Lambda throttles.
    if (invocations_in_flight_->fetch_add(1) >= max_api_invocations) {
      invocations_in_flight_->fetch_sub(1);
      return respond(error_answer({"TooManyRequestsException", 429, "Rate Exceeded."}));
    }
    auto log = log_;
    auto in_flight = invocations_in_flight_;
    auto run = [fn, event = std::move(event), log, name = *name, in_flight]() {
      struct leave {
        std::shared_ptr<std::atomic<int>> count;
        ~leave() { count->fetch_sub(1); }
      } counted{in_flight};
      auto request_id = random_uuid();
      auto out = fn->invoke(event, request_id);
      if (!out.ok()) {
        log->info("function {}: invocation {} failed: {}: {}", name, request_id, out.error_type,
                  out.error_message);
      }
      return out;
    };
    if (type == "Event") {
      std::thread([run] { run(); }).detach();
      return respond(answer(202));
    }
    std::thread([run, respond, answer] {
      auto out = run();
      auto res = answer(200);
      res.set_header("Content-Type", "application/json");
      if (out.ok()) {
        res.body = out.payload.empty() ? "null" : out.payload;
      } else {
        res.set_header("X-Amz-Function-Error", "Unhandled");
        boost::system::error_code ec;
        auto doc = bj::parse(out.payload, ec);
        if (!ec && doc.is_object() && doc.get_object().contains("errorMessage")) {
          res.body = out.payload;
        } else {
          res.body = bj::serialize(
              bj::object{{"errorMessage", out.error_message}, {"errorType", out.error_type}});
        }
      }
      respond(std::move(res));
    }).detach();
  }

  // --- storage and the runners -----------------------------------------------------

  void apply(const kc::log_entry& entry) {
    constexpr std::string_view prefix = "mapping/";
    if (entry.key.starts_with(function_prefix) || entry.key.starts_with(code_prefix)) {
      return apply_function(entry);
    }
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
    reconcile_functions();
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
      if (w == wanted.end() || to_stored_json(w->second) != it->second.settings ||
          lookup(w->second.function_name) != it->second.fn) {
        it->second.runner->stop();
        it = runners_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [uuid, m] : wanted) {
      if (runners_.count(uuid)) continue;
      auto fn = lookup(m.function_name);
      if (!fn) continue;  // its function left the config file or was not made yet
      auto settings = runner_settings_for(m);
      if (!settings.ok()) {
        log_->warn("trigger {}: {}", uuid, settings.err().message());
        continue;
      }
      auto* cluster = cluster_for(m);
      if (!cluster) continue;
      auto started = mapping_runner::start(std::move(*settings), *cluster, fn, metrics_);
      if (!started.ok()) {
        log_->warn("trigger {}: cannot start: {}", uuid, started.err().message());
        continue;
      }
      runners_[uuid] = running{std::move(*started), to_stored_json(m), fn};
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

  net::io_runtime& runtime_;
  service_options options_;
  kc::cluster& kafka_;
  metrics::registry* metrics_;
  // Functions by name, looked up by runners, the router and the API from any thread.
  mutable std::shared_mutex functions_mutex_;
  std::map<std::string, live_function> functions_;
  std::set<std::string> config_functions_;  // immutable after start
  std::mutex unpack_mutex_;
  static constexpr int max_api_invocations = 256;  // Invoke calls waiting at once
  std::shared_ptr<std::atomic<int>> invocations_in_flight_ = std::make_shared<std::atomic<int>>(0);
  std::map<std::string, std::string> install_problems_;  // reconciler thread only
  std::function<std::vector<std::string>(const std::string&)> function_users_;  // mutex_
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
  std::map<std::string, stored_function> api_functions_;           // "function/<name>"
  std::map<std::string, std::map<int, std::string>> code_chunks_;  // hex sha256 -> parts

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
  auto impl = std::make_shared<service_impl>(runtime, std::move(options), kafka, metrics,
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
    void set_function_users(
        std::function<std::vector<std::string>(const std::string&)> users) override {
      impl->set_function_users(std::move(users));
    }
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
