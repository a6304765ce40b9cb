#include "broker/handlers/configs.h"

#include <map>

namespace wharf::broker::handlers {
namespace {

std::int8_t type_of(const std::string& name) {
  static const std::map<std::string, std::int8_t> types = {
      {"cleanup.policy", type_list},
      {"compression.type", type_string},
      {"message.timestamp.type", type_string},
      {"min.cleanable.dirty.ratio", type_double},
      {"unclean.leader.election.enable", type_boolean},
      {"preallocate", type_boolean},
      {"remote.storage.enable", type_boolean},
      {"max.message.bytes", type_int},
      {"min.insync.replicas", type_int},
      {"segment.bytes", type_int},
      {"segment.index.bytes", type_int},
      {"index.interval.bytes", type_int},
      {"follower.replication.throttled.replicas", type_list},
      {"leader.replication.throttled.replicas", type_list},
  };
  auto it = types.find(name);
  return it == types.end() ? static_cast<std::int8_t>(type_long) : it->second;
}

}  // namespace

std::vector<config_entry> topic_config_entries(const topic& t) {
  std::map<std::string, config_entry> entries;
  for (const auto& [name, value] : storage::describe_log_config(t.log)) {
    entries[name] = {name, value, source_default, false, type_of(name)};
  }
  for (const auto& [name, value] : non_log_topic_config_defaults()) {
    entries[name] = {name, value, source_default, false, type_of(name)};
  }
  for (const auto& [name, value] : t.overrides) {
    auto& e = entries[name];
    e.name = name;
    e.value = value;
    e.source = source_dynamic_topic;
    e.type = type_of(name);
  }
  std::vector<config_entry> out;
  for (auto& [name, e] : entries) out.push_back(std::move(e));
  return out;
}

std::vector<config_entry> broker_config_entries(const broker_state& broker) {
  const auto& o = broker.options;
  auto s = [](const char* name, std::string value, std::int8_t type) {
    return config_entry{name, std::move(value), source_static_broker, true, type};
  };
  return {
      s("node.id", std::to_string(o.node_id), type_int),
      s("broker.id", std::to_string(o.node_id), type_int),
      s("log.dirs", o.data_dir, type_string),
      s("auto.create.topics.enable", o.auto_create_topics ? "true" : "false", type_boolean),
      s("num.partitions", std::to_string(o.default_partitions), type_int),
      s("default.replication.factor", "1", type_int),
      s("offsets.topic.replication.factor", "1", type_int),
      s("socket.request.max.bytes", std::to_string(o.max_request_bytes), type_int),
      s("connections.max.idle.ms", std::to_string(o.connections_max_idle.count()), type_long),
      s("log.retention.check.interval.ms", std::to_string(o.retention_check_interval.count()),
        type_long),
      s("message.max.bytes", "1048588", type_int),
      s("delete.topic.enable", "true", type_boolean),
      s("advertised.listeners",
        "PLAINTEXT://" + broker.advertised_host + ":" + std::to_string(broker.advertised_port),
        type_list),
  };
}

}  // namespace wharf::broker::handlers
