// Internal to the REST Proxy: what its route handlers share, and the functions that add
// the v2 and v3 routes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "http/router.h"
#include "http/security/gatekeeper.h"
#include "kafka/client/cluster.h"
#include "services/rest_proxy/api_errors.h"
#include "services/rest_proxy/consumer_instances.h"
#include "services/rest_proxy/metadata_cache.h"
#include "services/rest_proxy/rest_proxy.h"
#include "services/rest_proxy/schema_client.h"

namespace wharf::rest_proxy {

// What a principal wants to do to a topic. Describing (seeing its metadata, finding it in
// lists) is allowed to whoever may produce, consume or administer it.
enum class topic_access { describe, produce, consume, admin };

struct proxy_context {
  kafka::client::cluster& cluster;
  std::shared_ptr<metadata_cache> metadata;
  std::shared_ptr<consumer_registry> consumers;
  request_filter filter;         // runs before every route; may answer instead of it
  bool secure = false;           // served over TLS (for the URLs we hand out)
  std::string listener_address;  // host:port, when a request has no Host header
  produce_limits produce;
  std::shared_ptr<schema_client> schemas;  // null: no Schema Registry configured
  std::shared_ptr<const http::security::gatekeeper> security;  // null: no security

  kafka::client::admin& admin() { return cluster.admin_client(); }
  kafka::client::worker_pool& workers() { return cluster.workers(); }
  // "http://host:port" as the client reached us.
  std::string base_url(const http::request& req) const;

  // Whether principal (a request's) may access topic so (always, without security).
  bool allows(std::string_view principal, topic_access access, std::string_view topic) const;
  // ... every topic, present and future (needed for pattern subscriptions).
  bool allows_every_topic(std::string_view principal, topic_access access) const;
  // The first of topics principal may not access, if any.
  std::optional<std::string> first_forbidden(std::string_view principal, topic_access access,
                                             const std::vector<std::string>& topics) const;
};

// 403/40301 naming the topic and what was refused.
http::response topic_forbidden(topic_access access, std::string_view topic);

// The access an operation needs before its handler runs, checked against the topic in
// its path; nullopt lets it run. Operations not known here are refused: a new route
// must say what it needs (authorization.cc).
std::optional<http::response> check_route_access(const proxy_context& ctx, const http::request& req,
                                                 std::string_view operation);
// Whether the access table has an entry for operation (add_route asserts it does).
bool route_access_declared(std::string_view operation);

using route_handler = std::function<void(http::request&&, http::responder)>;

// Adds a route whose handler runs after ctx->filter lets the request through.
void add_route(http::router& routes, const std::shared_ptr<proxy_context>& ctx, std::string method,
               std::string pattern, std::string operation, route_handler handler);

// Adds a streaming route (its body read as it arrives) behind the same filter.
using stream_route_handler =
    std::function<http::body_consumer(http::request&&, std::shared_ptr<http::body_stream>)>;
void add_stream_route(http::router& routes, const std::shared_ptr<proxy_context>& ctx,
                      std::string method, std::string pattern, std::string operation,
                      stream_route_handler handler);

// A JSON body with the v2 content type (application/vnd.kafka.v2+json) or another.
http::response json_response(int status, const boost::json::value& body, std::string content_type);
inline http::response v2_response(int status, const boost::json::value& body) {
  return json_response(status, body, "application/vnd.kafka.v2+json");
}
inline http::response v3_response(int status, const boost::json::value& body) {
  return json_response(status, body, "application/json");
}
http::response no_content();

// Kafka's rules for topic names (org.apache.kafka.common.internals.Topic.validate): 1 to
// 249 of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view name);

// A path parameter that must be a partition id (non-negative int32).
std::optional<std::int32_t> parse_partition_id(std::string_view text);

void add_v2_routes(http::router& routes, const std::shared_ptr<proxy_context>& ctx);
void add_v3_routes(http::router& routes, const std::shared_ptr<proxy_context>& ctx);

// Every route the REST Proxy serves: v2, v3, its root and GET /openapi.json.
std::shared_ptr<http::router> make_router(const std::shared_ptr<proxy_context>& ctx);

// The OpenAPI document of every route (src/services/rest_proxy/openapi.json, embedded
// at build time).
std::string_view openapi_document();

}  // namespace wharf::rest_proxy
