// REST Proxy API v3 (plain JSON under /v3): clusters, topics (list, create, get,
// delete), topic configs, partitions, and producing a record.
#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include "services/rest_proxy/formats.h"
#include "services/rest_proxy/json_support.h"
#include "services/rest_proxy/records.h"
#include "services/rest_proxy/routes.h"

namespace wharf::rest_proxy {

namespace bj = boost::json;
namespace kc = kafka::client;

namespace {

using context_ptr = std::shared_ptr<proxy_context>;

// Kafka's UnknownTopicOrPartitionException, as Confluent maps it.
api_error unknown_topic() {
  return {error_codes::unknown_topic_or_partition,
          "This server does not host this topic-partition."};
}

bj::object related(const std::string& url) { return bj::object{{"related", url}}; }

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

bj::object resource_metadata(const std::string& self, const std::string& resource_name) {
  return bj::object{{"self", self}, {"resource_name", resource_name}};
}

bj::object collection(const std::string& kind, const std::string& self, bj::array data) {
  return bj::object{{"kind", kind},
                    {"metadata", bj::object{{"self", self}, {"next", nullptr}}},
                    {"data", std::move(data)}};
}

bj::object cluster_json(const links& l, const kc::cluster_metadata& md) {
  bj::object out{{"kind", "KafkaCluster"},
                 {"metadata", resource_metadata(l.cluster(), l.crn())},
                 {"cluster_id", l.cluster_id}};
  out["controller"] =
      md.controller_id >= 0
          ? bj::value(related(l.cluster() + "/brokers/" + std::to_string(md.controller_id)))
          : bj::value();
  out["acls"] = related(l.cluster() + "/acls");
  out["brokers"] = related(l.cluster() + "/brokers");
  out["broker_configs"] = related(l.cluster() + "/broker-configs");
  out["consumer_groups"] = related(l.cluster() + "/consumer-groups");
  out["topics"] = related(l.topics());
  out["partition_reassignments"] = related(l.topics() + "/-/partitions/-/reassignment");
  return out;
}

bj::object topic_json(const links& l, const std::string& name, bool is_internal,
                      int replication_factor, int partitions_count) {
  return bj::object{
      {"kind", "KafkaTopic"},
      {"metadata", resource_metadata(l.topic(name), l.crn_topic(name))},
      {"cluster_id", l.cluster_id},
      {"topic_name", name},
      {"is_internal", is_internal},
      {"replication_factor", replication_factor},
      {"partitions_count", partitions_count},
      {"partitions", related(l.topic(name) + "/partitions")},
      {"configs", related(l.topic(name) + "/configs")},
      {"partition_reassignments", related(l.topic(name) + "/partitions/-/reassignment")},
      {"authorized_operations", bj::array()}};
}

bj::object topic_json(const links& l, const kc::topic_info& t) {
  int replication = t.partitions.empty() ? 0 : static_cast<int>(t.partitions[0].replicas.size());
  return topic_json(l, t.name, t.is_internal, replication, static_cast<int>(t.partitions.size()));
}

bj::object partition_json(const links& l, const std::string& topic, const kc::partition_info& p) {
  auto self = l.partition(topic, p.id);
  bj::object out{{"kind", "KafkaPartition"},
                 {"metadata", resource_metadata(
                                  self, l.crn_topic(topic) + "/partition=" + std::to_string(p.id))},
                 {"cluster_id", l.cluster_id},
                 {"topic_name", topic},
                 {"partition_id", p.id}};
  out["leader"] = p.leader >= 0 ? bj::value(related(self + "/replicas/" + std::to_string(p.leader)))
                                : bj::value();
  out["replicas"] = related(self + "/replicas");
  out["reassignment"] = related(self + "/reassignment");
  return out;
}

bj::object config_json(const links& l, const std::string& topic, const kc::config_entry& c) {
  bj::array synonyms;
  for (const auto& s : c.synonyms) {
    synonyms.push_back(
        bj::object{{"name", s.name},
                   {"value", s.value ? bj::value(bj::string(*s.value)) : bj::value()},
                   {"source", kc::to_string(s.source)}});
  }
  return bj::object{{"kind", "KafkaTopicConfig"},
                    {"metadata", resource_metadata(l.topic(topic) + "/configs/" + c.name,
                                                   l.crn_topic(topic) + "/config=" + c.name)},
                    {"cluster_id", l.cluster_id},
                    {"topic_name", topic},
                    {"name", c.name},
                    {"value", c.value ? bj::value(bj::string(*c.value)) : bj::value()},
                    {"is_default", c.is_default},
                    {"is_read_only", c.is_read_only},
                    {"is_sensitive", c.is_sensitive},
                    {"source", kc::to_string(c.source)},
                    {"synonyms", std::move(synonyms)}};
}

using cluster_then = std::function<void(const metadata_snapshot&, const links&, http::responder)>;

// Checks {cluster_id} against the cluster we reach, then calls then. Reads see the
// cluster as it is now; produce (need_topic set) may use cached metadata with the topic.
void with_cluster(const context_ptr& ctx, const http::request& req, http::responder respond,
                  std::optional<std::string> need_topic, cluster_then then) {
  links l{ctx->base_url(req), req.param("cluster_id")};
  auto checked = [l = std::move(l), respond = std::move(respond),
                  then = std::move(then)](kc::result<metadata_snapshot> md) mutable {
    if (!md.ok()) return respond(error_response(from_kafka(md.err())));
    if ((*md)->cluster_id != l.cluster_id) {
      return respond(error_response(error_codes::not_found,
                                    fmt::format("Cluster {} cannot be found.", l.cluster_id)));
    }
    then(*md, l, std::move(respond));
  };
  if (need_topic) {
    ctx->metadata->get(std::move(need_topic), std::move(checked));
  } else {
    ctx->metadata->refresh(std::move(checked));
  }
}

void with_topic(const context_ptr& ctx, const http::request& req, http::responder respond,
                std::function<void(const metadata_snapshot&, const links&, const kc::topic_info&,
                                   http::responder)>
                    then) {
  auto name = req.param("topic_name");
  with_cluster(ctx, req, std::move(respond), std::nullopt,
               [name, then = std::move(then)](const metadata_snapshot& md, const links& l,
                                              http::responder respond) {
                 const auto* t = md->topic(name);
                 if (!t) return respond(error_response(unknown_topic()));
                 then(md, l, *t, std::move(respond));
               });
}

void list_clusters(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto base = ctx->base_url(req);
  ctx->metadata->refresh([base, respond](kc::result<metadata_snapshot> md) {
    if (!md.ok()) return respond(error_response(from_kafka(md.err())));
    links l{base, (*md)->cluster_id};
    bj::array data;
    data.push_back(cluster_json(l, **md));
    respond(
        v3_response(200, collection("KafkaClusterList", base + "/v3/clusters", std::move(data))));
  });
}

void get_cluster(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_cluster(ctx, req, std::move(respond), std::nullopt,
               [](const metadata_snapshot& md, const links& l, http::responder respond) {
                 respond(v3_response(200, cluster_json(l, *md)));
               });
}

void list_topics(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_cluster(
      ctx, req, std::move(respond), std::nullopt,
      [](const metadata_snapshot& md, const links& l, http::responder respond) {
        bj::array data;
        for (const auto& t : md->topics) data.push_back(topic_json(l, t));
        respond(v3_response(200, collection("KafkaTopicList", l.topics(), std::move(data))));
      });
}

void get_topic(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_topic(ctx, req, std::move(respond),
             [](const metadata_snapshot&, const links& l, const kc::topic_info& t,
                http::responder respond) { respond(v3_response(200, topic_json(l, t))); });
}

// Kafka's rules for topic names (org.apache.kafka.common.internals.Topic.validate).
bool valid_topic_name(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

void create_topic(const context_ptr& ctx, http::request&& req, http::responder respond) {
  if (auto ok = check_v3_json_body(req.header("Content-Type")); !ok.ok()) {
    return respond(error_response(ok.err()));
  }
  auto body = json::parse_body(req.body);
  if (!body.ok()) return respond(error_response(body.err()));
  auto payload_error = [&respond](std::string message) {
    respond(error_response(error_codes::invalid_payload, "Payload error. " + message));
  };
  if (!body->is_object()) return payload_error("Request body is empty. Data is required.");
  auto name = json::string_field(*body, "topic_name");
  if (!name.ok()) return respond(error_response(name.err()));
  if (!*name || !valid_topic_name(**name)) return payload_error("Invalid topic name.");
  auto partitions = json::integer_field(*body, "partitions_count", 1, INT32_MAX);
  if (!partitions.ok()) return respond(error_response(partitions.err()));
  auto replication = json::integer_field(*body, "replication_factor", 1, INT16_MAX);
  if (!replication.ok()) return respond(error_response(replication.err()));
  bool validate_only = false;
  if (const auto* v = json::field(*body, "validate_only"); v && v->is_bool()) {
    validate_only = v->get_bool();
  }
  kc::new_topic topic;
  topic.name = **name;
  topic.partitions = partitions->value_or(-1);
  topic.replication_factor = static_cast<int>(replication->value_or(-1));
  if (const auto* configs = json::field(*body, "configs"); configs && !configs->is_null()) {
    if (!configs->is_array()) return payload_error("configs must be an array.");
    for (const auto& c : configs->get_array()) {
      auto config_name = json::string_field(c, "name");
      auto value = json::string_field(c, "value");
      if (!config_name.ok() || !*config_name || !value.ok()) {
        return payload_error("Each config needs a name and a string value.");
      }
      if (*value) topic.configs.emplace_back(**config_name, **value);
    }
  }
  with_cluster(ctx, req, std::move(respond), std::nullopt,
               [ctx, topic = std::move(topic), validate_only](
                   const metadata_snapshot&, const links& l, http::responder respond) {
                 ctx->workers().post([ctx, topic, validate_only, l, respond]() mutable {
                   auto created = ctx->admin().create_topic(topic, validate_only);
                   if (!created.ok()) return respond(error_response(from_kafka(created.err())));
                   auto fallback =
                       topic_json(l, topic.name, false, std::max(topic.replication_factor, 0),
                                  std::max(topic.partitions, 0));
                   if (validate_only) return respond(v3_response(200, fallback));
                   ctx->metadata->invalidate();
                   ctx->metadata->refresh(
                       [l, topic, fallback, respond](kc::result<metadata_snapshot> md) mutable {
                         const kc::topic_info* t = md.ok() ? (*md)->topic(topic.name) : nullptr;
                         auto res = v3_response(201, t ? topic_json(l, *t) : fallback);
                         res.set_header("Location", l.topic(topic.name));
                         respond(std::move(res));
                       });
                 });
               });
}

void delete_topic(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_topic(ctx, req, std::move(respond),
             [ctx](const metadata_snapshot&, const links&, const kc::topic_info& t,
                   http::responder respond) {
               ctx->workers().post([ctx, name = t.name, respond] {
                 auto deleted = ctx->admin().delete_topic(name);
                 ctx->metadata->invalidate();
                 if (!deleted.ok()) return respond(error_response(from_kafka(deleted.err())));
                 respond(no_content());
               });
             });
}

void list_topic_configs(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_topic(ctx, req, std::move(respond),
             [ctx](const metadata_snapshot&, const links& l, const kc::topic_info& t,
                   http::responder respond) {
               ctx->workers().post([ctx, l, name = t.name, respond] {
                 auto configs = ctx->admin().describe_topic_configs(name);
                 if (!configs.ok()) return respond(error_response(from_kafka(configs.err())));
                 bj::array data;
                 for (const auto& c : *configs) data.push_back(config_json(l, name, c));
                 respond(v3_response(200, collection("KafkaTopicConfigList",
                                                     l.topic(name) + "/configs", std::move(data))));
               });
             });
}

void get_topic_config(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto config_name = req.param("config_name");
  with_topic(ctx, req, std::move(respond),
             [ctx, config_name](const metadata_snapshot&, const links& l, const kc::topic_info& t,
                                http::responder respond) {
               ctx->workers().post([ctx, l, name = t.name, config_name, respond] {
                 auto configs = ctx->admin().describe_topic_configs(name);
                 if (!configs.ok()) return respond(error_response(from_kafka(configs.err())));
                 for (const auto& c : *configs) {
                   if (c.name == config_name)
                     return respond(v3_response(200, config_json(l, name, c)));
                 }
                 respond(error_response(error_codes::not_found,
                                        fmt::format("Config {} cannot be found.", config_name)));
               });
             });
}

void list_partitions(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_topic(
      ctx, req, std::move(respond),
      [](const metadata_snapshot&, const links& l, const kc::topic_info& t,
         http::responder respond) {
        bj::array data;
        for (const auto& p : t.partitions) data.push_back(partition_json(l, t.name, p));
        respond(v3_response(200, collection("KafkaPartitionList", l.topic(t.name) + "/partitions",
                                            std::move(data))));
      });
}

void get_partition(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto id = parse_partition_id(req.param("partition_id"));
  with_topic(ctx, req, std::move(respond),
             [id](const metadata_snapshot&, const links& l, const kc::topic_info& t,
                  http::responder respond) {
               const auto* p = id ? t.partition(*id) : nullptr;
               if (!p) return respond(error_response(unknown_topic()));
               respond(v3_response(200, partition_json(l, t.name, *p)));
             });
}

void produce_record(const context_ptr& ctx, http::request&& req, http::responder respond) {
  if (auto ok = check_v3_json_body(req.header("Content-Type")); !ok.ok()) {
    return respond(error_response(ok.err()));
  }
  auto body = json::parse_body(req.body);
  if (!body.ok()) return respond(error_response(body.err()));
  auto topic_name = req.param("topic_name");
  auto parsed = parse_v3_record(*body, topic_name);
  if (!parsed.ok()) return respond(error_response(parsed.err()));
  auto record = std::make_shared<v3_produce_record>(std::move(*parsed));
  with_cluster(
      ctx, req, std::move(respond), topic_name,
      [ctx, record, topic_name](const metadata_snapshot& md, const links& l,
                                http::responder respond) {
        const auto* t = md->topic(topic_name);
        if (!t) return respond(error_response(error_codes::topic_not_found, "Topic not found."));
        if (record->record.partition && !t->partition(*record->record.partition)) {
          return respond(error_response(error_codes::partition_not_found, "Partition not found."));
        }
        auto key_size =
            record->record.key ? static_cast<std::int64_t>(record->record.key->size()) : -1;
        auto value_size =
            record->record.value ? static_cast<std::int64_t>(record->record.value->size()) : -1;
        auto key_type = record->key_type;
        auto value_type = record->value_type;
        auto queued = ctx->cluster.shared_producer().produce(
            std::move(record->record), [l, topic_name, key_type, value_type, key_size, value_size,
                                        respond](kc::result<kc::delivery_report> report) {
              if (!report.ok()) return respond(error_response(from_kafka(report.err())));
              bj::object out{
                  {"error_code", 200},        {"cluster_id", l.cluster_id},
                  {"topic_name", topic_name}, {"partition_id", report->partition},
                  {"offset", report->offset}, {"timestamp", iso8601_millis(report->timestamp_ms)}};
              // Java reports the serialized size of a null key or value as -1.
              if (key_type) {
                out["key"] = bj::object{{"type", to_string(*key_type)}, {"size", key_size}};
              }
              if (value_type) {
                out["value"] = bj::object{{"type", to_string(*value_type)}, {"size", value_size}};
              }
              respond(v3_response(200, out));
            });
        if (!queued.ok()) {
          auto error = from_kafka(queued.err());
          if (queued.err().code() == kc::codes::local_queue_full) {
            error = {error_codes::too_many_requests,
                     "Too many produce requests in flight; retry later"};
          }
          respond(error_response(error));
        }
      });
}

}  // namespace

void add_v3_routes(http::router& routes, const std::shared_ptr<proxy_context>& ctx) {
  auto bind = [&ctx](void (*fn)(const context_ptr&, http::request&&, http::responder)) {
    return [ctx, fn](http::request&& req, http::responder respond) {
      fn(ctx, std::move(req), std::move(respond));
    };
  };
  const std::string cluster = "/v3/clusters/{cluster_id}";
  const std::string topic = cluster + "/topics/{topic_name}";
  add_route(routes, ctx, "GET", "/v3/clusters", "v3.clusters.list", bind(list_clusters));
  add_route(routes, ctx, "GET", cluster, "v3.clusters.get", bind(get_cluster));
  add_route(routes, ctx, "GET", cluster + "/topics", "v3.topics.list", bind(list_topics));
  add_route(routes, ctx, "POST", cluster + "/topics", "v3.topics.create", bind(create_topic));
  add_route(routes, ctx, "GET", topic, "v3.topics.get", bind(get_topic));
  add_route(routes, ctx, "DELETE", topic, "v3.topics.delete", bind(delete_topic));
  add_route(routes, ctx, "GET", topic + "/configs", "v3.topic-configs.list",
            bind(list_topic_configs));
  add_route(routes, ctx, "GET", topic + "/configs/{config_name}", "v3.topic-configs.get",
            bind(get_topic_config));
  add_route(routes, ctx, "GET", topic + "/partitions", "v3.partitions.list", bind(list_partitions));
  add_route(routes, ctx, "GET", topic + "/partitions/{partition_id}", "v3.partitions.get",
            bind(get_partition));
  add_route(routes, ctx, "POST", topic + "/records", "v3.produce", bind(produce_record));
}

}  // namespace wharf::rest_proxy
