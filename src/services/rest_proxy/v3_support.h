// Internal to the REST Proxy: what the v3 route files share (resource URLs and the
// cluster check every /v3/clusters/{cluster_id} route starts with).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "services/rest_proxy/routes.h"

namespace wharf::rest_proxy {

// URLs and resource names of one cluster, as the client reached us.
struct links {
  std::string base;  // http://host:port
  std::string cluster_id;

  std::string cluster() const { return base + "/v3/clusters/" + cluster_id; }
  std::string topics() const { return cluster() + "/topics"; }
  std::string topic(const std::string& t) const { return topics() + "/" + t; }
  std::string partition(const std::string& t, std::int32_t p) const {
    return topic(t) + "/partitions/" + std::to_string(p);
  }
  std::string crn() const { return "crn:///kafka=" + cluster_id; }
  std::string crn_topic(const std::string& t) const { return crn() + "/topic=" + t; }
};

boost::json::object resource_metadata(const std::string& self, const std::string& resource_name);

using cluster_then = std::function<void(const metadata_snapshot&, const links&, http::responder)>;

// Checks {cluster_id} against the cluster we reach, then calls then. Reads see the
// cluster as it is now; produce (need_topic set) may use cached metadata with the topic.
void with_cluster(const std::shared_ptr<proxy_context>& ctx, const http::request& req,
                  http::responder respond, std::optional<std::string> need_topic,
                  cluster_then then);

// Adds the v3 produce routes (single, streamed and batched records).
void add_v3_produce_routes(http::router& routes, const std::shared_ptr<proxy_context>& ctx);

}  // namespace wharf::rest_proxy
