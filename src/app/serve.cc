#include "app/serve.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "app/admin.h"
#include "app/version.h"
#include "base/base64.h"
#include "base/health.h"
#include "base/logging.h"
#include "broker/broker.h"
#include "kafka/client/cluster.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"
#include "net/io_runtime.h"
#include "services/registry/registry.h"
#include "services/rest_proxy/rest_proxy.h"
#include "services/router/router.h"
#include "services/triggers/triggers.h"

namespace wharf::app {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Where the integration services reach Kafka: the configured cluster, else the embedded
// broker's listener (a wildcard bind is reached over loopback). Empty if neither.
std::vector<std::string> kafka_bootstrap(const wharf_config& config,
                                         const broker::broker* embedded) {
  if (!config.kafka.bootstrap_servers.empty()) return config.kafka.bootstrap_servers;
  if (!embedded) return {};
  auto address = embedded->listener_address();
  auto colon = address.rfind(':');
  auto host = address.substr(0, colon);
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::" || host == "[::]") host = "[::1]";
  return {host + address.substr(colon)};
}

result<rest_proxy::service_options> rest_proxy_options(const wharf_config& config) {
  rest_proxy::service_options opts;
  opts.http = config.http_options("rest_proxy", config.rest_proxy);
  const auto& r = config.rest_proxy;
  opts.consumers.instance_timeout = r.consumer_instance_timeout;
  opts.consumers.request_timeout = r.consumer_request_timeout;
  opts.consumers.request_max_bytes = r.consumer_request_max_bytes;
  opts.consumers.fetch_min_bytes = r.consumer_fetch_min_bytes;
  opts.consumers.max_instances = static_cast<std::size_t>(r.max_consumer_instances);
  opts.produce.stream_max_in_flight_bytes = r.stream_max_in_flight_bytes;
  opts.produce.max_record_bytes = opts.http.max_body_bytes;
  opts.produce.batch_max_entries = static_cast<std::size_t>(r.produce_batch_max_entries);
  opts.schema_registry_url = r.schema_registry_url;
  if (opts.schema_registry_url.empty() && config.schema_registry.enabled) {
    // Our own registry: reached on its listener (a wildcard address through loopback).
    auto host = config.schema_registry.host;
    if (host == "0.0.0.0" || host == "::" || host.empty()) host = "127.0.0.1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    bool tls = config.schema_registry.tls.enabled();
    opts.schema_registry_url =
        fmt::format("{}://{}:{}", tls ? "https" : "http", host, config.schema_registry.port);
  }
  opts.schema_registry_timeout = config.schema_registry.timeout;
  if (!r.schema_registry_basic_auth_user_info.empty()) {
    opts.schema_registry_authorization =
        "Basic " + base64::encode(r.schema_registry_basic_auth_user_info);
  } else if (!r.schema_registry_bearer_token.empty()) {
    opts.schema_registry_authorization = "Bearer " + r.schema_registry_bearer_token;
  }
  WHARF_ASSIGN_OR_RETURN(auto security, security_options(r.security));
  WHARF_ASSIGN_OR_RETURN(opts.security,
                         http::security::gatekeeper::create(std::move(security),
                                                            rest_proxy::access_rule_operations()));
  return opts;
}

}  // namespace

void block_stop_signals() {
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A client that goes away mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

int serve(const wharf_config& config) {
  auto started = std::chrono::steady_clock::now();
  auto log = logging::get("wharf");

  metrics::registry metrics;
  metrics::register_process_metrics(metrics, version_string);
  health_registry health;

  net::io_runtime runtime(config.server.io_threads);
  runtime.start();

  std::vector<std::unique_ptr<http::server>> servers;
  std::unique_ptr<broker::broker> kafka_broker;

  if (config.broker.enabled) {
    broker::broker_options opts;
    opts.node_id = config.broker.node_id;
    opts.host = config.broker.host;
    opts.port = config.broker.port;
    opts.advertised_host = config.broker.advertised_host;
    opts.advertised_port = config.broker.advertised_port;
    opts.data_dir = config.broker.data_dir;
    opts.auto_create_topics = config.broker.auto_create_topics;
    opts.default_partitions = config.broker.num_partitions;
    opts.max_request_bytes = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(config.broker.max_request_size, 0x7fffffff));
    opts.connections_max_idle = config.broker.connections_max_idle;
    opts.max_in_flight_request_bytes = config.broker.max_in_flight_request_bytes;
    opts.retention_check_interval = config.broker.retention_check_interval;
    opts.group_initial_rebalance_delay = config.broker.group_initial_rebalance_delay;
    opts.group_min_session_timeout = config.broker.group_min_session_timeout;
    opts.group_max_session_timeout = config.broker.group_max_session_timeout;
    opts.offsets_topic_num_partitions = config.broker.offsets_topic_num_partitions;
    opts.offsets_retention = config.broker.offsets_retention;
    opts.offsets_retention_check_interval = config.broker.offsets_retention_check_interval;
    opts.offset_metadata_max_bytes = config.broker.offset_metadata_max_bytes;
    auto started_broker = broker::broker::start(runtime, opts, metrics);
    if (!started_broker) {
      log->critical("embedded broker: {}", started_broker.err().message());
      runtime.stop();
      return 1;
    }
    kafka_broker = std::move(*started_broker);
    auto* b = kafka_broker.get();
    health.add("kafka-broker", [b] { return b->ready(); });
  }

  // The integration services' one way to Kafka (GUIDE.md: never the broker's internals).
  std::unique_ptr<kafka::client::cluster> kafka_cluster;
  std::unique_ptr<rest_proxy::service> rest;
  std::unique_ptr<registry::service> schema_registry;
  auto bootstrap = kafka_bootstrap(config, kafka_broker.get());
  // Connects once, for the first service that needs Kafka; false if that failed.
  auto connect_kafka = [&]() -> bool {
    if (kafka_cluster) return true;
    kafka::client::cluster_options opts;
    opts.bootstrap_servers = bootstrap;
    opts.client_id = "wharf";
    opts.worker_threads = static_cast<std::size_t>(config.kafka.client_worker_threads);
    opts.producer_max_in_flight_bytes = config.kafka.producer_max_in_flight_bytes;
    opts.request_timeout = config.kafka.request_timeout;
    opts.producer_delivery_timeout = config.kafka.producer_delivery_timeout;
    for (const auto& property : config.kafka.client_properties) {
      auto eq = property.find('=');
      opts.properties[property.substr(0, eq)] = property.substr(eq + 1);
    }
    auto connected = kafka::client::cluster::connect(opts);
    if (!connected) {
      log->critical("Kafka client: {}", connected.err().message());
      return false;
    }
    kafka_cluster = std::move(*connected);
    return true;
  };
  auto fail = [&](const std::string& message) {
    log->critical("{}", message);
    rest.reset();
    schema_registry.reset();
    if (kafka_cluster) kafka_cluster->shutdown(std::chrono::milliseconds(0));
    runtime.stop();
    return 1;
  };
  auto needs_kafka = [&](const char* what, const listener_config& listener) {
    if (!listener.enabled) return false;
    if (bootstrap.empty()) {
      log->warn(
          "the {} needs a Kafka cluster: set kafka.bootstrap_servers or enable the embedded "
          "broker; {}:{} stays closed",
          what, listener.host, listener.port);
      return false;
    }
    return true;
  };
  if (needs_kafka("REST Proxy", config.rest_proxy)) {
    if (!connect_kafka()) return fail("cannot reach Kafka");
    auto rest_options = rest_proxy_options(config);
    if (!rest_options)
      return fail(rest_options.err().with_context("REST Proxy security").message());
    auto started_rest =
        rest_proxy::service::start(runtime, std::move(*rest_options), *kafka_cluster, &metrics);
    if (!started_rest) return fail(started_rest.err().message());
    rest = std::move(*started_rest);
    auto* r = rest.get();
    health.add("rest-proxy", [r] { return r->ready(); });
  }
  if (needs_kafka("Schema Registry", config.schema_registry)) {
    if (!connect_kafka()) return fail("cannot reach Kafka");
    registry::service_options opts;
    opts.http = config.http_options("schema_registry", config.schema_registry);
    opts.topic = config.schema_registry.topic;
    opts.default_compatibility = config.schema_registry.compatibility_level;
    opts.timeout = config.schema_registry.timeout;
    opts.group_id = config.schema_registry.group_id;
    opts.advertised_url = config.schema_registry.advertised_url;
    opts.session_timeout = config.schema_registry.session_timeout;
    auto security = security_options(config.schema_registry.security);
    if (security.ok()) {
      auto gate = http::security::gatekeeper::create(std::move(*security),
                                                     registry::access_rule_operations());
      if (gate.ok()) {
        opts.security = std::move(*gate);
      } else {
        security = gate.err();
      }
    }
    if (!security.ok()) {
      return fail(security.err().with_context("Schema Registry security").message());
    }
    auto started = registry::service::start(runtime, opts, *kafka_cluster, &metrics);
    if (!started) return fail(started.err().message());
    schema_registry = std::move(*started);
    auto* r = schema_registry.get();
    health.add("schema-registry", [r] { return r->ready(); });
  }

  std::unique_ptr<triggers::service> trigger_service;
  if (config.triggers.enabled && !bootstrap.empty()) {
    if (!connect_kafka()) return fail("cannot reach Kafka");
    triggers::service_options opts;
    opts.region = config.aws.region;
    opts.account_id = config.aws.account_id;
    opts.cluster_name = config.aws.cluster_name;
    opts.topic = config.triggers.topic;
    opts.functions_json = config.functions;
    opts.mappings_json = config.triggers.mappings;
    opts.clusters_json = config.triggers.clusters;
    opts.retry_backoff = config.triggers.retry_backoff;
    opts.retry_backoff_max = config.triggers.retry_backoff_max;
    opts.data_dir = config.broker.data_dir;
    opts.allow_api_commands = config.triggers.api_functions.allow_commands;
    opts.api_max_concurrency = config.triggers.api_functions.max_concurrency;
    auto started_triggers = triggers::service::start(runtime, opts, *kafka_cluster, &metrics);
    if (!started_triggers) return fail(started_triggers.err().with_context("triggers").message());
    trigger_service = std::move(*started_triggers);
    auto* t = trigger_service.get();
    health.add("triggers", [t] { return t->ready(); });
  }

  std::unique_ptr<router::service> router_service;
  if (config.router.enabled && !bootstrap.empty()) {
    if (!connect_kafka()) return fail("cannot reach Kafka");
    router::service_options opts;
    opts.region = config.aws.region;
    opts.account_id = config.aws.account_id;
    opts.topic = config.router.topic;
    opts.bus_topic_prefix = config.router.bus_topic_prefix;
    opts.bus_partitions = config.router.bus_partitions;
    opts.rules_json = config.router.rules;
    opts.api_destinations_json = config.router.api_destinations;
    opts.pipes_json = config.router.pipes;
    opts.retry_backoff = config.router.retry_backoff;
    opts.retry_backoff_max = config.router.retry_backoff_max;
    if (auto* t = trigger_service.get()) {
      opts.function_exists = [t](const std::string& name) { return t->has_function(name); };
      opts.invoke_function = [t](const std::string& name, const std::string& event) {
        return t->invoke_function(name, event);
      };
      opts.call_function = [t](const std::string& name, const std::string& event) {
        return t->call_function(name, event);
      };
      opts.backbone_arn = [t] { return t->cluster_arn(); };
    }
    auto started_router = router::service::start(opts, *kafka_cluster, &metrics);
    if (!started_router) return fail(started_router.err().with_context("router").message());
    router_service = std::move(*started_router);
    if (trigger_service) {
      auto* rs = router_service.get();
      trigger_service->set_function_users(
          [rs](const std::string& name) { return rs->rules_using_function(name); });
    }
    auto* r = router_service.get();
    health.add("router", [r] { return r->ready(); });
  }

  // The Kafka-backed services read their topics in the background: when Kafka is up they
  // are ready within moments, and waiting for that here (once, for all of them) makes
  // /healthz right as soon as the admin listener opens; when Kafka is down, start-up does
  // not wait long for it.
  auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto all_ready = [&health] {
    for (const auto& c : health.evaluate()) {
      if (!c.ready) return false;
    }
    return true;
  };
  while (!all_ready() && std::chrono::steady_clock::now() < ready_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  if (config.admin.enabled) {
    auto routes = std::make_shared<http::router>();
    add_admin_routes(*routes, metrics, health, version_string);
    if (trigger_service) trigger_service->add_routes(*routes);
    if (router_service) router_service->add_routes(*routes);
    auto admin =
        http::server::start(runtime, config.http_options("admin", config.admin), routes, &metrics);
    if (!admin) {
      fail(admin.err().message());
      return 1;
    }
    auto* admin_server = admin->get();
    health.add("admin-http", [admin_server] { return admin_server->accepting(); });
    servers.push_back(std::move(*admin));
  }

  auto elapsed =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  log->info("wharf {} ({}) started in {:.1f} ms", version_string, git_revision, elapsed.count());
  if (config.admin.enabled) {
    log->info("admin HTTP (health, metrics) listening on {}", servers.front()->url());
  }
  if (kafka_broker) {
    log->info("embedded Kafka broker listening on {} (cluster id {}, data in {})",
              kafka_broker->listener_address(), kafka_broker->cluster_id(), config.broker.data_dir);
  }
  if (rest) {
    log->info("REST Proxy listening on {} (Kafka at {})", rest->url(),
              fmt::format("{}", fmt::join(bootstrap, ",")));
  }
  struct pending_listener {
    const char* what;
    const listener_config& listener;
  };
  if (schema_registry) log->info("Schema Registry listening on {}", schema_registry->url());
  for (const auto& p : {pending_listener{"Kafka Connect", config.connect}}) {
    if (p.listener.enabled) {
      log->info("{} is not built yet; {}:{} stays closed", p.what, p.listener.host,
                p.listener.port);
    }
  }

  auto signals = stop_signals();
  int received = 0;
  sigwait(&signals, &received);
  log->info("received {}, shutting down (grace period {} ms)", strsignal(received),
            config.server.shutdown_grace_period.count());

  // A second signal during the grace period stops at once.
  std::thread([signals, log]() mutable {
    int again = 0;
    sigwait(&signals, &again);
    log->warn("received {} again, exiting immediately", strsignal(again));
    logging::flush_all();
    std::_Exit(130);
  }).detach();

  auto deadline = std::chrono::steady_clock::now() + config.server.shutdown_grace_period;
  for (auto& s : servers) s->stop_accepting();
  if (rest) rest->stop_accepting();
  if (schema_registry) schema_registry->stop_accepting();
  if (kafka_broker) kafka_broker->stop_accepting();
  bool clean = true;
  for (auto& s : servers) clean = s->drain(deadline) && clean;
  // The services finish with Kafka before the embedded broker goes away.
  if (rest) clean = rest->shutdown(deadline) && clean;
  if (schema_registry) clean = schema_registry->shutdown(deadline) && clean;
  if (router_service) router_service->shutdown();  // its function targets use the triggers'
  if (trigger_service) trigger_service->shutdown();
  if (kafka_cluster) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    kafka_cluster->shutdown(std::max(left, std::chrono::milliseconds(0)));
  }
  if (kafka_broker) clean = kafka_broker->shutdown(deadline) && clean;
  servers.clear();
  rest.reset();
  schema_registry.reset();
  router_service.reset();
  trigger_service.reset();
  kafka_cluster.reset();
  kafka_broker.reset();
  runtime.stop();
  log->info("stopped{}",
            clean ? "" : " (some connections were cut at the end of the grace period)");
  logging::flush_all();
  return 0;
}

}  // namespace wharf::app
