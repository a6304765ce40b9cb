// The Schema Registry's HTTP API: Confluent's routes, bodies and error codes over a
// schema_log. Reads are answered from memory on the I/O thread; writes run on the Kafka
// client's workers, one at a time, since they wait for Kafka.
#include "services/registry/registry.h"

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/logging.h"
#include "http/client.h"
#include "http/security/gatekeeper.h"
#include "kafka/client/cluster.h"
#include "services/registry/schema_log.h"
#include "services/registry/schema_types.h"
#include "services/registry/writer_election.h"

namespace wharf::registry {

namespace bj = boost::json;

const std::vector<std::string>& access_rule_operations() {
  static const std::vector<std::string> operations{"read", "write", "delete", "admin"};
  return operations;
}

namespace {

constexpr std::string_view content_type = "application/vnd.schemaregistry.v1+json";

const std::vector<std::string> compatibility_levels = {
    "NONE", "BACKWARD",       "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
    "FULL", "FULL_TRANSITIVE"};
const std::vector<std::string> modes = {"READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"};

// Confluent's error: {"error_code": N, "message": "..."}, HTTP status = N's first digits.
struct api_error {
  int code;
  std::string text;
  const std::string& message() const { return text; }
};

int status_of(int code) {
  while (code >= 1000) code /= 10;
  return code;
}

http::response json_answer(int status, const bj::value& body) {
  return http::response::json(status, bj::serialize(body), std::string(content_type));
}

http::response error_answer(const api_error& e) {
  return http::response::json(
      status_of(e.code), bj::serialize(bj::object{{"error_code", e.code}, {"message", e.text}}),
      std::string(content_type));
}

api_error subject_not_found(const std::string& subject) {
  return {40401, fmt::format("Subject '{}' not found.", subject)};
}
api_error version_not_found(int version) {
  return {40402, fmt::format("Version {} not found.", version)};
}
api_error schema_not_found() { return {40403, "Schema not found"}; }
api_error store_error(const error& e) {
  return {50001, "Error in the backend datastore: " + e.message()};
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool flag(const http::request& req, std::string_view name) {
  auto v = req.query_param(name);
  return v && upper(*v) == "TRUE";
}

// "latest" (or -1), or 1..2^31-1.
result<int, api_error> parse_version(std::string_view text) {
  if (text == "latest" || text == "-1") return -1;
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1) {
    return api_error{42202, fmt::format("The specified version '{}' is not a valid version id. "
                                        "Allowed values are between [1, 2^31-1] and the string "
                                        "\"latest\"",
                                        text)};
  }
  return v;
}

result<bj::object, api_error> json_body(const http::request& req) {
  if (auto type = req.header("Content-Type")) {
    auto t = upper(type->substr(0, type->find(';')));
    while (!t.empty() && t.back() == ' ') t.pop_back();
    if (t != "APPLICATION/VND.SCHEMAREGISTRY.V1+JSON" &&
        t != "APPLICATION/VND.SCHEMAREGISTRY+JSON" && t != "APPLICATION/JSON" &&
        t != "APPLICATION/OCTET-STREAM") {
      return api_error{415, "HTTP 415 Unsupported Media Type"};
    }
  }
  boost::system::error_code ec;
  bj::parse_options options;
  options.max_depth = 64;
  auto v = bj::parse(req.body, ec, {}, options);
  if (ec)
    return api_error{400, fmt::format("Malformed JSON in the request body: {}", ec.message())};
  if (!v.is_object()) return api_error{400, "The request body must be a JSON object"};
  return std::move(v.get_object());
}

// What a registration or lookup names: the schema text, its type and references.
struct schema_request {
  schema_type type = schema_type::avro;
  std::string text;
  std::vector<schema_reference> references;
  std::optional<int> id;       // IMPORT mode only
  std::optional<int> version;  // IMPORT mode only
};

result<schema_request, api_error> parse_schema_request(const bj::object& body) {
  schema_request out;
  const auto* schema = body.if_contains("schema");
  if (!schema || !schema->is_string() || schema->get_string().empty()) {
    return api_error{42201, "Invalid schema: the request needs a non-empty \"schema\" string"};
  }
  out.text = std::string(schema->get_string());
  if (const auto* t = body.if_contains("schemaType"); t && !t->is_null()) {
    auto parsed = t->is_string() ? parse_schema_type(upper(t->get_string())) : std::nullopt;
    if (!parsed) return api_error{42201, "Invalid schema: unknown schemaType " + bj::serialize(*t)};
    out.type = *parsed;
  }
  if (const auto* refs = body.if_contains("references"); refs && !refs->is_null()) {
    if (!refs->is_array()) return api_error{42201, "Invalid schema: references must be an array"};
    for (const auto& r : refs->get_array()) {
      const auto* o = r.if_object();
      const auto* name = o ? o->if_contains("name") : nullptr;
      const auto* subject = o ? o->if_contains("subject") : nullptr;
      const auto* version = o ? o->if_contains("version") : nullptr;
      if (!name || !name->is_string() || !subject || !subject->is_string() || !version ||
          !version->is_int64()) {
        return api_error{42201, "Invalid schema: each reference needs name, subject and version"};
      }
      out.references.push_back({std::string(name->get_string()), std::string(subject->get_string()),
                                static_cast<int>(version->get_int64())});
    }
  }
  auto small_int = [&body](const char* key) -> std::optional<int> {
    const auto* v = body.if_contains(key);
    if (!v || !v->is_int64() || v->get_int64() < 1 || v->get_int64() > INT32_MAX) {
      return std::nullopt;
    }
    return static_cast<int>(v->get_int64());
  };
  out.id = small_int("id");
  out.version = small_int("version");
  return out;
}

// A version in Confluent's shape: subject, version, id, schemaType unless Avro,
// references when there are any, schema.
bj::object version_json(const subject_version& v, const stored_schema& s) {
  bj::object out{{"subject", v.subject}, {"version", v.version}, {"id", v.id}};
  if (s.type != schema_type::avro) out["schemaType"] = to_string(s.type);
  if (!s.references.empty()) {
    bj::array refs;
    for (const auto& r : s.references) {
      refs.push_back(bj::object{{"name", r.name}, {"subject", r.subject}, {"version", r.version}});
    }
    out["references"] = std::move(refs);
  }
  out["schema"] = s.text;
  return out;
}

class registry_api : public std::enable_shared_from_this<registry_api> {
 public:
  registry_api(service_options options, kafka::client::cluster& kafka)
      : options_(std::move(options)), kafka_(kafka) {}

  // The storage and the election, once Kafka answered; requests before that get 50002.
  void attach(std::unique_ptr<schema_log> log, std::unique_ptr<writer_election> election,
              std::string own_url) {
    log_ = std::move(log);
    election_ = std::move(election);
    own_url_ = std::move(own_url);
    ready_.store(true, std::memory_order_release);
  }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  void set_not_ready_reason(std::string reason) {
    std::lock_guard lock(reason_mutex_);
    not_ready_reason_ = std::move(reason);
  }
  void close() {
    if (!ready()) return;
    if (election_) election_->close();
    log_->close();
  }

  void add_routes(http::router& r) {
    auto self = shared_from_this();
    using fn_type = api_result (registry_api::*)(const http::request&);
    // Reads are answered on the I/O thread from memory.
    auto read = [self](need n, fn_type fn) -> http::async_handler {
      return [self, n, fn](http::request&& req, http::responder respond) {
        if (auto refused = self->refuse(req, n)) return respond(std::move(*refused));
        if (!self->ready()) return respond(self->not_ready());
        respond(answer((self.get()->*fn)(req)));
      };
    };
    // Writes wait for Kafka: they run on a worker thread, on the writer instance.
    auto write = [self](need n, fn_type fn) -> http::async_handler {
      return [self, n, fn](http::request&& req, http::responder respond) {
        if (auto refused = self->refuse(req, n)) return respond(std::move(*refused));
        if (!self->ready()) return respond(self->not_ready());
        self->kafka_.workers().post([self, fn, req = std::move(req), respond]() {
          if (auto forwarded = self->forward_unless_writer(req))
            return respond(std::move(*forwarded));
          respond(answer((self.get()->*fn)(req)));
        });
      };
    };
    r.set_error_formatter([](int status, std::string_view message) {
      return error_answer({status, std::string(message)});
    });
    // Preflights carry no credentials: CORS answers them before any route's security.
    if (security_) security_->install_cors(r);
    const need signed_in{};
    const need read_subject{need::scope::path_subject, "read"};
    const need write_subject{need::scope::path_subject, "write"};
    const need delete_subject{need::scope::path_subject, "delete"};
    const need admin_subject{need::scope::path_subject, "admin"};
    const need admin_all{need::scope::every_subject, "admin"};
    r.add_async("GET", "/", [self](http::request&& req, http::responder respond) {
      if (auto refused = self->refuse(req, need{})) return respond(std::move(*refused));
      respond(json_answer(200, bj::object{}));
    });
    // Lists show only the subjects (and their schemas) the principal may read; an id is
    // readable through any subject that uses it.
    r.add_async("GET", "/schemas", read(signed_in, &registry_api::list_schemas));
    r.add_async("GET", "/schemas/types", read(signed_in, &registry_api::schema_types));
    r.add_async("GET", "/schemas/ids/{id}", read(signed_in, &registry_api::schema_by_id));
    r.add_async("GET", "/schemas/ids/{id}/schema",
                read(signed_in, &registry_api::raw_schema_by_id));
    r.add_async("GET", "/schemas/ids/{id}/subjects",
                read(signed_in, &registry_api::subjects_of_id));
    r.add_async("GET", "/schemas/ids/{id}/versions",
                read(signed_in, &registry_api::versions_of_id));
    r.add_async("GET", "/subjects", read(signed_in, &registry_api::list_subjects));
    r.add_async("POST", "/subjects/{subject}", read(read_subject, &registry_api::lookup));
    r.add_async("DELETE", "/subjects/{subject}",
                write(delete_subject, &registry_api::delete_subject));
    r.add_async("GET", "/subjects/{subject}/versions",
                read(read_subject, &registry_api::list_versions));
    r.add_async("POST", "/subjects/{subject}/versions",
                write(write_subject, &registry_api::register_schema));
    r.add_async("GET", "/subjects/{subject}/versions/{version}",
                read(read_subject, &registry_api::get_version));
    r.add_async("DELETE", "/subjects/{subject}/versions/{version}",
                write(delete_subject, &registry_api::delete_version));
    r.add_async("GET", "/subjects/{subject}/versions/{version}/schema",
                read(read_subject, &registry_api::get_version_schema));
    r.add_async("GET", "/subjects/{subject}/versions/{version}/referencedby",
                read(read_subject, &registry_api::referenced_by));
    r.add_async("POST", "/compatibility/subjects/{subject}/versions",
                read(read_subject, &registry_api::check_all_versions));
    r.add_async("POST", "/compatibility/subjects/{subject}/versions/{version}",
                read(read_subject, &registry_api::check_one_version));
    r.add_async("GET", "/config", read(signed_in, &registry_api::get_config));
    r.add_async("PUT", "/config", write(admin_all, &registry_api::put_config));
    r.add_async("DELETE", "/config", write(admin_all, &registry_api::delete_config));
    r.add_async("GET", "/config/{subject}", read(read_subject, &registry_api::get_config));
    r.add_async("PUT", "/config/{subject}", write(admin_subject, &registry_api::put_config));
    r.add_async("DELETE", "/config/{subject}", write(admin_subject, &registry_api::delete_config));
    r.add_async("GET", "/mode", read(signed_in, &registry_api::get_mode));
    r.add_async("PUT", "/mode", write(admin_all, &registry_api::put_mode));
    r.add_async("DELETE", "/mode", write(admin_all, &registry_api::delete_mode));
    r.add_async("GET", "/mode/{subject}", read(read_subject, &registry_api::get_mode));
    r.add_async("PUT", "/mode/{subject}", write(admin_subject, &registry_api::put_mode));
    r.add_async("DELETE", "/mode/{subject}", write(admin_subject, &registry_api::delete_mode));
  }

 private:
  using api_result = result<http::response, api_error>;

  // What a route asks of the caller when security is on: to authenticate, and maybe an
  // operation on the subject in its path or on every subject.
  struct need {
    enum class scope { authenticated, path_subject, every_subject };
    scope on = scope::authenticated;
    std::string_view operation;
  };

  // The answer refusing req (401, 403, 429), or nullopt with req.principal set.
  std::optional<http::response> refuse(http::request& req, const need& n) const {
    if (!security_) return std::nullopt;
    auto admitted = security_->admit(req);
    if (!admitted.ok()) return admitted.err().answer;
    req.principal = std::move(*admitted);
    switch (n.on) {
      case need::scope::authenticated: return std::nullopt;
      case need::scope::path_subject: {
        auto subject = req.param("subject");
        bool allowed = n.operation == "read"
                           ? may_read(req, subject)
                           : security_->allows(req.principal, n.operation, subject);
        if (allowed) return std::nullopt;
        return security_->forbidden(fmt::format("User '{}' is not allowed to {} subject '{}'",
                                                req.principal, n.operation, subject));
      }
      case need::scope::every_subject:
        if (security_->allows_everything(req.principal, n.operation)) return std::nullopt;
        return security_->forbidden(fmt::format(
            "User '{}' is not allowed to change the registry-wide {} (needs {} on every subject)",
            req.principal, req.target.starts_with("/mode") ? "mode" : "compatibility level",
            n.operation));
    }
    return std::nullopt;
  }

  // A schema id is readable through any subject that uses or used it.
  bool may_read_id(const http::request& req, const schema_store& store, int id) const {
    if (!security_) return true;
    for (const auto& use : store.uses_of(id, true)) {
      if (may_read(req, use.subject)) return true;
    }
    return false;
  }
  static api_error forbidden_id(const http::request& req) {
    return {40301, fmt::format("User '{}' is not allowed to read schema {}: no subject it may "
                               "read uses it",
                               req.principal, req.param("id"))};
  }

  // Any operation on a subject lets its principal read it.
  bool may_read(const http::request& req, std::string_view subject) const {
    if (!security_) return true;
    for (const auto& op : access_rule_operations()) {
      if (security_->allows(req.principal, op, subject)) return true;
    }
    return false;
  }

  http::response not_ready() {
    std::lock_guard lock(reason_mutex_);
    return error_answer({50002, "The Schema Registry has not reached its Kafka store yet" +
                                    (not_ready_reason_.empty() ? "" : ": " + not_ready_reason_)});
  }

  // Sends a write to the writer instance unless this one is it; nullopt means "handle it
  // here". A new writer first reads everything its predecessor wrote.
  std::optional<http::response> forward_unless_writer(const http::request& req) {
    if (!election_) return std::nullopt;
    if (!req.header("X-Wharf-Forwarded")) {
      auto writer = election_->writer_url(options_.timeout);
      if (!writer) {
        return error_answer({50004,
                             "Unknown leader: no Schema Registry instance is the writer "
                             "now; retry"});
      }
      if (*writer != own_url_) {
        http::client_request forward;
        forward.method = req.method;
        forward.url = *writer + req.target;
        forward.body = req.body;
        forward.timeout = options_.timeout + std::chrono::seconds(5);
        for (const auto& [name, value] : req.headers) {
          if (upper(name) == "CONTENT-TYPE" || upper(name) == "ACCEPT" ||
              upper(name) == "AUTHORIZATION") {
            forward.headers.emplace_back(name, value);
          }
        }
        forward.headers.emplace_back("X-Wharf-Forwarded", own_url_);
        auto answered = http::send(forward);
        if (!answered.ok()) {
          return error_answer({50003, "Error while forwarding the request to the writer " +
                                          *writer + ": " + answered.err().message()});
        }
        return std::move(*answered);
      }
    }
    auto term = election_->term();
    if (term != synced_term_.load()) {
      auto lock = log_->write_lock();
      if (term != synced_term_.load()) {
        if (auto synced = log_->sync(); !synced.ok())
          return error_answer(store_error(synced.err()));
        synced_term_ = term;
      }
    }
    return std::nullopt;
  }

  static http::response answer(api_result r) {
    return r.ok() ? std::move(*r) : error_answer(r.err());
  }

  static std::optional<std::string> subject_of(const http::request& req) {
    auto it = req.path_params.find("subject");
    if (it == req.path_params.end()) return std::nullopt;
    return it->second;
  }

  // --- schemas ------------------------------------------------------------------

  // The parsed schema of a request or a stored version, its references resolved.
  result<parsed_ptr, api_error> parse_with_references(
      const schema_store& store, schema_type type, std::string_view text,
      const std::vector<schema_reference>& references, int depth = 0) {
    if (depth > 32) return api_error{42201, "Invalid schema: references nest too deeply"};
    std::vector<resolved_reference> resolved;
    for (const auto& ref : references) {
      auto v = store.version(ref.subject, ref.version, true);
      const stored_schema* s = v ? store.schema_by_id(v->id) : nullptr;
      if (!s) {
        return api_error{42201, fmt::format("Invalid schema: reference {} to subject '{}' version "
                                            "{} does not exist",
                                            ref.name, ref.subject, ref.version)};
      }
      WHARF_ASSIGN_OR_RETURN(
          auto parsed, parse_with_references(store, s->type, s->text, s->references, depth + 1));
      resolved.push_back({ref.name, s->text, std::move(parsed)});
    }
    auto parsed = parse_schema(type, text, resolved);
    if (!parsed.ok()) return api_error{42201, "Invalid schema: " + parsed.err().message()};
    return *parsed;
  }

  result<parsed_ptr, api_error> parse_request_schema(const schema_store& store,
                                                     const schema_request& request) {
    return parse_with_references(store, request.type, request.text, request.references);
  }

  result<parsed_ptr, api_error> parse_stored(const schema_store& store, int id) {
    {
      std::lock_guard lock(parsed_mutex_);
      if (auto it = parsed_.find(id); it != parsed_.end()) return it->second;
    }
    const auto* s = store.schema_by_id(id);
    if (!s) return schema_not_found();
    WHARF_ASSIGN_OR_RETURN(auto parsed,
                           parse_with_references(store, s->type, s->text, s->references));
    std::lock_guard lock(parsed_mutex_);
    parsed_[id] = parsed;
    return parsed;
  }

  // The schema's text, or its form in ?format= where its type has that format (Protobuf's
  // "serialized": the base64 descriptor).
  std::string text_in_format(const schema_store& store, const stored_schema& s,
                             const http::request& req) {
    auto format = req.query_param("format");
    if (!format || format->empty()) return s.text;
    auto parsed = parse_stored(store, s.id);
    if (!parsed.ok()) return s.text;
    return (*parsed)->formatted(*format).value_or(s.text);
  }

  api_result schema_types(const http::request&) {
    bj::array out;
    for (auto type : supported_schema_types()) out.push_back(bj::string(to_string(type)));
    return json_answer(200, out);
  }

  api_result schema_by_id(const http::request& req) {
    auto id = parse_id(req.param("id"));
    std::optional<http::response> out;
    std::optional<api_error> refused;
    log_->read([&](const schema_store& store) {
      const auto* s = id ? store.schema_by_id(*id) : nullptr;
      if (!s) return;
      if (!may_read_id(req, store, *id)) return refused.emplace(forbidden_id(req)), void();
      bj::object body;
      if (s->type != schema_type::avro) body["schemaType"] = to_string(s->type);
      if (!s->references.empty()) body["references"] = version_json({}, *s)["references"];
      body["schema"] = text_in_format(store, *s, req);
      out = json_answer(200, body);
    });
    if (refused) return *refused;
    if (!out) return api_error{40403, fmt::format("Schema {} not found", req.param("id"))};
    return std::move(*out);
  }

  api_result raw_schema_by_id(const http::request& req) {
    auto id = parse_id(req.param("id"));
    std::optional<std::string> text;
    std::optional<api_error> refused;
    log_->read([&](const schema_store& store) {
      const auto* s = id ? store.schema_by_id(*id) : nullptr;
      if (s && !may_read_id(req, store, *id)) return refused.emplace(forbidden_id(req)), void();
      if (s) text = text_in_format(store, *s, req);
    });
    if (refused) return *refused;
    if (!text) return api_error{40403, fmt::format("Schema {} not found", req.param("id"))};
    return http::response::json(200, std::move(*text), std::string(content_type));
  }

  api_result subjects_of_id(const http::request& req) {
    auto id = parse_id(req.param("id"));
    bj::array out;
    bool found = false;
    log_->read([&](const schema_store& store) {
      if (!id || !store.schema_by_id(*id)) return;
      found = true;
      std::vector<std::string> seen;
      for (const auto& use : store.uses_of(*id, flag(req, "deleted"))) {
        if (!may_read(req, use.subject)) continue;
        if (seen.empty() || seen.back() != use.subject) seen.push_back(use.subject);
      }
      for (auto& s : seen) out.push_back(bj::string(s));
    });
    if (!found) return api_error{40403, fmt::format("Schema {} not found", req.param("id"))};
    return json_answer(200, out);
  }

  api_result versions_of_id(const http::request& req) {
    auto id = parse_id(req.param("id"));
    bj::array out;
    bool found = false;
    log_->read([&](const schema_store& store) {
      if (!id || !store.schema_by_id(*id)) return;
      found = true;
      for (const auto& use : store.uses_of(*id, flag(req, "deleted"))) {
        if (!may_read(req, use.subject)) continue;
        out.push_back(bj::object{{"subject", use.subject}, {"version", use.version}});
      }
    });
    if (!found) return api_error{40403, fmt::format("Schema {} not found", req.param("id"))};
    return json_answer(200, out);
  }

  api_result list_schemas(const http::request& req) {
    auto prefix = std::string(req.query_param("subjectPrefix").value_or(""));
    bool deleted = flag(req, "deleted");
    bool latest_only = flag(req, "latestOnly");
    bj::array out;
    log_->read([&](const schema_store& store) {
      for (const auto& subject : store.subjects(deleted, prefix)) {
        if (!may_read(req, subject)) continue;
        auto versions = store.versions(subject, deleted);
        if (latest_only && !versions.empty()) versions = {versions.back()};
        for (int v : versions) {
          auto sv = store.version(subject, v, true);
          const auto* s = sv ? store.schema_by_id(sv->id) : nullptr;
          if (s) out.push_back(version_json(*sv, *s));
        }
      }
    });
    return json_answer(200, out);
  }

  static std::optional<int> parse_id(std::string_view text) {
    int id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id < 0) return std::nullopt;
    return id;
  }

  // --- subjects -----------------------------------------------------------------

  api_result list_subjects(const http::request& req) {
    bj::array out;
    log_->read([&](const schema_store& store) {
      for (auto& s :
           store.subjects(flag(req, "deleted"), req.query_param("subjectPrefix").value_or(""))) {
        if (may_read(req, s)) out.push_back(bj::string(s));
      }
    });
    return json_answer(200, out);
  }

  api_result list_versions(const http::request& req) {
    auto subject = req.param("subject");
    std::vector<int> versions;
    log_->read([&](const schema_store& store) {
      versions = store.versions(subject, flag(req, "deleted"));
    });
    if (versions.empty()) return subject_not_found(subject);
    bj::array out;
    for (int v : versions) out.push_back(v);
    return json_answer(200, out);
  }

  // The version named by the path, or the error Confluent gives.
  static result<subject_version, api_error> find_version(const schema_store& store,
                                                         const std::string& subject,
                                                         std::string_view version_text,
                                                         bool include_deleted) {
    WHARF_ASSIGN_OR_RETURN(int version, parse_version(version_text));
    if (!store.subject_exists(subject, include_deleted)) return subject_not_found(subject);
    auto v = store.version(subject, version, include_deleted);
    if (!v) return version_not_found(version);
    return *v;
  }

  api_result get_version(const http::request& req) {
    std::optional<api_result> out;
    log_->read([&](const schema_store& store) {
      auto v =
          find_version(store, req.param("subject"), req.param("version"), flag(req, "deleted"));
      if (!v.ok()) return out.emplace(v.err()), void();
      const auto& stored = *store.schema_by_id(v->id);
      auto body = version_json(*v, stored);
      body["schema"] = text_in_format(store, stored, req);
      out.emplace(json_answer(200, body));
    });
    return std::move(*out);
  }

  api_result get_version_schema(const http::request& req) {
    std::optional<api_result> out;
    log_->read([&](const schema_store& store) {
      auto v =
          find_version(store, req.param("subject"), req.param("version"), flag(req, "deleted"));
      if (!v.ok()) return out.emplace(v.err()), void();
      out.emplace(http::response::json(200, text_in_format(store, *store.schema_by_id(v->id), req),
                                       std::string(content_type)));
    });
    return std::move(*out);
  }

  api_result referenced_by(const http::request& req) {
    std::optional<api_result> out;
    log_->read([&](const schema_store& store) {
      auto v = find_version(store, req.param("subject"), req.param("version"), false);
      if (!v.ok()) return out.emplace(v.err()), void();
      bj::array ids;
      for (int id : store.referenced_by(v->subject, v->version)) ids.push_back(id);
      out.emplace(json_answer(200, ids));
    });
    return std::move(*out);
  }

  api_result lookup(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, json_body(req));
    WHARF_ASSIGN_OR_RETURN(auto request, parse_schema_request(body));
    auto subject = req.param("subject");
    bool deleted = flag(req, "deleted");
    std::optional<api_result> out;
    log_->read([&](const schema_store& store) {
      if (!store.subject_exists(subject, deleted))
        return out.emplace(subject_not_found(subject)), void();
      auto parsed = parse_request_schema(store, request);
      if (!parsed.ok()) return out.emplace(parsed.err()), void();
      request.text =
          flag(req, "normalize") ? (*parsed)->normalized() : (*parsed)->stored_text(request.text);
      auto found = store.find(subject, request.type, request.text, request.references, deleted);
      if (!found) return out.emplace(schema_not_found()), void();
      out.emplace(json_answer(200, version_json(*found, *store.schema_by_id(found->id))));
    });
    return std::move(*out);
  }

  std::string level_for(const schema_store& store, const std::string& subject) const {
    if (auto s = store.compatibility(subject)) return *s;
    if (auto g = store.compatibility(std::nullopt)) return *g;
    return options_.default_compatibility;
  }

  // 42205 when subject (or the registry) is read-only.
  std::optional<api_error> refuse_if_read_only(const schema_store& store,
                                               const std::string& subject) const {
    auto mode = mode_for(store, subject);
    if (mode != "READONLY" && mode != "READONLY_OVERRIDE") return std::nullopt;
    return api_error{42205, fmt::format("Subject {} is in read-only mode", subject)};
  }

  std::string mode_for(const schema_store& store, const std::optional<std::string>& subject) const {
    if (subject) {
      if (auto s = store.mode(*subject)) return *s;
    }
    return store.mode(std::nullopt).value_or("READWRITE");
  }

  struct compat_verdict {
    bool compatible = true;
    std::vector<std::string> messages;
  };

  // Checks candidate against previous versions (oldest first) as level asks.
  compat_verdict check_against(const schema_store& store, const parsed_schema& candidate,
                               const std::vector<subject_version>& previous,
                               const std::string& level) {
    compat_verdict verdict;
    if (level == "NONE" || previous.empty()) return verdict;
    bool transitive = level.ends_with("_TRANSITIVE");
    bool backward = level.starts_with("BACKWARD") || level.starts_with("FULL");
    bool forward = level.starts_with("FORWARD") || level.starts_with("FULL");
    std::vector<subject_version> against = previous;
    if (!transitive) against = {previous.back()};
    for (auto it = against.rbegin(); it != against.rend(); ++it) {
      auto old = parse_stored(store, it->id);
      if (!old.ok()) continue;  // a stored schema we cannot read constrains nothing
      std::vector<std::string> messages;
      if ((*old)->type() != candidate.type()) {
        messages.push_back("Incompatible because of different schema type");
      } else {
        if (backward) {
          for (auto& m : candidate.cannot_read(**old, true)) messages.push_back(std::move(m));
        }
        if (forward) {
          for (auto& m : (*old)->cannot_read(candidate, false)) messages.push_back(std::move(m));
        }
      }
      if (messages.empty()) continue;
      verdict.compatible = false;
      for (auto& m : messages) verdict.messages.push_back(std::move(m));
      verdict.messages.push_back(fmt::format("{{oldSchemaVersion: {}}}", it->version));
      verdict.messages.push_back(
          fmt::format("{{oldSchema: '{}'}}", store.schema_by_id(it->id)->text));
      verdict.messages.push_back(fmt::format("{{compatibility: '{}'}}", level));
    }
    return verdict;
  }

  static std::vector<subject_version> live_versions(const schema_store& store,
                                                    const std::string& subject) {
    std::vector<subject_version> out;
    for (int v : store.versions(subject, false)) out.push_back(*store.version(subject, v, false));
    return out;
  }

  api_result register_schema(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, json_body(req));
    WHARF_ASSIGN_OR_RETURN(auto request, parse_schema_request(body));
    // normalize=true stores (and matches) the schema in its normalized form.
    bool normalize = flag(req, "normalize");
    auto subject = req.param("subject");
    auto lock = log_->write_lock();
    std::optional<api_result> out;
    std::optional<log_record> to_write;
    int id = 0;
    log_->read([&](const schema_store& store) {
      if (auto refused = refuse_if_read_only(store, subject)) {
        return out.emplace(std::move(*refused)), void();
      }
      bool importing = mode_for(store, subject) == "IMPORT";
      if (!importing && (request.id || request.version)) {
        return out.emplace(api_error{42205, fmt::format("Subject {} is not in import mode; ids "
                                                        "and versions cannot be chosen",
                                                        subject)}),
               void();
      }
      auto parsed = parse_request_schema(store, request);
      if (!parsed.ok()) return out.emplace(parsed.err()), void();
      request.text = normalize ? (*parsed)->normalized() : (*parsed)->stored_text(request.text);
      if (auto existing =
              store.find(subject, request.type, request.text, request.references, false)) {
        if (!request.id || *request.id == existing->id) {
          return out.emplace(json_answer(200, bj::object{{"id", existing->id}})), void();
        }
      }
      if (!importing) {
        auto verdict = check_against(store, **parsed, live_versions(store, subject),
                                     level_for(store, subject));
        if (!verdict.compatible) {
          std::string message =
              "Schema being registered is incompatible with an earlier schema for subject \"" +
              subject + "\", details: [" + fmt::format("{}", fmt::join(verdict.messages, ", ")) +
              "]";
          return out.emplace(api_error{409, message}), void();
        }
      }
      auto known = store.id_of(request.type, request.text, request.references);
      if (request.id) {
        const auto* holder = store.schema_by_id(*request.id);
        if (holder && (!known || *known != *request.id)) {
          return out.emplace(api_error{42205, fmt::format("Overwrite new schema with id {} is not "
                                                          "permitted.",
                                                          *request.id)}),
                 void();
        }
        id = *request.id;
      } else {
        id = known.value_or(store.next_id());
      }
      int version = request.version.value_or(store.latest_version_number(subject) + 1);
      if (request.version && store.version(subject, version, true)) {
        return out.emplace(api_error{42205, fmt::format("Version {} of subject {} already exists",
                                                        version, subject)}),
               void();
      }
      to_write = schema_store::schema_record(
          {subject, version, id, false},
          stored_schema{id, request.type, request.text, request.references});
    });
    if (out) return std::move(*out);
    if (auto written = log_->write({*to_write}); !written.ok()) return store_error(written.err());
    return json_answer(200, bj::object{{"id", id}});
  }

  api_result delete_version(const http::request& req) {
    auto subject = req.param("subject");
    bool permanent = flag(req, "permanent");
    WHARF_ASSIGN_OR_RETURN(int version_number, parse_version(req.param("version")));
    auto lock = log_->write_lock();
    std::optional<api_result> out;
    std::optional<log_record> to_write;
    int deleted_version = 0;
    log_->read([&](const schema_store& store) {
      if (auto refused = refuse_if_read_only(store, subject)) {
        return out.emplace(std::move(*refused)), void();
      }
      if (!store.subject_exists(subject, true))
        return out.emplace(subject_not_found(subject)), void();
      auto v = store.version(subject, version_number, permanent);
      if (!v) {
        if (!permanent && version_number != -1 && store.version(subject, version_number, true)) {
          return out.emplace(api_error{40406, fmt::format("Subject '{}' Version {} was soft "
                                                          "deleted. Set permanent=true to delete "
                                                          "permanently",
                                                          subject, version_number)}),
                 void();
        }
        return out.emplace(version_not_found(version_number)), void();
      }
      if (permanent && !v->deleted) {
        return out.emplace(api_error{40407, fmt::format("Subject '{}' Version {} was not deleted "
                                                        "first before being permanently deleted",
                                                        subject, v->version)}),
               void();
      }
      if (!store.referenced_by(subject, v->version).empty()) {
        return out.emplace(api_error{42206, fmt::format("One or more references exist to the "
                                                        "schema {{subject={}, version={}}}.",
                                                        subject, v->version)}),
               void();
      }
      deleted_version = v->version;
      if (permanent) {
        to_write = schema_store::schema_tombstone(subject, v->version);
      } else {
        const auto* s = store.schema_by_id(v->id);
        to_write = schema_store::schema_record({subject, v->version, v->id, true}, *s);
      }
    });
    if (out) return std::move(*out);
    if (auto written = log_->write({*to_write}); !written.ok()) return store_error(written.err());
    return json_answer(200, deleted_version);
  }

  api_result delete_subject(const http::request& req) {
    auto subject = req.param("subject");
    bool permanent = flag(req, "permanent");
    auto lock = log_->write_lock();
    std::optional<api_result> out;
    std::vector<log_record> to_write;
    bj::array deleted;
    log_->read([&](const schema_store& store) {
      if (auto refused = refuse_if_read_only(store, subject)) {
        return out.emplace(std::move(*refused)), void();
      }
      auto live = store.versions(subject, false);
      auto all = store.versions(subject, true);
      if (all.empty()) return out.emplace(subject_not_found(subject)), void();
      if (!permanent && live.empty()) {
        return out.emplace(api_error{40404, fmt::format("Subject '{}' was soft deleted. Set "
                                                        "permanent=true to delete permanently",
                                                        subject)}),
               void();
      }
      if (permanent && !live.empty()) {
        return out.emplace(api_error{40405, fmt::format("Subject '{}' was not deleted first before "
                                                        "being permanently deleted",
                                                        subject)}),
               void();
      }
      for (int v : permanent ? all : live) {
        if (!store.referenced_by(subject, v).empty()) {
          return out.emplace(api_error{42206, fmt::format("One or more references exist to the "
                                                          "schema {{subject={}, version={}}}.",
                                                          subject, v)}),
                 void();
        }
        deleted.push_back(v);
      }
      if (permanent) {
        for (int v : all) to_write.push_back(schema_store::schema_tombstone(subject, v));
        to_write.push_back(schema_store::clear_subject_record(subject));
      } else {
        to_write.push_back(schema_store::delete_subject_record(subject, live.back()));
      }
    });
    if (out) return std::move(*out);
    if (auto written = log_->write(to_write); !written.ok()) return store_error(written.err());
    return json_answer(200, deleted);
  }

  // --- compatibility ------------------------------------------------------------

  api_result check(const http::request& req, std::optional<std::string_view> version_text) {
    WHARF_ASSIGN_OR_RETURN(auto body, json_body(req));
    WHARF_ASSIGN_OR_RETURN(auto request, parse_schema_request(body));
    auto subject = req.param("subject");
    bool verbose = flag(req, "verbose");
    std::optional<api_result> out;
    log_->read([&](const schema_store& store) {
      auto parsed = parse_request_schema(store, request);
      if (!parsed.ok()) return out.emplace(parsed.err()), void();
      std::vector<subject_version> previous;
      auto level = level_for(store, subject);
      if (version_text) {
        auto v = find_version(store, subject, *version_text, false);
        if (!v.ok()) return out.emplace(v.err()), void();
        previous = {*v};
        // One named version: checked in the level's direction, not transitively.
        if (level.ends_with("_TRANSITIVE")) level = level.substr(0, level.size() - 11);
      } else {
        previous = live_versions(store, subject);
      }
      auto verdict = check_against(store, **parsed, previous, level);
      bj::object answer{{"is_compatible", verdict.compatible}};
      if (verbose) {
        bj::array messages;
        for (auto& m : verdict.messages) messages.push_back(bj::string(m));
        answer["messages"] = std::move(messages);
      }
      out.emplace(json_answer(200, answer));
    });
    return std::move(*out);
  }

  api_result check_all_versions(const http::request& req) { return check(req, std::nullopt); }
  api_result check_one_version(const http::request& req) {
    return check(req, std::string_view(req.param("version")));
  }

  // --- config and mode ----------------------------------------------------------

  api_result get_config(const http::request& req) {
    auto subject = subject_of(req);
    std::optional<api_result> out;
    log_->read([&](const schema_store& store) {
      auto level = store.compatibility(subject);
      if (!level && subject && !flag(req, "defaultToGlobal")) {
        return out.emplace(api_error{40408, fmt::format("Subject '{}' does not have subject-level "
                                                        "compatibility configured",
                                                        *subject)}),
               void();
      }
      if (!level) level = store.compatibility(std::nullopt);
      out.emplace(json_answer(
          200, bj::object{{"compatibilityLevel", level.value_or(options_.default_compatibility)}}));
    });
    return std::move(*out);
  }

  api_result put_config(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, json_body(req));
    const auto* level = body.if_contains("compatibility");
    std::string value = level && level->is_string() ? upper(level->get_string()) : "";
    if (std::find(compatibility_levels.begin(), compatibility_levels.end(), value) ==
        compatibility_levels.end()) {
      return api_error{42203,
                       "Invalid compatibility level. Valid values are none, backward, "
                       "forward, full, backward_transitive, forward_transitive, and "
                       "full_transitive"};
    }
    auto lock = log_->write_lock();
    if (auto written = log_->write({schema_store::config_record(subject_of(req), value)});
        !written.ok()) {
      return store_error(written.err());
    }
    return json_answer(200, bj::object{{"compatibility", value}});
  }

  api_result delete_config(const http::request& req) {
    auto subject = subject_of(req);
    auto lock = log_->write_lock();
    std::optional<std::string> previous;
    bool subject_known = true;
    log_->read([&](const schema_store& store) {
      previous = store.compatibility(subject);
      if (subject) subject_known = previous || store.subject_exists(*subject, true);
    });
    if (!subject_known) return subject_not_found(*subject);
    if (auto written = log_->write({schema_store::config_record(subject, std::nullopt)});
        !written.ok()) {
      return store_error(written.err());
    }
    return json_answer(
        200, bj::object{{"compatibilityLevel", previous.value_or(options_.default_compatibility)}});
  }

  api_result get_mode(const http::request& req) {
    auto subject = subject_of(req);
    std::optional<api_result> out;
    log_->read([&](const schema_store& store) {
      auto mode = store.mode(subject);
      if (!mode && subject && !flag(req, "defaultToGlobal")) {
        return out.emplace(api_error{40409, fmt::format("Subject '{}' does not have subject-level "
                                                        "mode configured",
                                                        *subject)}),
               void();
      }
      if (!mode) mode = store.mode(std::nullopt);
      out.emplace(json_answer(200, bj::object{{"mode", mode.value_or("READWRITE")}}));
    });
    return std::move(*out);
  }

  api_result put_mode(const http::request& req) {
    WHARF_ASSIGN_OR_RETURN(auto body, json_body(req));
    const auto* mode = body.if_contains("mode");
    std::string value = mode && mode->is_string() ? upper(mode->get_string()) : "";
    if (std::find(modes.begin(), modes.end(), value) == modes.end()) {
      return api_error{42204,
                       "Invalid mode. Valid values are READWRITE, READONLY, "
                       "READONLY_OVERRIDE and IMPORT"};
    }
    auto subject = subject_of(req);
    auto lock = log_->write_lock();
    if (value == "IMPORT" && !flag(req, "force")) {
      bool has_schemas = false;
      log_->read([&](const schema_store& store) {
        has_schemas =
            subject ? store.subject_exists(*subject, true) : !store.subjects(true).empty();
      });
      if (has_schemas) {
        return api_error{42205, "Cannot import since found existing subjects"};
      }
    }
    if (auto written = log_->write({schema_store::mode_record(subject, value)}); !written.ok()) {
      return store_error(written.err());
    }
    return json_answer(200, bj::object{{"mode", value}});
  }

  api_result delete_mode(const http::request& req) {
    auto subject = subject_of(req);
    auto lock = log_->write_lock();
    std::optional<std::string> previous;
    log_->read([&](const schema_store& store) { previous = store.mode(subject); });
    if (subject && !previous) return subject_not_found(*subject);
    if (auto written = log_->write({schema_store::mode_record(subject, std::nullopt)});
        !written.ok()) {
      return store_error(written.err());
    }
    return json_answer(200, bj::object{{"mode", previous.value_or("READWRITE")}});
  }

  service_options options_;
  std::shared_ptr<const http::security::gatekeeper> security_ = options_.security;
  kafka::client::cluster& kafka_;
  std::unique_ptr<schema_log> log_;
  std::mutex parsed_mutex_;
  std::map<int, parsed_ptr> parsed_;
  std::unique_ptr<writer_election> election_;
  std::string own_url_;
  std::atomic<std::uint64_t> synced_term_{0};
  std::atomic<bool> ready_{false};
  std::mutex reason_mutex_;
  std::string not_ready_reason_;
};

class service_impl final : public service {
 public:
  service_impl(std::shared_ptr<registry_api> api, std::unique_ptr<http::server> server,
               service_options options, kafka::client::cluster& kafka)
      : api_(std::move(api)), server_(std::move(server)) {
    auto own_url = options.advertised_url.empty() ? server_->url() : options.advertised_url;
    opener_ = std::thread([this, options = std::move(options), &kafka, own_url] {
      open_storage(options, kafka, own_url);
    });
  }
  ~service_impl() override { shutdown(std::chrono::steady_clock::now()); }

  std::string url() const override { return server_->url(); }
  bool ready() const override { return server_->accepting() && api_->ready(); }
  void stop_accepting() override { server_->stop_accepting(); }
  bool shutdown(std::chrono::steady_clock::time_point deadline) override {
    if (done_) return true;
    done_ = true;
    server_->stop_accepting();
    bool clean = server_->drain(deadline);
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (opener_.joinable()) opener_.join();
    api_->close();
    return clean;
  }

 private:
  // Reads the topic and joins the election, retrying while Kafka cannot be reached, so
  // the registry starts (not ready) like the other services when Kafka is down.
  void open_storage(const service_options& options, kafka::client::cluster& kafka,
                    const std::string& own_url) {
    auto log = logging::get("registry");
    schema_log_options log_options;
    log_options.topic = options.topic;
    log_options.timeout = options.timeout;
    for (int attempt = 0;; ++attempt) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      auto opened = schema_log::open(kafka, log_options);
      if (opened.ok()) {
        election_options election;
        election.group_id = options.group_id;
        election.topic = options.topic;
        election.own_url = own_url;
        election.session_timeout = options.session_timeout;
        auto elected = writer_election::start(kafka, election);
        if (elected.ok()) {
          api_->attach(std::move(*opened), std::move(*elected), own_url);
          if (attempt > 0) log->info("the Schema Registry reached its Kafka store");
          return;
        }
        (*opened)->close();
        api_->set_not_ready_reason(elected.err().message());
      } else {
        api_->set_not_ready_reason(opened.err().message());
        if (attempt == 0) {
          log->warn("the Schema Registry cannot read its topic yet ({}); retrying",
                    opened.err().message());
        }
      }
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::seconds(2), [this] { return stopping_; });
    }
  }

  std::shared_ptr<registry_api> api_;
  std::unique_ptr<http::server> server_;
  bool done_ = false;
  std::thread opener_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace

result<std::unique_ptr<service>> service::start(net::io_runtime& runtime, service_options options,
                                                kafka::client::cluster& kafka,
                                                metrics::registry* metrics) {
  auto api = std::make_shared<registry_api>(options, kafka);
  auto routes = std::make_shared<http::router>();
  api->add_routes(*routes);
  auto server = http::server::start(runtime, options.http, routes, metrics);
  if (!server.ok()) return server.err();
  auto started = std::make_unique<service_impl>(api, std::move(*server), std::move(options), kafka);
  return std::unique_ptr<service>(std::move(started));
}

}  // namespace wharf::registry
