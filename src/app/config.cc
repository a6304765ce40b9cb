#include "app/config.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "services/registry/registry.h"
#include "services/rest_proxy/rest_proxy.h"
#include "services/router/router.h"
#include "services/triggers/triggers.h"

extern char** environ;

namespace wharf::app {
namespace {

void declare_listener(config::schema& s, const std::string& name, listener_config& l,
                      const std::string& what) {
  s.boolean(name + ".enabled", l.enabled, "serve " + what);
  s.string(name + ".host", l.host, "address " + what + " listens on");
  s.port(name + ".port", l.port, "port " + what + " listens on (0 picks a free port)");
  s.string(name + ".tls.cert_file", l.tls.cert_file,
           "PEM certificate chain; with key_file, serves HTTPS");
  s.string(name + ".tls.key_file", l.tls.key_file, "PEM private key for tls.cert_file");
}

// The security options of an HTTP service under prefix ("rest_proxy"): prefix.auth.*,
// prefix.rate_limit.* and prefix.cors.*.
void declare_security(config::schema& s, const std::string& prefix, http_security_config& c) {
  auto& a = c.auth;
  s.boolean(prefix + ".auth.enabled", a.enabled,
            "require authentication on every route; a request without valid credentials gets "
            "401 (40101) and one whose principal lacks rights on the topic 403 (40301)");
  s.secret_list(prefix + ".auth.api_keys", a.api_keys,
                "bearer API keys as principal:key (the principal holds no colon)");
  s.secret_list(prefix + ".auth.basic_users", a.basic_users,
                "HTTP Basic users as user:plain:password, user:sha256:salt:hex(sha256(salt + "
                "password)) or user:pbkdf2-sha256:iterations:base64 salt:base64 key");
  s.boolean(prefix + ".auth.anonymous", a.anonymous,
            "requests without credentials act as principal 'anonymous' (wrong credentials are "
            "still refused)");
  s.string(prefix + ".auth.realm", a.realm, "realm named in WWW-Authenticate challenges");
  s.list(prefix + ".auth.rules", a.rules,
         "access rules as principal:operation:topic (operation produce, consume, admin or all; "
         "topic an exact name, a prefix ending in * such as events.*, or *; principal * is every "
         "principal, anonymous included); nothing is allowed that no rule allows");
  s.secret(prefix + ".auth.jwt.hs256_secret", a.jwt.hs256_secret,
           "shared secret that verifies HS256 JWT bearer tokens; empty refuses HS256");
  s.string(prefix + ".auth.jwt.rs256_public_key_file", a.jwt.rs256_public_key_file,
           "PEM RSA public key file that verifies RS256 JWT bearer tokens; empty refuses RS256");
  s.string(prefix + ".auth.jwt.audience", a.jwt.audience,
           "when set, a JWT's aud claim must be or contain it");
  s.string(prefix + ".auth.jwt.issuer", a.jwt.issuer, "when set, a JWT's iss claim must equal it");
  s.string(prefix + ".auth.jwt.principal_claim", a.jwt.principal_claim,
           "JWT claim that names the principal");
  s.duration(prefix + ".auth.jwt.clock_skew", a.jwt.clock_skew,
             "leeway for a JWT's exp and nbf between our clock and the issuer's");

  auto& r = c.rate_limit;
  s.boolean(prefix + ".rate_limit.enabled", r.enabled,
            "limit requests per principal (per client address without authentication); over "
            "the limit answers 429 (42901) with Retry-After");
  s.integer(prefix + ".rate_limit.requests_per_second", r.requests_per_second, 1, 1'000'000,
            "requests per second each principal may make on average");
  s.integer(prefix + ".rate_limit.burst", r.burst, 1, 1'000'000,
            "requests a principal may make at once after a quiet spell");
  s.list(prefix + ".rate_limit.overrides", r.overrides,
         "other limits for some principals as principal:requests_per_second:burst");

  auto& o = c.cors;
  s.list(prefix + ".cors.allowed_origins", o.allowed_origins,
         "origins browsers may call from (https://app.example.com, or * for any); empty turns "
         "CORS off");
  s.list(prefix + ".cors.allowed_methods", o.allowed_methods, "methods a preflight may ask for");
  s.list(prefix + ".cors.allowed_headers", o.allowed_headers,
         "request headers a preflight may ask for (* for any)");
  s.list(prefix + ".cors.exposed_headers", o.exposed_headers, "response headers the page may read");
  s.boolean(prefix + ".cors.allow_credentials", o.allow_credentials,
            "let pages send cookies and HTTP authentication (the origin is then named rather "
            "than *)");
  s.duration(prefix + ".cors.max_age", o.max_age, "how long browsers may cache a preflight answer");
}

}  // namespace

result<http::security::security_options> security_options(const http_security_config& c) {
  http::security::security_options o;
  o.authentication = c.auth.enabled;
  o.api_keys = c.auth.api_keys;
  o.basic_users = c.auth.basic_users;
  o.allow_anonymous = c.auth.anonymous;
  o.realm = c.auth.realm;
  o.access_rules = c.auth.rules;
  o.jwt.hs256_secret = c.auth.jwt.hs256_secret;
  o.jwt.audience = c.auth.jwt.audience;
  o.jwt.issuer = c.auth.jwt.issuer;
  o.jwt.principal_claim = c.auth.jwt.principal_claim;
  o.jwt.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(c.auth.jwt.clock_skew);
  if (!c.auth.jwt.rs256_public_key_file.empty()) {
    std::ifstream in(c.auth.jwt.rs256_public_key_file);
    if (!in) {
      return make_error(errc::io_error, "cannot read the RS256 public key file {}",
                        c.auth.jwt.rs256_public_key_file);
    }
    std::stringstream text;
    text << in.rdbuf();
    o.jwt.rs256_public_key_pem = text.str();
  }
  o.rate_limiting = c.rate_limit.enabled;
  o.default_rate = {static_cast<double>(c.rate_limit.requests_per_second),
                    static_cast<double>(c.rate_limit.burst)};
  o.rate_limit_overrides = c.rate_limit.overrides;
  o.cors.allowed_origins = c.cors.allowed_origins;
  o.cors.allowed_methods = c.cors.allowed_methods;
  o.cors.allowed_headers = c.cors.allowed_headers;
  o.cors.exposed_headers = c.cors.exposed_headers;
  o.cors.allow_credentials = c.cors.allow_credentials;
  o.cors.max_age = std::chrono::duration_cast<std::chrono::seconds>(c.cors.max_age);
  return o;
}

void declare_options(config::schema& s, wharf_config& c) {
  s.choice("log.level", c.log.level, {"trace", "debug", "info", "warn", "error", "critical", "off"},
           "lowest level written");
  s.choice("log.format", c.log.format, {"text", "json"}, "text lines or one JSON object per line");
  s.string("log.file", c.log.file, "log file; empty writes to stderr");
  s.size("log.max_file_size", c.log.max_file_size, "rotate the log file at this size");
  s.integer("log.max_files", c.log.max_files, 1, 1000, "rotated log files kept");

  s.integer("server.io_threads", c.server.io_threads, 0, 256,
            "network I/O threads; 0 means one per CPU core");
  s.duration("server.shutdown_grace_period", c.server.shutdown_grace_period,
             "on SIGTERM/SIGINT, time allowed for in-flight work before connections are closed");

  s.size("http.max_header_size", c.http.max_header_size, "largest accepted request header block");
  s.size("http.max_body_size", c.http.max_body_size, "largest accepted request body");
  s.duration("http.read_timeout", c.http.read_timeout, "time allowed to receive one request");
  s.duration("http.idle_timeout", c.http.idle_timeout,
             "an idle keep-alive connection is closed after this");
  s.integer("http.max_connections", c.http.max_connections, 1, 1'000'000,
            "open connections per HTTP listener");

  s.boolean("broker.enabled", c.broker.enabled, "run the embedded Kafka-compatible broker");
  s.string("broker.host", c.broker.host, "address the Kafka listener binds to");
  s.port("broker.port", c.broker.port, "Kafka listener port");
  s.string("broker.data_dir", c.broker.data_dir, "where the embedded broker keeps its log");
  s.integer("broker.node_id", c.broker.node_id, 0, 1 << 30, "the broker's node id");
  s.string("broker.advertised_host", c.broker.advertised_host,
           "host clients are told to connect to; empty: broker.host");
  s.port("broker.advertised_port", c.broker.advertised_port,
         "port clients are told to connect to; 0: the bound port");
  s.boolean("broker.auto_create_topics", c.broker.auto_create_topics,
            "create a topic when a client asks for metadata of an unknown one "
            "(auto.create.topics.enable)");
  s.integer("broker.num_partitions", c.broker.num_partitions, 1, 100000,
            "partitions of auto-created topics (num.partitions)");
  s.size("broker.max_request_size", c.broker.max_request_size,
         "largest request frame; larger ones close the connection (socket.request.max.bytes)");
  s.size("broker.max_in_flight_request_bytes", c.broker.max_in_flight_request_bytes,
         "request bytes held across all connections before reading waits "
         "(queued.max.request.bytes)");
  s.duration("broker.connections_max_idle", c.broker.connections_max_idle,
             "close Kafka connections idle this long (connections.max.idle.ms)");
  s.duration("broker.retention_check_interval", c.broker.retention_check_interval,
             "how often retention and compaction run (log.retention.check.interval.ms)");
  s.duration("broker.group_initial_rebalance_delay", c.broker.group_initial_rebalance_delay,
             "how long the first rebalance of an empty consumer group waits for more members "
             "(group.initial.rebalance.delay.ms; Kafka's default is 3s)");
  s.duration("broker.group_min_session_timeout", c.broker.group_min_session_timeout,
             "shortest session timeout a group member may ask for (group.min.session.timeout.ms)");
  s.duration("broker.group_max_session_timeout", c.broker.group_max_session_timeout,
             "longest session timeout a group member may ask for (group.max.session.timeout.ms)");
  s.integer("broker.offsets_topic_num_partitions", c.broker.offsets_topic_num_partitions, 1, 1000,
            "partitions of __consumer_offsets when it is created "
            "(offsets.topic.num.partitions)");
  s.duration("broker.offsets_retention", c.broker.offsets_retention,
             "committed offsets of a group are kept this long after it became empty "
             "(offsets.retention.minutes)");
  s.duration("broker.offsets_retention_check_interval", c.broker.offsets_retention_check_interval,
             "how often expired offsets are removed (offsets.retention.check.interval.ms)");
  s.integer("broker.offset_metadata_max_bytes", c.broker.offset_metadata_max_bytes, 0, 1 << 30,
            "largest metadata string of a committed offset (offset.metadata.max.bytes)");

  s.list("kafka.bootstrap_servers", c.kafka.bootstrap_servers,
         "Kafka cluster the integration services use; empty means the embedded broker");
  s.integer("kafka.client_worker_threads", c.kafka.client_worker_threads, 1, 256,
            "threads that run the integration services' blocking Kafka calls (metadata, admin "
            "requests, consumer commits)");
  s.size("kafka.producer_max_in_flight_bytes", c.kafka.producer_max_in_flight_bytes,
         "record bytes the shared producer holds unacknowledged before it refuses more "
         "(the REST Proxy then answers 429)");
  s.duration("kafka.request_timeout", c.kafka.request_timeout,
             "how long a metadata or admin request to Kafka may take");
  s.duration("kafka.producer_delivery_timeout", c.kafka.producer_delivery_timeout,
             "how long the shared producer tries to deliver a record before reporting an "
             "error (message.timeout.ms)");
  s.list("kafka.client_properties", c.kafka.client_properties,
         "extra librdkafka properties as name=value for every Kafka client of the services "
         "(security.protocol=SASL_SSL, sasl.mechanism=PLAIN, ...; a value cannot hold a "
         "comma)");

  declare_listener(
      s, "admin", c.admin,
      "the admin HTTP API (health, metrics, console, Lambda event source mappings and functions)");
  s.string("aws.region", c.aws.region, "region named in the ARNs of the AWS-shaped APIs");
  s.string("aws.account_id", c.aws.account_id,
           "12-digit account id named in the ARNs of the AWS-shaped APIs");
  s.string("aws.cluster_name", c.aws.cluster_name,
           "name of the Kafka cluster in its MSK-style ARN "
           "(arn:aws:kafka:<region>:<account>:cluster/<name>/<cluster id>)");
  s.document("functions", c.functions,
             "functions the triggers invoke, by name: each one `url` (an HTTP endpoint taking "
             "the event as a POST), `runtime` (a command speaking the AWS Lambda Runtime API, "
             "kept warm) or `exec` (a command per batch, event on stdin), with `handler`, "
             "`timeout_s` (3), `concurrency` (1), `memory_mb` (128), `environment`, "
             "`working_directory`");
  s.boolean("triggers.enabled", c.triggers.enabled,
            "run Lambda-style event source mappings and serve their API on the admin listener");
  s.string("triggers.topic", c.triggers.topic,
           "compacted topic that stores the event source mappings");
  s.document("triggers.mappings", c.triggers.mappings,
             "event source mappings declared here, by name: each one a "
             "CreateEventSourceMapping body (FunctionName, Topics, BatchSize, ...); without "
             "EventSourceArn or SelfManagedEventSource it reads Wharf's own Kafka");
  s.document("triggers.clusters", c.triggers.clusters,
             "other Kafka clusters event source mappings may read, by name: each with "
             "`bootstrap_servers`, `client_properties` (librdkafka name=value, e.g. SASL "
             "credentials) and `cluster_id`; a mapping names one by its ARN "
             "arn:aws:kafka:<region>:<account>:cluster/<name>/<cluster_id>");
  s.duration("triggers.retry_backoff", c.triggers.retry_backoff,
             "wait before retrying a failed batch, doubled per attempt (with jitter)");
  s.duration("triggers.retry_backoff_max", c.triggers.retry_backoff_max,
             "longest wait between retries of a failed batch");
  s.boolean("triggers.api_functions.allow_commands", c.triggers.api_functions.allow_commands,
            "let the function API (CreateFunction, PUT /wharf/functions/{name}) create "
            "functions that run a command or uploaded code (`runtime`, `exec`, a zip "
            "package): whoever reaches the admin listener can then run programs as Wharf; "
            "off, the API creates only `url` functions");
  s.integer("triggers.api_functions.max_concurrency", c.triggers.api_functions.max_concurrency, 1,
            1000, "the largest `concurrency` a function created through the API may have");
  s.boolean("router.enabled", c.router.enabled,
            "run EventBridge-style event buses and rules and serve EventBridge's API (POST / "
            "with X-Amz-Target: AWSEvents.*) on the admin listener");
  s.string("router.topic", c.router.topic,
           "compacted topic that stores event buses, rules and pipes");
  s.string("router.bus_topic_prefix", c.router.bus_topic_prefix,
           "the Kafka topic of event bus <name> is <prefix><name>");
  s.integer("router.bus_partitions", c.router.bus_partitions, -1, 10'000,
            "partitions of a new event bus topic (-1: the cluster's default)");
  s.document("router.rules", c.router.rules,
             "rules declared here, by name: each one a PutRule body (EventPattern as a mapping "
             "or JSON text, EventBusName, State, Description, SourceTopic to read a plain Kafka "
             "topic) with Targets, a list of PutTargets entries");
  s.document("router.api_destinations", c.router.api_destinations,
             "HTTP endpoints that targets name as "
             "arn:aws:events:<region>:<account>:api-destination/<name>, by name: each one `url`, "
             "`method` (POST), `headers`, `auth` ({type: api_key, name, value}, {type: basic, "
             "username, password} or {type: bearer, token}), `invocation_rate_per_second` "
             "(unlimited), `timeout_ms` (5000)");
  s.document("router.pipes", c.router.pipes,
             "EventBridge Pipes declared here, by name: each one a CreatePipe body (Source, "
             "SourceParameters with ManagedStreamingKafkaParameters or "
             "SelfManagedKafkaParameters and FilterCriteria, whose patterns may be mappings; "
             "Enrichment, EnrichmentParameters, Target, TargetParameters, DesiredState; "
             "RoleArn optional)");
  s.duration("router.retry_backoff", c.router.retry_backoff,
             "wait before retrying a failed delivery to a target, doubled per attempt (with "
             "jitter)");
  s.duration("router.retry_backoff_max", c.router.retry_backoff_max,
             "longest wait between retries of a failed delivery");
  declare_listener(s, "schema_registry", c.schema_registry, "the Schema Registry API");
  s.string("schema_registry.topic", c.schema_registry.topic,
           "the compacted topic that holds the registry's schemas and settings, in Confluent's "
           "layout (kafkastore.topic)");
  s.choice("schema_registry.compatibility_level", c.schema_registry.compatibility_level,
           {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
            "FULL_TRANSITIVE"},
           "compatibility level of subjects with no level of their own until PUT /config sets "
           "one (schema.compatibility.level)");
  s.duration("schema_registry.timeout", c.schema_registry.timeout,
             "how long a registration may wait for Kafka to store it and for this instance to "
             "read it back (kafkastore.timeout.ms)");
  s.string("schema_registry.group_id", c.schema_registry.group_id,
           "Kafka consumer group of the registry instances sharing one topic; the member holding "
           "the topic's partition writes, the others forward writes to it "
           "(schema.registry.group.id)");
  s.string("schema_registry.advertised_url", c.schema_registry.advertised_url,
           "URL other registry instances use to forward writes to this one; empty means the "
           "listener's own URL");
  s.duration("schema_registry.session_timeout", c.schema_registry.session_timeout,
             "how long a silent writer keeps the role before another instance takes over");
  declare_security(s, "schema_registry", c.schema_registry.security);
  declare_listener(s, "rest_proxy", c.rest_proxy, "the REST Proxy API");
  s.duration("rest_proxy.consumer_instance_timeout", c.rest_proxy.consumer_instance_timeout,
             "a REST consumer instance unused this long is closed (consumer.instance.timeout.ms)");
  s.duration("rest_proxy.consumer_request_timeout", c.rest_proxy.consumer_request_timeout,
             "longest a records request waits for records (consumer.request.timeout.ms)");
  s.size("rest_proxy.consumer_request_max_bytes", c.rest_proxy.consumer_request_max_bytes,
         "most record bytes in one records response (consumer.request.max.bytes)");
  s.integer("rest_proxy.consumer_fetch_min_bytes", c.rest_proxy.consumer_fetch_min_bytes, -1,
            0x7fffffff,
            "a records request answers as soon as it holds more than this many bytes; -1 waits "
            "for the timeout (fetch.min.bytes)");
  s.integer("rest_proxy.max_consumer_instances", c.rest_proxy.max_consumer_instances, 1, 100'000,
            "consumer instances open at once; creating another answers 429");
  s.size("rest_proxy.stream_max_in_flight_bytes", c.rest_proxy.stream_max_in_flight_bytes,
         "record bytes one streamed v3 produce request may have waiting for Kafka; beyond it "
         "the proxy stops reading that request until acknowledgements catch up");
  s.integer("rest_proxy.produce_batch_max_entries", c.rest_proxy.produce_batch_max_entries, 1,
            1'000'000, "most entries in one v3 records:batch request");
  s.string("rest_proxy.schema_registry_url", c.rest_proxy.schema_registry_url,
           "Schema Registry the avro embedded format registers and fetches schemas with "
           "(schema.registry.url); empty means this Wharf's own registry when it is enabled");
  s.secret("rest_proxy.schema_registry_basic_auth_user_info",
           c.rest_proxy.schema_registry_basic_auth_user_info,
           "user:password the REST Proxy sends (HTTP Basic) to a Schema Registry that requires "
           "authentication (schema.registry.basic.auth.user.info)");
  s.secret("rest_proxy.schema_registry_bearer_token", c.rest_proxy.schema_registry_bearer_token,
           "bearer token (an API key or a JWT) the REST Proxy sends to the Schema Registry "
           "instead (schema.registry.bearer.auth.token)");
  declare_security(s, "rest_proxy", c.rest_proxy.security);
  declare_listener(s, "connect", c.connect, "the Kafka Connect REST API");
}

logging::options wharf_config::logging_options() const {
  logging::options opts;
  opts.level = log.level;
  opts.format = log.format == "json" ? logging::log_format::json : logging::log_format::text;
  opts.file = log.file;
  opts.max_file_size = log.max_file_size;
  opts.max_files = log.max_files;
  return opts;
}

http::server_options wharf_config::http_options(const std::string& name,
                                                const listener_config& l) const {
  http::server_options opts;
  opts.name = name;
  opts.host = l.host;
  opts.port = l.port;
  opts.tls = l.tls;
  opts.max_header_bytes = http.max_header_size;
  opts.max_body_bytes = http.max_body_size;
  opts.read_timeout = http.read_timeout;
  opts.idle_timeout = http.idle_timeout;
  opts.max_connections = static_cast<std::size_t>(http.max_connections);
  return opts;
}

loaded_config load_config(const std::string& file, const std::vector<std::string>& environment,
                          const std::vector<std::string>& set_flags) {
  loaded_config out;
  out.values = std::make_unique<wharf_config>();
  out.schema = std::make_unique<config::schema>();
  declare_options(*out.schema, *out.values);
  auto append = [&out](std::vector<config::problem> more) {
    for (auto& p : more) out.problems.push_back(std::move(p));
  };
  if (!file.empty()) append(out.schema->load_file(file));
  append(out.schema->load_environment(environment));
  for (const auto& flag : set_flags) append(out.schema->set(flag));

  auto& c = *out.values;
  for (const auto& property : c.kafka.client_properties) {
    auto eq = property.find('=');
    if (eq == std::string::npos || eq == 0) {
      out.problems.push_back({"kafka.client_properties",
                              {file.empty() ? "configuration" : file, 0},
                              "'" + property + "' is not name=value"});
    }
  }
  // Each service's security settings hang together (keys, password forms, rules, the
  // RS256 key file): checked here so `wharf config check` reports them too.
  auto check_security = [&](const char* prefix, const http_security_config& config,
                            std::vector<std::string> operations) {
    auto security = security_options(config);
    if (security.ok()) {
      auto gate = http::security::gatekeeper::create(std::move(*security), std::move(operations));
      if (!gate.ok()) security = gate.err();
    }
    if (!security.ok()) {
      out.problems.push_back({std::string(prefix) + ".auth",
                              {file.empty() ? "configuration" : file, 0},
                              security.err().message()});
    }
  };
  check_security("rest_proxy", c.rest_proxy.security, rest_proxy::access_rule_operations());
  check_security("schema_registry", c.schema_registry.security, registry::access_rule_operations());
  for (const auto& problem :
       triggers::check_config(c.functions, c.triggers.mappings, c.triggers.clusters)) {
    out.problems.push_back({"triggers", {file.empty() ? "configuration" : file, 0}, problem});
  }
  for (const auto& problem :
       router::check_config(c.router.rules, c.router.api_destinations, c.router.pipes)) {
    out.problems.push_back({"router", {file.empty() ? "configuration" : file, 0}, problem});
  }
  if (!c.rest_proxy.schema_registry_basic_auth_user_info.empty() &&
      !c.rest_proxy.schema_registry_bearer_token.empty()) {
    out.problems.push_back({"rest_proxy.schema_registry_bearer_token",
                            {file.empty() ? "configuration" : file, 0},
                            "set either schema_registry_basic_auth_user_info or "
                            "schema_registry_bearer_token, not both"});
  }
  // Checks that involve more than one option.
  for (listener_config* l : std::initializer_list<listener_config*>{&c.admin, &c.schema_registry,
                                                                    &c.rest_proxy, &c.connect}) {
    if (l->tls.cert_file.empty() != l->tls.key_file.empty()) {
      out.problems.push_back({"tls",
                              {file.empty() ? "configuration" : file, 0},
                              "tls.cert_file and tls.key_file must be set together"});
    }
  }
  return out;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) out.emplace_back(*e);
  return out;
}

}  // namespace wharf::app
