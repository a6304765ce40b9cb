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

// The broker-level setting behind each topic config (Kafka's TopicConfigSynonyms), and its
// value where the broker spells it in other units.
struct broker_synonym {
  const char* name;
  const char* value;  // nullptr: the topic default's value
};

const std::map<std::string, broker_synonym>& broker_synonyms() {
  static const std::map<std::string, broker_synonym> synonyms = {
      {"cleanup.policy", {"log.cleanup.policy", nullptr}},
      {"compression.type", {"compression.type", nullptr}},
      {"compression.gzip.level", {"compression.gzip.level", nullptr}},
      {"compression.lz4.level", {"compression.lz4.level", nullptr}},
      {"compression.zstd.level", {"compression.zstd.level", nullptr}},
      {"delete.retention.ms", {"log.cleaner.delete.retention.ms", nullptr}},
      {"file.delete.delay.ms", {"log.segment.delete.delay.ms", nullptr}},
      {"flush.messages", {"log.flush.interval.messages", nullptr}},
      {"flush.ms", {"log.flush.scheduler.interval.ms", nullptr}},
      {"index.interval.bytes", {"log.index.interval.bytes", nullptr}},
      {"local.retention.bytes", {"log.local.retention.bytes", nullptr}},
      {"local.retention.ms", {"log.local.retention.ms", nullptr}},
      {"max.compaction.lag.ms", {"log.cleaner.max.compaction.lag.ms", nullptr}},
      {"max.message.bytes", {"message.max.bytes", nullptr}},
      {"message.timestamp.after.max.ms", {"log.message.timestamp.after.max.ms", nullptr}},
      {"message.timestamp.before.max.ms", {"log.message.timestamp.before.max.ms", nullptr}},
      {"message.timestamp.type", {"log.message.timestamp.type", nullptr}},
      {"min.cleanable.dirty.ratio", {"log.cleaner.min.cleanable.ratio", nullptr}},
      {"min.compaction.lag.ms", {"log.cleaner.min.compaction.lag.ms", nullptr}},
      {"min.insync.replicas", {"min.insync.replicas", nullptr}},
      {"preallocate", {"log.preallocate", nullptr}},
      {"retention.bytes", {"log.retention.bytes", nullptr}},
      {"retention.ms", {"log.retention.hours", "168"}},
      {"segment.bytes", {"log.segment.bytes", nullptr}},
      {"segment.index.bytes", {"log.index.size.max.bytes", nullptr}},
      {"segment.jitter.ms", {"log.roll.jitter.hours", "0"}},
      {"segment.ms", {"log.roll.hours", "168"}},
      {"unclean.leader.election.enable", {"unclean.leader.election.enable", nullptr}},
  };
  return synonyms;
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
  for (auto& [name, e] : entries) {
    if (e.source == source_dynamic_topic) e.synonyms.push_back({e.name, e.value, e.source});
    auto synonym = broker_synonyms().find(name);
    if (synonym != broker_synonyms().end()) {
      // The broker's value is the topic default (Wharf sets no broker-wide overrides).
      std::string broker_value = synonym->second.value ? synonym->second.value : "";
      if (!synonym->second.value) {
        topic defaults_only;
        for (const auto& [n, v] : storage::describe_log_config(defaults_only.log)) {
          if (n == name) broker_value = v;
        }
        if (auto it = non_log_topic_config_defaults().find(name);
            it != non_log_topic_config_defaults().end()) {
          broker_value = it->second;
        }
      }
      e.synonyms.push_back({synonym->second.name, broker_value, source_default});
    }
    out.push_back(std::move(e));
  }
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
