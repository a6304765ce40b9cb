// REST Proxy API v3 (plain JSON under /v3): clusters, topics (list, create, get,
// delete), topic configs, partitions, producing a record, and consumer groups with
// their consumers and lags.
#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include "services/rest_proxy/formats.h"
#include "services/rest_proxy/json_support.h"
#include "services/rest_proxy/records.h"
#include "services/rest_proxy/routes.h"
#include "services/rest_proxy/v3_support.h"

namespace wharf::rest_proxy {

namespace bj = boost::json;
namespace kc = kafka::client;

bj::object resource_metadata(const std::string& self, const std::string& resource_name) {
  return bj::object{{"self", self}, {"resource_name", resource_name}};
}

void with_cluster(const std::shared_ptr<proxy_context>& ctx, const http::request& req,
                  http::responder respond, std::optional<std::string> need_topic,
                  cluster_then then) {
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

namespace {

using context_ptr = std::shared_ptr<proxy_context>;

// Kafka's UnknownTopicOrPartitionException, as Confluent maps it.
api_error unknown_topic() {
  return {error_codes::unknown_topic_or_partition,
          "This server does not host this topic-partition."};
}

bj::object related(const std::string& url) { return bj::object{{"related", url}}; }

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
      [ctx, principal = req.principal](const metadata_snapshot& md, const links& l,
                                       http::responder respond) {
        bj::array data;
        for (const auto& t : md->topics) {
          // Only the topics the principal may see at all.
          if (ctx->allows(principal, topic_access::describe, t.name)) {
            data.push_back(topic_json(l, t));
          }
        }
        respond(v3_response(200, collection("KafkaTopicList", l.topics(), std::move(data))));
      });
}

void get_topic(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_topic(ctx, req, std::move(respond),
             [](const metadata_snapshot&, const links& l, const kc::topic_info& t,
                http::responder respond) { respond(v3_response(200, topic_json(l, t))); });
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
  if (!ctx->allows(req.principal, topic_access::admin, **name)) {
    return respond(topic_forbidden(topic_access::admin, **name));
  }
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

// One change to a topic's configs: a new value, or nullopt to return to the default.
using config_change = std::pair<std::string, std::optional<std::string>>;

// Applies changes on top of the topic's current dynamic configs. Kafka 2.x's AlterConfigs
// (what librdkafka 2.0 offers) replaces the whole set, so the others are read first.
api_result<bool> alter_topic_configs(kc::admin& admin, const std::string& topic,
                                     const std::vector<config_change>& changes,
                                     bool validate_only) {
  auto current = admin.describe_topic_configs(topic);
  if (!current.ok()) return from_kafka(current.err());
  std::vector<std::pair<std::string, std::string>> next;
  for (const auto& c : *current) {
    if (c.source == kc::config_source::dynamic_topic && c.value)
      next.emplace_back(c.name, *c.value);
  }
  for (const auto& [name, value] : changes) {
    std::erase_if(next, [&name](const auto& entry) { return entry.first == name; });
    if (value) next.emplace_back(name, *value);
  }
  auto altered = admin.replace_topic_configs(topic, next, validate_only);
  if (!altered.ok()) return from_kafka(altered.err());
  return true;
}

void apply_config_changes(const context_ptr& ctx, http::request&& req, http::responder respond,
                          std::vector<config_change> changes, bool validate_only) {
  with_topic(ctx, req, std::move(respond),
             [ctx, changes = std::move(changes), validate_only](
                 const metadata_snapshot&, const links&, const kc::topic_info& t,
                 http::responder respond) {
               ctx->workers().post([ctx, name = t.name, changes, validate_only, respond] {
                 auto altered = alter_topic_configs(ctx->admin(), name, changes, validate_only);
                 if (!altered.ok()) return respond(error_response(altered.err()));
                 respond(no_content());
               });
             });
}

// PUT .../configs/{name} {"value": "..."}
void update_topic_config(const context_ptr& ctx, http::request&& req, http::responder respond) {
  if (auto ok = check_v3_json_body(req.header("Content-Type")); !ok.ok()) {
    return respond(error_response(ok.err()));
  }
  auto body = json::parse_body(req.body);
  if (!body.ok()) return respond(error_response(body.err()));
  auto value = json::string_field(*body, "value");
  if (!value.ok()) return respond(error_response(value.err()));
  if (!*value) {
    return respond(
        error_response(error_codes::bad_request, "The request body must be {\"value\": \"...\"}."));
  }
  std::vector<config_change> changes{{req.param("config_name"), std::move(**value)}};
  apply_config_changes(ctx, std::move(req), std::move(respond), std::move(changes), false);
}

// DELETE .../configs/{name}: back to the default.
void reset_topic_config(const context_ptr& ctx, http::request&& req, http::responder respond) {
  std::vector<config_change> changes{{req.param("config_name"), std::nullopt}};
  apply_config_changes(ctx, std::move(req), std::move(respond), std::move(changes), false);
}

// POST .../configs:alter {"data": [{"name", "value", "operation": "SET"|"DELETE"}],
// "validate_only": false}
void alter_topic_config_batch(const context_ptr& ctx, http::request&& req,
                              http::responder respond) {
  if (auto ok = check_v3_json_body(req.header("Content-Type")); !ok.ok()) {
    return respond(error_response(ok.err()));
  }
  auto body = json::parse_body(req.body);
  if (!body.ok()) return respond(error_response(body.err()));
  auto bad = [&respond](std::string_view message) {
    respond(error_response(error_codes::bad_request, message));
  };
  const auto* data = json::field(*body, "data");
  if (!data || !data->is_array()) return bad("The request body must be {\"data\": [...]}.");
  std::vector<config_change> changes;
  for (const auto& entry : data->get_array()) {
    auto name = json::string_field(entry, "name");
    if (!name.ok() || !*name || (*name)->empty()) return bad("Every entry needs a name.");
    auto operation = json::string_field(entry, "operation");
    if (!operation.ok()) return respond(error_response(operation.err()));
    std::string op = operation->value_or("SET");
    for (auto& c : op) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (op == "DELETE") {
      changes.emplace_back(std::move(**name), std::nullopt);
      continue;
    }
    if (op != "SET") return bad("operation must be SET or DELETE.");
    auto value = json::string_field(entry, "value");
    if (!value.ok() || !*value) return bad("A SET entry needs a string value.");
    changes.emplace_back(std::move(**name), std::move(**value));
  }
  bool validate_only = false;
  if (const auto* v = json::field(*body, "validate_only"); v && v->is_bool()) {
    validate_only = v->get_bool();
  }
  apply_config_changes(ctx, std::move(req), std::move(respond), std::move(changes), validate_only);
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

// --- consumer groups ------------------------------------------------------------------

// librdkafka's state names ("PreparingRebalance") as Kafka's enum ("PREPARING_REBALANCE").
std::string group_state(const std::string& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (i > 0 && std::isupper(c)) out += '_';
    out += static_cast<char>(std::toupper(c));
  }
  return out.empty() ? "UNKNOWN" : out;
}

std::string group_url(const links& l, const std::string& group) {
  return l.cluster() + "/consumer-groups/" + group;
}

bj::object group_json(const links& l, const kc::group_description& g) {
  auto self = group_url(l, g.group_id);
  bj::object out{{"kind", "KafkaConsumerGroup"},
                 {"metadata", resource_metadata(self, l.crn() + "/consumer-group=" + g.group_id)},
                 {"cluster_id", l.cluster_id},
                 {"consumer_group_id", g.group_id},
                 {"is_simple", g.is_simple},
                 {"partition_assignor", g.partition_assignor},
                 {"state", group_state(g.state)},
                 {"type", "CLASSIC"},
                 {"is_mixed_consumer_group", false}};
  out["coordinator"] =
      g.coordinator_id >= 0
          ? bj::value(related(l.cluster() + "/brokers/" + std::to_string(g.coordinator_id)))
          : bj::value();
  out["consumers"] = related(self + "/consumers");
  out["lag_summary"] = related(self + "/lag-summary");
  return out;
}

bj::object consumer_json(const links& l, const std::string& group, const kc::group_member& m) {
  auto self = group_url(l, group) + "/consumers/" + m.member_id;
  return bj::object{
      {"kind", "KafkaConsumer"},
      {"metadata",
       resource_metadata(self, l.crn() + "/consumer-group=" + group + "/consumer=" + m.member_id)},
      {"cluster_id", l.cluster_id},
      {"consumer_group_id", group},
      {"consumer_id", m.member_id},
      {"instance_id",
       m.group_instance_id.empty() ? bj::value() : bj::value(bj::string(m.group_instance_id))},
      {"client_id", m.client_id},
      {"assignments", related(self + "/assignments")}};
}

// One described group, or 404 if the cluster does not know it (Kafka describes an
// unknown group as Dead with no members).
api_result<kc::group_description> describe_group(kc::admin& admin, const std::string& group) {
  auto described = admin.describe_groups({group});
  if (!described.ok()) return from_kafka(described.err());
  if (described->empty() || (*described)[0].error_code == kc::codes::group_id_not_found ||
      ((*described)[0].state == "Dead" && (*described)[0].members.empty())) {
    return api_error{error_codes::not_found,
                     fmt::format("Consumer group {} cannot be found.", group)};
  }
  if ((*described)[0].error_code != 0) {
    return from_kafka(kc::kafka_error::from_code((*described)[0].error_code));
  }
  return std::move((*described)[0]);
}

// Runs fn(group description) on a worker after the cluster check; fn answers.
void with_group(
    const context_ptr& ctx, http::request&& req, http::responder respond,
    std::function<void(const links&, const kc::group_description&, http::responder&)> fn) {
  auto group = req.param("consumer_group_id");
  with_cluster(ctx, req, std::move(respond), std::nullopt,
               [ctx, group, fn = std::move(fn)](const metadata_snapshot&, const links& l,
                                                http::responder respond) {
                 ctx->workers().post([ctx, group, fn, l, respond]() mutable {
                   auto described = describe_group(ctx->admin(), group);
                   if (!described.ok()) return respond(error_response(described.err()));
                   fn(l, *described, respond);
                 });
               });
}

struct partition_lag {
  std::string topic;
  std::int32_t partition;
  std::int64_t current_offset;
  std::int64_t log_end_offset;
  const kc::group_member* member;  // nullptr: not assigned to anyone now
  std::int64_t lag() const { return std::max<std::int64_t>(0, log_end_offset - current_offset); }
};

// Lag of every partition the group has committed an offset for.
api_result<std::vector<partition_lag>> group_lags(kc::admin& admin,
                                                  const kc::group_description& group) {
  auto committed = admin.group_offsets(group.group_id, {});
  if (!committed.ok()) return from_kafka(committed.err());
  std::vector<partition_lag> out;
  for (const auto& c : *committed) {
    if (c.offset < 0) continue;
    auto marks = admin.query_watermarks(c.topic, c.partition);
    if (!marks.ok()) return from_kafka(marks.err());
    const kc::group_member* owner = nullptr;
    for (const auto& m : group.members) {
      for (const auto& tp : m.assignment) {
        if (tp.topic == c.topic && tp.partition == c.partition) owner = &m;
      }
    }
    out.push_back({c.topic, c.partition, c.offset, marks->high, owner});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return out;
}

bj::value text_or_null(const kc::group_member* m, std::string kc::group_member::*field) {
  if (!m || (m->*field).empty()) return bj::value();
  return bj::string(m->*field);
}

void list_groups(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_cluster(
      ctx, req, std::move(respond), std::nullopt,
      [ctx](const metadata_snapshot&, const links& l, http::responder respond) {
        ctx->workers().post([ctx, l, respond] {
          auto listed = ctx->admin().list_groups();
          if (!listed.ok()) return respond(error_response(from_kafka(listed.err())));
          bj::array data;
          std::vector<std::string> ids;
          for (const auto& g : *listed) ids.push_back(g.group_id);
          if (!ids.empty()) {
            auto described = ctx->admin().describe_groups(ids);
            if (!described.ok()) {
              return respond(error_response(from_kafka(described.err())));
            }
            for (const auto& g : *described) data.push_back(group_json(l, g));
          }
          respond(v3_response(200, collection("KafkaConsumerGroupList",
                                              l.cluster() + "/consumer-groups", std::move(data))));
        });
      });
}

void get_group(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_group(ctx, std::move(req), std::move(respond),
             [](const links& l, const kc::group_description& g, http::responder& respond) {
               respond(v3_response(200, group_json(l, g)));
             });
}

void list_group_consumers(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_group(ctx, std::move(req), std::move(respond),
             [](const links& l, const kc::group_description& g, http::responder& respond) {
               bj::array data;
               for (const auto& m : g.members) data.push_back(consumer_json(l, g.group_id, m));
               respond(v3_response(
                   200, collection("KafkaConsumerList", group_url(l, g.group_id) + "/consumers",
                                   std::move(data))));
             });
}

void get_group_consumer(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto consumer_id = req.param("consumer_id");
  with_group(
      ctx, std::move(req), std::move(respond),
      [consumer_id](const links& l, const kc::group_description& g, http::responder& respond) {
        for (const auto& m : g.members) {
          if (m.member_id == consumer_id) {
            return respond(v3_response(200, consumer_json(l, g.group_id, m)));
          }
        }
        respond(error_response(error_codes::not_found,
                               fmt::format("Consumer {} cannot be found.", consumer_id)));
      });
}

bj::object lag_json(const links& l, const std::string& group, const partition_lag& p) {
  auto self =
      group_url(l, group) + "/lags/" + p.topic + "/partitions/" + std::to_string(p.partition);
  return bj::object{{"kind", "KafkaConsumerLag"},
                    {"metadata", resource_metadata(self, l.crn() + "/consumer-group=" + group +
                                                             "/lag=" + p.topic + "/partition=" +
                                                             std::to_string(p.partition))},
                    {"cluster_id", l.cluster_id},
                    {"consumer_group_id", group},
                    {"topic_name", p.topic},
                    {"partition_id", p.partition},
                    {"consumer_id", text_or_null(p.member, &kc::group_member::member_id)},
                    {"instance_id", text_or_null(p.member, &kc::group_member::group_instance_id)},
                    {"client_id", text_or_null(p.member, &kc::group_member::client_id)},
                    {"current_offset", p.current_offset},
                    {"log_end_offset", p.log_end_offset},
                    {"lag", p.lag()}};
}

bj::object assignment_json(const links& l, const std::string& group, const std::string& consumer,
                           const kc::topic_partition& tp) {
  auto partition = std::to_string(tp.partition);
  auto self = group_url(l, group) + "/consumers/" + consumer + "/assignments/" + tp.topic +
              "/partitions/" + partition;
  return bj::object{
      {"kind", "KafkaConsumerAssignment"},
      {"metadata",
       resource_metadata(self, l.crn() + "/consumer-group=" + group + "/consumer=" + consumer +
                                   "/assignment=" + tp.topic + "/partition=" + partition)},
      {"cluster_id", l.cluster_id},
      {"consumer_group_id", group},
      {"consumer_id", consumer},
      {"topic_name", tp.topic},
      {"partition_id", tp.partition},
      {"partition", related(l.partition(tp.topic, tp.partition))},
      {"lag", related(group_url(l, group) + "/lags/" + tp.topic + "/partitions/" + partition)}};
}

const kc::group_member* find_member(const kc::group_description& g, const std::string& id) {
  for (const auto& m : g.members) {
    if (m.member_id == id) return &m;
  }
  return nullptr;
}

void list_consumer_assignments(const context_ptr& ctx, http::request&& req,
                               http::responder respond) {
  auto consumer_id = req.param("consumer_id");
  with_group(
      ctx, std::move(req), std::move(respond),
      [consumer_id](const links& l, const kc::group_description& g, http::responder& respond) {
        const auto* member = find_member(g, consumer_id);
        if (!member) {
          return respond(error_response(error_codes::not_found,
                                        fmt::format("Consumer {} cannot be found.", consumer_id)));
        }
        auto assigned = member->assignment;
        std::sort(assigned.begin(), assigned.end(), [](const auto& a, const auto& b) {
          return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
        });
        bj::array data;
        for (const auto& tp : assigned)
          data.push_back(assignment_json(l, g.group_id, consumer_id, tp));
        respond(v3_response(
            200, collection("KafkaConsumerAssignmentList",
                            group_url(l, g.group_id) + "/consumers/" + consumer_id + "/assignments",
                            std::move(data))));
      });
}

void get_consumer_assignment(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto consumer_id = req.param("consumer_id");
  auto topic = req.param("topic_name");
  auto partition = parse_partition_id(req.param("partition_id"));
  with_group(
      ctx, std::move(req), std::move(respond),
      [consumer_id, topic, partition](const links& l, const kc::group_description& g,
                                      http::responder& respond) {
        const auto* member = find_member(g, consumer_id);
        if (!member) {
          return respond(error_response(error_codes::not_found,
                                        fmt::format("Consumer {} cannot be found.", consumer_id)));
        }
        for (const auto& tp : member->assignment) {
          if (partition && tp.topic == topic && tp.partition == *partition) {
            return respond(v3_response(200, assignment_json(l, g.group_id, consumer_id, tp)));
          }
        }
        respond(error_response(error_codes::not_found,
                               fmt::format("Consumer assignment {}-{} cannot be found.", topic,
                                           partition ? std::to_string(*partition) : "?")));
      });
}

void get_group_lag(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto topic = req.param("topic_name");
  auto partition = parse_partition_id(req.param("partition_id"));
  with_group(ctx, std::move(req), std::move(respond),
             [ctx, topic, partition](const links& l, const kc::group_description& g,
                                     http::responder& respond) {
               auto lags = group_lags(ctx->admin(), g);
               if (!lags.ok()) return respond(error_response(lags.err()));
               for (const auto& p : *lags) {
                 if (partition && p.topic == topic && p.partition == *partition) {
                   return respond(v3_response(200, lag_json(l, g.group_id, p)));
                 }
               }
               respond(error_response(error_codes::not_found,
                                      fmt::format("Consumer lag for {}-{} cannot be found.", topic,
                                                  partition ? std::to_string(*partition) : "?")));
             });
}

void list_group_lags(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_group(
      ctx, std::move(req), std::move(respond),
      [ctx](const links& l, const kc::group_description& g, http::responder& respond) {
        auto lags = group_lags(ctx->admin(), g);
        if (!lags.ok()) return respond(error_response(lags.err()));
        bj::array data;
        for (const auto& p : *lags) data.push_back(lag_json(l, g.group_id, p));
        respond(v3_response(200, collection("KafkaConsumerLagList",
                                            group_url(l, g.group_id) + "/lags", std::move(data))));
      });
}

void get_group_lag_summary(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_group(
      ctx, std::move(req), std::move(respond),
      [ctx](const links& l, const kc::group_description& g, http::responder& respond) {
        auto lags = group_lags(ctx->admin(), g);
        if (!lags.ok()) return respond(error_response(lags.err()));
        std::int64_t total = 0;
        const partition_lag* max = nullptr;
        for (const auto& p : *lags) {
          total += p.lag();
          if (!max || p.lag() > max->lag()) max = &p;
        }
        auto self = group_url(l, g.group_id) + "/lag-summary";
        bj::object out{
            {"kind", "KafkaConsumerGroupLagSummary"},
            {"metadata",
             resource_metadata(self, l.crn() + "/consumer-group=" + g.group_id + "/lag-summary")},
            {"cluster_id", l.cluster_id},
            {"consumer_group_id", g.group_id},
            {"max_lag", max ? max->lag() : 0},
            {"total_lag", total}};
        const kc::group_member* owner = max ? max->member : nullptr;
        out["max_lag_consumer_id"] = text_or_null(owner, &kc::group_member::member_id);
        out["max_lag_consumer"] =
            owner ? bj::value(related(group_url(l, g.group_id) + "/consumers/" + owner->member_id))
                  : bj::value();
        out["max_lag_client_id"] = text_or_null(owner, &kc::group_member::client_id);
        out["max_lag_instance_id"] = text_or_null(owner, &kc::group_member::group_instance_id);
        out["max_lag_topic_name"] = max ? bj::value(bj::string(max->topic)) : bj::value();
        out["max_lag_partition_id"] = max ? bj::value(max->partition) : bj::value();
        out["max_lag_partition"] =
            max ? bj::value(related(l.partition(max->topic, max->partition))) : bj::value();
        respond(v3_response(200, out));
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
  add_route(routes, ctx, "PUT", topic + "/configs/{config_name}", "v3.topic-configs.update",
            bind(update_topic_config));
  add_route(routes, ctx, "DELETE", topic + "/configs/{config_name}", "v3.topic-configs.reset",
            bind(reset_topic_config));
  add_route(routes, ctx, "POST", topic + "/configs:alter", "v3.topic-configs.alter",
            bind(alter_topic_config_batch));
  add_route(routes, ctx, "GET", topic + "/partitions", "v3.partitions.list", bind(list_partitions));
  add_route(routes, ctx, "GET", topic + "/partitions/{partition_id}", "v3.partitions.get",
            bind(get_partition));
  add_v3_produce_routes(routes, ctx);
  const std::string group = cluster + "/consumer-groups/{consumer_group_id}";
  add_route(routes, ctx, "GET", cluster + "/consumer-groups", "v3.consumer-groups.list",
            bind(list_groups));
  add_route(routes, ctx, "GET", group, "v3.consumer-groups.get", bind(get_group));
  add_route(routes, ctx, "GET", group + "/consumers", "v3.consumers.list",
            bind(list_group_consumers));
  add_route(routes, ctx, "GET", group + "/consumers/{consumer_id}", "v3.consumers.get",
            bind(get_group_consumer));
  add_route(routes, ctx, "GET", group + "/consumers/{consumer_id}/assignments",
            "v3.consumer-assignments.list", bind(list_consumer_assignments));
  add_route(routes, ctx, "GET",
            group + "/consumers/{consumer_id}/assignments/{topic_name}/partitions/{partition_id}",
            "v3.consumer-assignments.get", bind(get_consumer_assignment));
  add_route(routes, ctx, "GET", group + "/lags", "v3.consumer-lags.list", bind(list_group_lags));
  add_route(routes, ctx, "GET", group + "/lags/{topic_name}/partitions/{partition_id}",
            "v3.consumer-lags.get", bind(get_group_lag));
  add_route(routes, ctx, "GET", group + "/lag-summary", "v3.consumer-group-lag-summary.get",
            bind(get_group_lag_summary));
}

}  // namespace wharf::rest_proxy
