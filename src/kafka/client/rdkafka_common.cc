#include "kafka/client/rdkafka_common.h"

#include <cstdlib>
#include <cstring>

#include "base/logging.h"

namespace wharf::kafka::client::detail {
namespace {

// librdkafka logs with syslog levels from its own threads; spdlog is thread-safe.
void log_to_spdlog(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  static auto log = logging::get("kafka-client");
  auto name = rk ? rd_kafka_name(rk) : "rdkafka";
  if (level <= 4) {
    log->warn("{} {}: {}", name, facility, text);
  } else if (level <= 6) {
    log->info("{} {}: {}", name, facility, text);
  } else {
    log->debug("{} {}: {}", name, facility, text);
  }
}

// Errors are logged by log_to_spdlog too; only fatal ones need saying again.
void on_client_error(rd_kafka_t* rk, int code, const char* reason, void*) {
  static auto log = logging::get("kafka-client");
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char detail[512];
    auto original = rd_kafka_fatal_error(rk, detail, sizeof detail);
    log->error("{}: fatal error {}: {}", rd_kafka_name(rk), rd_kafka_err2name(original), detail);
  } else {
    log->debug("{}: {}: {}", rd_kafka_name(rk),
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code)), reason);
  }
}

}  // namespace

result<conf_ptr> make_conf(const std::map<std::string, std::string>& properties) {
  conf_ptr conf(rd_kafka_conf_new());
  char problem[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), problem, sizeof problem) !=
        RD_KAFKA_CONF_OK) {
      return kafka_error(codes::local_invalid_argument,
                         "Kafka client property " + name + ": " + problem);
    }
  }
  rd_kafka_conf_set_log_cb(conf.get(), log_to_spdlog);
  rd_kafka_conf_set_error_cb(conf.get(), on_client_error);
  return conf;
}

kafka_error error_from(rd_kafka_resp_err_t code, const char* message) {
  return kafka_error::from_code(code, message ? message : "");
}

kafka_error error_from(rd_kafka_error_t* error) {
  auto out = kafka_error(rd_kafka_error_code(error), rd_kafka_error_string(error),
                         rd_kafka_error_is_retriable(error) != 0);
  rd_kafka_error_destroy(error);
  return out;
}

partition_list_ptr to_list(const std::vector<topic_partition>& partitions) {
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition);
  }
  return list;
}

partition_list_ptr to_list(const std::vector<partition_offset>& offsets) {
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets) {
    auto* entry = rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition);
    entry->offset = o.offset;
    if (!o.metadata.empty()) {
      // librdkafka frees metadata with free(): give it a malloc'd copy.
      entry->metadata = malloc(o.metadata.size());
      memcpy(entry->metadata, o.metadata.data(), o.metadata.size());
      entry->metadata_size = o.metadata.size();
    }
  }
  return list;
}

std::vector<partition_offset> to_offsets(const rd_kafka_topic_partition_list_t* list) {
  std::vector<partition_offset> out;
  if (!list) return out;
  out.reserve(static_cast<std::size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    partition_offset o;
    o.topic = e.topic;
    o.partition = e.partition;
    o.offset = e.offset;
    if (e.metadata && e.metadata_size > 0) {
      o.metadata.assign(static_cast<const char*>(e.metadata), e.metadata_size);
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::optional<kafka_error> first_partition_error(const rd_kafka_topic_partition_list_t* list) {
  if (!list) return std::nullopt;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err) {
      return kafka_error::from_code(
          e.err, fmt::format("{} [{}]: {}", e.topic, e.partition, rd_kafka_err2str(e.err)));
    }
  }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

}  // namespace wharf::kafka::client::detail
