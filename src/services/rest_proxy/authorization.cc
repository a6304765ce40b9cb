// What each REST Proxy operation needs from the principal, in one table, and the checks
// route handlers make on topics they only learn from the request body.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "services/rest_proxy/routes.h"

namespace wharf::rest_proxy {
namespace {

enum class need {
  authenticated,    // any authenticated principal; the handler checks topics it reads
  path_topic,       // the access on the topic named in the path
  group_inspector,  // consume or admin rights on some topic (no per-group rules yet)
};

struct route_rule {
  std::string_view operation;
  need what;
  topic_access access = topic_access::describe;
  std::string_view topic_param = {};
};

constexpr std::array route_rules{
    route_rule{"root", need::authenticated},
    // v2 metadata and produce.
    route_rule{"openapi", need::authenticated},         // the API's description, like any route
    route_rule{"v2.topics.list", need::authenticated},  // lists only topics it may describe
    route_rule{"v2.topics.get", need::path_topic, topic_access::describe, "topic"},
    route_rule{"v2.produce", need::path_topic, topic_access::produce, "topic"},
    route_rule{"v2.partitions.list", need::path_topic, topic_access::describe, "topic"},
    route_rule{"v2.partitions.get", need::path_topic, topic_access::describe, "topic"},
    route_rule{"v2.partitions.offsets", need::path_topic, topic_access::describe, "topic"},
    route_rule{"v2.brokers.list", need::authenticated},
    // v2 consumers: instances belong to their creator; subscribe, assign, seek and
    // commit check consume rights on the topics in their bodies.
    route_rule{"v2.consumers.create", need::authenticated},
    route_rule{"v2.consumers.delete", need::authenticated},
    route_rule{"v2.consumers.subscribe", need::authenticated},
    route_rule{"v2.consumers.subscription", need::authenticated},
    route_rule{"v2.consumers.unsubscribe", need::authenticated},
    route_rule{"v2.consumers.assign", need::authenticated},
    route_rule{"v2.consumers.assignment", need::authenticated},
    route_rule{"v2.consumers.seek", need::authenticated},
    route_rule{"v2.consumers.records", need::authenticated},
    route_rule{"v2.consumers.commit", need::authenticated},
    route_rule{"v2.consumers.committed", need::authenticated},
    // v3.
    route_rule{"v3.clusters.list", need::authenticated},
    route_rule{"v3.clusters.get", need::authenticated},
    route_rule{"v3.topics.list", need::authenticated},    // lists only topics it may describe
    route_rule{"v3.topics.create", need::authenticated},  // admin on the name in the body
    route_rule{"v3.topics.get", need::path_topic, topic_access::describe, "topic_name"},
    route_rule{"v3.topics.delete", need::path_topic, topic_access::admin, "topic_name"},
    route_rule{"v3.topic-configs.list", need::path_topic, topic_access::admin, "topic_name"},
    route_rule{"v3.topic-configs.get", need::path_topic, topic_access::admin, "topic_name"},
    route_rule{"v3.partitions.list", need::path_topic, topic_access::describe, "topic_name"},
    route_rule{"v3.partitions.get", need::path_topic, topic_access::describe, "topic_name"},
    route_rule{"v3.produce", need::path_topic, topic_access::produce, "topic_name"},
    route_rule{"v3.produce-batch", need::path_topic, topic_access::produce, "topic_name"},
    route_rule{"v3.topic-configs.update", need::path_topic, topic_access::admin, "topic_name"},
    route_rule{"v3.topic-configs.reset", need::path_topic, topic_access::admin, "topic_name"},
    route_rule{"v3.topic-configs.alter", need::path_topic, topic_access::admin, "topic_name"},
    route_rule{"v3.consumer-groups.list", need::group_inspector},
    route_rule{"v3.consumer-groups.get", need::group_inspector},
    route_rule{"v3.consumers.list", need::group_inspector},
    route_rule{"v3.consumers.get", need::group_inspector},
    route_rule{"v3.consumer-assignments.list", need::group_inspector},
    route_rule{"v3.consumer-assignments.get", need::group_inspector},
    route_rule{"v3.consumer-lags.list", need::group_inspector},
    route_rule{"v3.consumer-lags.get", need::group_inspector},
    route_rule{"v3.consumer-group-lag-summary.get", need::group_inspector},
};

std::string_view rule_operation(topic_access access) {
  switch (access) {
    case topic_access::produce: return "produce";
    case topic_access::consume: return "consume";
    case topic_access::admin: return "admin";
    case topic_access::describe: break;
  }
  return "describe";
}

constexpr std::array granting_describe{topic_access::produce, topic_access::consume,
                                       topic_access::admin};

}  // namespace

const std::vector<std::string>& access_rule_operations() {
  static const std::vector<std::string> operations{"produce", "consume", "admin"};
  return operations;
}

bool proxy_context::allows(std::string_view principal, topic_access access,
                           std::string_view topic) const {
  if (!security) return true;
  if (access == topic_access::describe) {
    return std::any_of(granting_describe.begin(), granting_describe.end(), [&](auto a) {
      return security->allows(principal, rule_operation(a), topic);
    });
  }
  return security->allows(principal, rule_operation(access), topic);
}

bool proxy_context::allows_every_topic(std::string_view principal, topic_access access) const {
  if (!security) return true;
  if (access == topic_access::describe) {
    return std::any_of(granting_describe.begin(), granting_describe.end(), [&](auto a) {
      return security->allows_everything(principal, rule_operation(a));
    });
  }
  return security->allows_everything(principal, rule_operation(access));
}

std::optional<std::string> proxy_context::first_forbidden(
    std::string_view principal, topic_access access, const std::vector<std::string>& topics) const {
  for (const auto& t : topics) {
    if (!allows(principal, access, t)) return t;
  }
  return std::nullopt;
}

http::response topic_forbidden(topic_access access, std::string_view topic) {
  return http::security::gatekeeper::forbidden(
      fmt::format("Not authorized to {} topic {}", rule_operation(access), topic));
}

bool route_access_declared(std::string_view operation) {
  return std::any_of(route_rules.begin(), route_rules.end(),
                     [operation](const route_rule& r) { return r.operation == operation; });
}

std::optional<http::response> check_route_access(const proxy_context& ctx, const http::request& req,
                                                 std::string_view operation) {
  if (!ctx.security || !ctx.security->authentication_enabled()) return std::nullopt;
  auto rule = std::find_if(route_rules.begin(), route_rules.end(),
                           [operation](const route_rule& r) { return r.operation == operation; });
  if (rule == route_rules.end()) {
    return http::security::gatekeeper::forbidden(
        fmt::format("No access rule covers operation {}", operation));
  }
  switch (rule->what) {
    case need::authenticated: return std::nullopt;
    case need::path_topic: {
      const auto& topic = req.param(std::string(rule->topic_param));
      if (ctx.allows(req.principal, rule->access, topic)) return std::nullopt;
      return topic_forbidden(rule->access, topic);
    }
    case need::group_inspector:
      if (ctx.security->allows_some(req.principal, "consume") ||
          ctx.security->allows_some(req.principal, "admin")) {
        return std::nullopt;
      }
      return http::security::gatekeeper::forbidden("Not authorized to inspect consumer groups");
  }
  return std::nullopt;
}

}  // namespace wharf::rest_proxy
