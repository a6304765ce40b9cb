// Wharf's configuration: every section and option of the one YAML file, with defaults
// that bind to 127.0.0.1 on the ecosystem's usual ports.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/logging.h"
#include "http/security/gatekeeper.h"
#include "http/server.h"

namespace wharf::app {

struct listener_config {
  bool enabled = true;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  http::tls_options tls;
};

// Authentication, access rules, rate limits and CORS of an HTTP listener
// (http/security); everything is off by default.
struct http_security_config {
  struct {
    bool enabled = false;
    std::vector<std::string> api_keys;     // "principal:key"
    std::vector<std::string> basic_users;  // "user:plain:pw", "user:sha256:salt:hex", ...
    bool anonymous = false;
    std::string realm = "wharf";
    std::vector<std::string> rules;  // "principal:operation:topic pattern"
    struct {
      std::string hs256_secret;
      std::string rs256_public_key_file;
      std::string audience;
      std::string issuer;
      std::string principal_claim = "sub";
      std::chrono::milliseconds clock_skew{30'000};
    } jwt;
  } auth;
  struct {
    bool enabled = false;
    std::int64_t requests_per_second = 10;
    std::int64_t burst = 20;
    std::vector<std::string> overrides;  // "principal:requests per second:burst"
  } rate_limit;
  struct {
    std::vector<std::string> allowed_origins;
    std::vector<std::string> allowed_methods{"GET", "POST", "PUT", "DELETE", "HEAD"};
    std::vector<std::string> allowed_headers{"Authorization", "Content-Type", "Accept"};
    std::vector<std::string> exposed_headers{"Retry-After", "WWW-Authenticate"};
    bool allow_credentials = false;
    std::chrono::milliseconds max_age{600'000};
  } cors;
};

// The REST Proxy's listener and its consumer settings (Confluent's names in the
// descriptions).
struct rest_proxy_config : listener_config {
  std::chrono::milliseconds consumer_instance_timeout{300'000};
  std::chrono::milliseconds consumer_request_timeout{1'000};
  std::uint64_t consumer_request_max_bytes = 64ull << 20;
  std::int64_t consumer_fetch_min_bytes = -1;
  std::int64_t max_consumer_instances = 100;
  std::uint64_t stream_max_in_flight_bytes = 16ull << 20;
  std::int64_t produce_batch_max_entries = 1000;
  std::string schema_registry_url;  // empty: Wharf's own registry, when it is enabled
  std::string schema_registry_basic_auth_user_info;  // "user:password"
  std::string schema_registry_bearer_token;
  http_security_config security;  // rest_proxy.auth, rest_proxy.rate_limit, rest_proxy.cors
};

// The Schema Registry's listener and storage (Confluent's names in the descriptions).
struct schema_registry_config : listener_config {
  std::string topic = "_schemas";
  std::string compatibility_level = "BACKWARD";
  std::chrono::milliseconds timeout{10'000};
  std::string group_id = "schema-registry";
  std::string advertised_url;
  std::chrono::milliseconds session_timeout{10'000};
  http_security_config security;  // schema_registry.auth, .rate_limit, .cors
};

struct wharf_config {
  struct {
    std::string level = "info";
    std::string format = "text";
    std::string file;
    std::uint64_t max_file_size = 64ull << 20;
    int max_files = 5;
  } log;

  struct {
    int io_threads = 0;
    std::chrono::milliseconds shutdown_grace_period{10'000};
  } server;

  struct {
    std::uint64_t max_header_size = 16 * 1024;
    std::uint64_t max_body_size = 16 * 1024 * 1024;
    std::chrono::milliseconds read_timeout{30'000};
    std::chrono::milliseconds idle_timeout{75'000};
    std::int64_t max_connections = 10'000;
  } http;

  struct {
    bool enabled = true;
    std::string host = "127.0.0.1";
    std::uint16_t port = 9092;
    std::string data_dir = "./wharf-data";
    int node_id = 1;
    std::string advertised_host;
    std::uint16_t advertised_port = 0;
    bool auto_create_topics = true;
    int num_partitions = 1;
    std::uint64_t max_request_size = 100 * 1024 * 1024;
    std::uint64_t max_in_flight_request_bytes = 256ull * 1024 * 1024;
    std::chrono::milliseconds connections_max_idle{600'000};
    std::chrono::milliseconds retention_check_interval{300'000};
    // The group coordinator (Kafka's group.* and offsets.* settings).
    std::chrono::milliseconds group_initial_rebalance_delay{0};
    std::chrono::milliseconds group_min_session_timeout{6'000};
    std::chrono::milliseconds group_max_session_timeout{1'800'000};
    int offsets_topic_num_partitions = 50;
    std::chrono::milliseconds offsets_retention{7LL * 24 * 3'600'000};
    std::chrono::milliseconds offsets_retention_check_interval{600'000};
    std::int64_t offset_metadata_max_bytes = 4096;
  } broker;

  struct {
    // Where the integration services reach Kafka; empty means the embedded broker.
    std::vector<std::string> bootstrap_servers;
    int client_worker_threads = 4;
    std::uint64_t producer_max_in_flight_bytes = 64ull << 20;
    std::chrono::milliseconds request_timeout{10'000};
    std::chrono::milliseconds producer_delivery_timeout{30'000};
    std::vector<std::string> client_properties;  // "name=value" librdkafka properties
  } kafka;

  // The names Wharf's AWS-shaped APIs put in ARNs.
  struct {
    std::string region = "us-east-1";
    std::string account_id = "000000000000";
    std::string cluster_name = "wharf";
  } aws;

  std::string functions;  // the functions section, as JSON

  struct {
    bool enabled = true;
    std::string topic = "_wharf_triggers";
    std::string mappings;  // event source mappings declared here, as JSON
    std::string clusters;  // other Kafka clusters they may read, as JSON
    std::chrono::milliseconds retry_backoff{500};
    std::chrono::milliseconds retry_backoff_max{30'000};
    struct {
      bool allow_commands = false;  // may the function API create command/code functions
      int max_concurrency = 10;     // the largest concurrency of a function made by the API
    } api_functions;
  } triggers;

  struct {
    bool enabled = true;
    std::string topic = "_wharf_router";
    std::string bus_topic_prefix = "wharf.bus.";
    int bus_partitions = -1;
    std::string rules;             // rules declared here, as JSON
    std::string api_destinations;  // HTTP endpoints rule targets name, as JSON
    std::string pipes;             // pipes declared here, as JSON
    std::chrono::milliseconds retry_backoff{1'000};
    std::chrono::milliseconds retry_backoff_max{60'000};
  } router;

  listener_config admin{.port = 8080};
  schema_registry_config schema_registry{{.port = 8081}};
  rest_proxy_config rest_proxy{{.port = 8082}};
  listener_config connect{.port = 8083};

  logging::options logging_options() const;
  http::server_options http_options(const std::string& name, const listener_config& l) const;
};

// The gatekeeper's options from a listener's security settings; reads the RS256 key file.
result<http::security::security_options> security_options(const http_security_config& c);

// Binds every option of cfg to the schema (the schema keeps references into cfg).
void declare_options(config::schema& schema, wharf_config& cfg);

// A loaded configuration: defaults, then the file, then WHARF_* variables, then flags.
struct loaded_config {
  std::unique_ptr<wharf_config> values;
  std::unique_ptr<config::schema> schema;
  std::vector<config::problem> problems;
};

loaded_config load_config(const std::string& file, const std::vector<std::string>& environment,
                          const std::vector<std::string>& set_flags);

// The process environment as "NAME=value" strings.
std::vector<std::string> current_environment();

}  // namespace wharf::app
