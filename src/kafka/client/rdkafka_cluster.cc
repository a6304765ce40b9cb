// The cluster facade over librdkafka: one producer handle serves produce, metadata and
// admin requests; a poll thread delivers its reports; a worker pool runs blocking calls.
#include <atomic>
#include <thread>

#include "base/logging.h"
#include "kafka/client/cluster.h"
#include "kafka/client/rdkafka_common.h"

namespace wharf::kafka::client {

std::unique_ptr<consumer> make_rdkafka_consumer(  // rdkafka_consumer.cc
    rd_kafka_t* rk, std::unique_ptr<detail::rebalance_hooks> hooks);

std::size_t outgoing_record::payload_bytes() const {
  std::size_t n = (key ? key->size() : 0) + (value ? value->size() : 0);
  for (const auto& h : headers) n += h.name.size() + (h.value ? h.value->size() : 0);
  return n;
}

std::size_t consumed_record::payload_bytes() const {
  std::size_t n = (key ? key->size() : 0) + (value ? value->size() : 0);
  for (const auto& h : headers) n += h.name.size() + (h.value ? h.value->size() : 0);
  return n;
}

const char* to_string(config_source source) {
  switch (source) {
    case config_source::dynamic_topic: return "DYNAMIC_TOPIC_CONFIG";
    case config_source::dynamic_broker: return "DYNAMIC_BROKER_CONFIG";
    case config_source::dynamic_default_broker: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case config_source::static_broker: return "STATIC_BROKER_CONFIG";
    case config_source::default_config: return "DEFAULT_CONFIG";
    case config_source::unknown: break;
  }
  return "UNKNOWN";
}

namespace {

using namespace detail;

// What travels with each queued record until its delivery report.
struct pending_delivery {
  producer::delivery_callback on_delivery;
  std::size_t bytes;
};

class rdkafka_producer final : public producer {
 public:
  rdkafka_producer(std::uint64_t max_in_flight_bytes) : max_in_flight_(max_in_flight_bytes) {}

  // Takes the handle; starts the poll thread that serves delivery reports.
  void start(rd_kafka_t* rk) {
    rk_ = rk;
    poller_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "kafka-producer");
      while (!stopping_.load(std::memory_order_relaxed)) rd_kafka_poll(rk_, 100);
    });
  }

  ~rdkafka_producer() override { stop(std::chrono::milliseconds(0)); }

  static void on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<rdkafka_producer*>(opaque);
    std::unique_ptr<pending_delivery> pending(static_cast<pending_delivery*>(message->_private));
    if (!pending) return;
    self->in_flight_.fetch_sub(pending->bytes, std::memory_order_relaxed);
    try {
      if (message->err) {
        pending->on_delivery(error_from(message->err));
      } else {
        rd_kafka_timestamp_type_t type;
        delivery_report report;
        report.partition = message->partition;
        report.offset = message->offset;
        report.timestamp_ms = rd_kafka_message_timestamp(message, &type);
        pending->on_delivery(report);
      }
    } catch (const std::exception& e) {
      logging::get("kafka-client")->error("delivery callback threw: {}", e.what());
    }
  }

  status produce(outgoing_record record, delivery_callback on_delivery) override {
    if (stopping_) return kafka_error(codes::local_state, "the producer is shutting down");
    auto bytes = record.payload_bytes();
    // Reserve the bytes first; one record larger than the whole budget still goes
    // through when nothing else is in flight, so it is not refused forever.
    auto current = in_flight_.load(std::memory_order_relaxed);
    do {
      if (current > 0 && current + bytes > max_in_flight_) {
        return kafka_error(
            codes::local_queue_full,
            fmt::format("the producer has {} bytes in flight (limit {})", current, max_in_flight_),
            true);
      }
    } while (!in_flight_.compare_exchange_weak(current, current + bytes));

    rd_kafka_headers_t* headers = nullptr;
    if (!record.headers.empty()) {
      headers = rd_kafka_headers_new(record.headers.size());
      for (const auto& h : record.headers) {
        rd_kafka_header_add(headers, h.name.data(), static_cast<ssize_t>(h.name.size()),
                            h.value ? h.value->data() : nullptr,
                            h.value ? static_cast<ssize_t>(h.value->size()) : 0);
      }
    }
    auto* pending = new pending_delivery{std::move(on_delivery), bytes};
    // A null pointer is a null key/value; an empty string's data() is not null.
    void* key = record.key ? record.key->data() : nullptr;
    std::size_t key_size = record.key ? record.key->size() : 0;
    void* value = record.value ? record.value->data() : nullptr;
    std::size_t value_size = record.value ? record.value->size() : 0;
    auto err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(record.topic.c_str()),
        RD_KAFKA_V_PARTITION(record.partition.value_or(RD_KAFKA_PARTITION_UA)),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_TIMESTAMP(record.timestamp_ms.value_or(0)),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(pending), RD_KAFKA_V_END);
    if (err) {
      // On failure librdkafka keeps nothing: the headers and the pending entry are ours.
      if (headers) rd_kafka_headers_destroy(headers);
      delete pending;
      in_flight_.fetch_sub(bytes, std::memory_order_relaxed);
      return error_from(err);
    }
    return done{};
  }

  std::uint64_t in_flight_bytes() const override {
    return in_flight_.load(std::memory_order_relaxed);
  }
  std::uint64_t max_in_flight_bytes() const override { return max_in_flight_; }

  status flush(std::chrono::milliseconds timeout) override {
    auto err = rd_kafka_flush(rk_, static_cast<int>(timeout.count()));
    if (err) return error_from(err);
    return done{};
  }

  // Flushes up to timeout, then fails whatever is left so every callback runs once.
  void stop(std::chrono::milliseconds timeout) {
    if (stopping_.exchange(true)) return;
    if (poller_.joinable()) poller_.join();
    if (!rk_) return;
    if (rd_kafka_flush(rk_, static_cast<int>(timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(rk_, 1000);  // serves the purged records' reports
    }
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  const std::uint64_t max_in_flight_;
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::thread poller_;
};

// One admin request: options, a reply queue, and the wait for its result event.
class admin_request {
 public:
  admin_request(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout)
      : timeout_(timeout),
        options_(rd_kafka_AdminOptions_new(rk, op)),
        queue_(rd_kafka_queue_new(rk)) {
    char problem[256];
    rd_kafka_AdminOptions_set_request_timeout(options_, static_cast<int>(timeout.count()), problem,
                                              sizeof problem);
  }
  ~admin_request() {
    rd_kafka_queue_destroy(queue_);
    rd_kafka_AdminOptions_destroy(options_);
  }
  admin_request(const admin_request&) = delete;
  admin_request& operator=(const admin_request&) = delete;

  rd_kafka_AdminOptions_t* options() { return options_; }
  rd_kafka_queue_t* queue() { return queue_; }

  // The result event, or the request-level error.
  result<event_ptr> wait() {
    // A little longer than the request timeout, so librdkafka reports its own timeout.
    event_ptr event(rd_kafka_queue_poll(queue_, static_cast<int>(timeout_.count()) + 2000));
    if (!event) return kafka_error(codes::local_timed_out, "no answer from the Kafka cluster");
    if (auto err = rd_kafka_event_error(event.get())) {
      return error_from(err, rd_kafka_event_error_string(event.get()));
    }
    return event;
  }

 private:
  std::chrono::milliseconds timeout_;
  rd_kafka_AdminOptions_t* options_;
  rd_kafka_queue_t* queue_;
};

config_source from_rd(rd_kafka_ConfigSource_t source) {
  switch (source) {
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG: return config_source::dynamic_topic;
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG: return config_source::dynamic_broker;
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG:
      return config_source::dynamic_default_broker;
    case RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG: return config_source::static_broker;
    case RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG: return config_source::default_config;
    default: return config_source::unknown;
  }
}

std::optional<std::string> optional_text(const char* text) {
  if (!text) return std::nullopt;
  return std::string(text);
}

std::string state_name(rd_kafka_consumer_group_state_t state) {
  return rd_kafka_consumer_group_state_name(state);
}

class rdkafka_admin final : public admin {
 public:
  rdkafka_admin(rd_kafka_t* rk, std::chrono::milliseconds timeout) : rk_(rk), timeout_(timeout) {}

  result<cluster_metadata> metadata() override {
    const rd_kafka_metadata_t* raw = nullptr;
    auto err = rd_kafka_metadata(rk_, 1, nullptr, &raw, timeout_ms());
    if (err) return error_from(err);
    std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> md(
        raw, rd_kafka_metadata_destroy);
    cluster_metadata out;
    // Cached from the metadata response just received: timeout 0 does not block.
    if (char* id = rd_kafka_clusterid(rk_, 0)) {
      out.cluster_id = id;
      rd_kafka_mem_free(rk_, id);
    }
    out.controller_id = rd_kafka_controllerid(rk_, 0);
    for (int i = 0; i < md->broker_cnt; ++i) {
      out.brokers.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
    }
    std::sort(out.brokers.begin(), out.brokers.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    for (int i = 0; i < md->topic_cnt; ++i) {
      const auto& t = md->topics[i];
      topic_info topic;
      topic.name = t.topic;
      topic.error_code = t.err;
      // librdkafka 2.0 does not pass on Kafka's is_internal flag; these are Kafka's own.
      topic.is_internal = topic.name == "__consumer_offsets" || topic.name == "__transaction_state";
      for (int j = 0; j < t.partition_cnt; ++j) {
        const auto& p = t.partitions[j];
        partition_info partition;
        partition.id = p.id;
        partition.leader = p.leader;
        partition.error_code = p.err;
        partition.replicas.assign(p.replicas, p.replicas + p.replica_cnt);
        partition.in_sync_replicas.assign(p.isrs, p.isrs + p.isr_cnt);
        topic.partitions.push_back(std::move(partition));
      }
      std::sort(topic.partitions.begin(), topic.partitions.end(),
                [](const auto& a, const auto& b) { return a.id < b.id; });
      out.topics.push_back(std::move(topic));
    }
    std::sort(out.topics.begin(), out.topics.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  status create_topic(const new_topic& topic, bool validate_only) override {
    char problem[512];
    auto* request = rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions,
                                          topic.replication_factor, problem, sizeof problem);
    if (!request) return kafka_error(codes::local_invalid_argument, problem);
    std::unique_ptr<rd_kafka_NewTopic_t, void (*)(rd_kafka_NewTopic_t*)> owner(
        request, rd_kafka_NewTopic_destroy);
    for (const auto& [name, value] : topic.configs) {
      if (auto err = rd_kafka_NewTopic_set_config(request, name.c_str(), value.c_str())) {
        return error_from(err);
      }
    }
    admin_request call(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_);
    rd_kafka_AdminOptions_set_operation_timeout(call.options(), timeout_ms(), problem,
                                                sizeof problem);
    rd_kafka_AdminOptions_set_validate_only(call.options(), validate_only, problem, sizeof problem);
    rd_kafka_CreateTopics(rk_, &request, 1, call.options(), call.queue());
    WHARF_ASSIGN_OR_RETURN(auto event, call.wait());
    std::size_t count = 0;
    auto** topics = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    return topic_result_status(topics, count);
  }

  status delete_topic(const std::string& name) override {
    auto* request = rd_kafka_DeleteTopic_new(name.c_str());
    std::unique_ptr<rd_kafka_DeleteTopic_t, void (*)(rd_kafka_DeleteTopic_t*)> owner(
        request, rd_kafka_DeleteTopic_destroy);
    admin_request call(rk_, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_);
    char problem[256];
    rd_kafka_AdminOptions_set_operation_timeout(call.options(), timeout_ms(), problem,
                                                sizeof problem);
    rd_kafka_DeleteTopics(rk_, &request, 1, call.options(), call.queue());
    WHARF_ASSIGN_OR_RETURN(auto event, call.wait());
    std::size_t count = 0;
    auto** topics = rd_kafka_DeleteTopics_result_topics(
        rd_kafka_event_DeleteTopics_result(event.get()), &count);
    return topic_result_status(topics, count);
  }

  result<std::vector<config_entry>> describe_topic_configs(const std::string& topic) override {
    return describe_configs(RD_KAFKA_RESOURCE_TOPIC, topic);
  }

  result<std::vector<config_entry>> describe_broker_configs(std::int32_t broker_id) override {
    return describe_configs(RD_KAFKA_RESOURCE_BROKER, std::to_string(broker_id));
  }

  status replace_topic_configs(const std::string& topic,
                               const std::vector<std::pair<std::string, std::string>>& configs,
                               bool validate_only) override {
    auto* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
    std::unique_ptr<rd_kafka_ConfigResource_t, void (*)(rd_kafka_ConfigResource_t*)> owner(
        resource, rd_kafka_ConfigResource_destroy);
    for (const auto& [name, value] : configs) {
      if (auto err = rd_kafka_ConfigResource_set_config(resource, name.c_str(), value.c_str())) {
        return error_from(err);
      }
    }
    admin_request call(rk_, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout_);
    if (validate_only) {
      char problem[256];
      if (auto err =
              rd_kafka_AdminOptions_set_validate_only(call.options(), 1, problem, sizeof problem)) {
        return error_from(err, problem);
      }
    }
    rd_kafka_AlterConfigs(rk_, &resource, 1, call.options(), call.queue());
    WHARF_ASSIGN_OR_RETURN(auto event, call.wait());
    std::size_t count = 0;
    auto** resources = rd_kafka_AlterConfigs_result_resources(
        rd_kafka_event_AlterConfigs_result(event.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
      if (auto err = rd_kafka_ConfigResource_error(resources[i])) {
        return error_from(err, rd_kafka_ConfigResource_error_string(resources[i]));
      }
    }
    return done{};
  }

  result<std::vector<group_listing>> list_groups() override {
    admin_request call(rk_, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_);
    rd_kafka_ListConsumerGroups(rk_, call.options(), call.queue());
    WHARF_ASSIGN_OR_RETURN(auto event, call.wait());
    const auto* res = rd_kafka_event_ListConsumerGroups_result(event.get());
    std::size_t error_count = 0;
    auto** errors = rd_kafka_ListConsumerGroups_result_errors(res, &error_count);
    std::size_t count = 0;
    auto** groups = rd_kafka_ListConsumerGroups_result_valid(res, &count);
    // Some brokers answering is better than none: fail only if nothing came back.
    if (count == 0 && error_count > 0) {
      return kafka_error::from_code(rd_kafka_error_code(errors[0]),
                                    rd_kafka_error_string(errors[0]));
    }
    std::vector<group_listing> out;
    for (std::size_t i = 0; i < count; ++i) {
      group_listing g;
      g.group_id = rd_kafka_ConsumerGroupListing_group_id(groups[i]);
      g.is_simple = rd_kafka_ConsumerGroupListing_is_simple_consumer_group(groups[i]) != 0;
      g.state = state_name(rd_kafka_ConsumerGroupListing_state(groups[i]));
      out.push_back(std::move(g));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
    return out;
  }

  result<std::vector<group_description>> describe_groups(
      const std::vector<std::string>& group_ids) override {
    std::vector<const char*> names;
    for (const auto& g : group_ids) names.push_back(g.c_str());
    admin_request call(rk_, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_);
    rd_kafka_DescribeConsumerGroups(rk_, names.data(), names.size(), call.options(), call.queue());
    WHARF_ASSIGN_OR_RETURN(auto event, call.wait());
    std::size_t count = 0;
    auto** groups = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(event.get()), &count);
    std::vector<group_description> out;
    for (std::size_t i = 0; i < count; ++i) {
      const auto* g = groups[i];
      group_description d;
      d.group_id = rd_kafka_ConsumerGroupDescription_group_id(g);
      if (const auto* err = rd_kafka_ConsumerGroupDescription_error(g)) {
        d.error_code = rd_kafka_error_code(err);
      }
      d.is_simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0;
      if (const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(g)) {
        d.partition_assignor = assignor;
      }
      d.state = state_name(rd_kafka_ConsumerGroupDescription_state(g));
      if (const auto* node = rd_kafka_ConsumerGroupDescription_coordinator(g)) {
        d.coordinator_id = rd_kafka_Node_id(node);
      }
      auto members = rd_kafka_ConsumerGroupDescription_member_count(g);
      for (std::size_t m = 0; m < members; ++m) {
        const auto* member = rd_kafka_ConsumerGroupDescription_member(g, static_cast<int>(m));
        group_member gm;
        gm.member_id = optional_text(rd_kafka_MemberDescription_consumer_id(member)).value_or("");
        gm.group_instance_id =
            optional_text(rd_kafka_MemberDescription_group_instance_id(member)).value_or("");
        gm.client_id = optional_text(rd_kafka_MemberDescription_client_id(member)).value_or("");
        gm.host = optional_text(rd_kafka_MemberDescription_host(member)).value_or("");
        if (const auto* assignment = rd_kafka_MemberDescription_assignment(member)) {
          for (const auto& p : to_offsets(rd_kafka_MemberAssignment_partitions(assignment))) {
            gm.assignment.push_back({p.topic, p.partition});
          }
        }
        d.members.push_back(std::move(gm));
      }
      out.push_back(std::move(d));
    }
    return out;
  }

  result<std::vector<partition_offset>> group_offsets(
      const std::string& group_id, const std::vector<topic_partition>& partitions) override {
    partition_list_ptr list;
    if (!partitions.empty()) list = to_list(partitions);
    auto* request = rd_kafka_ListConsumerGroupOffsets_new(group_id.c_str(), list.get());
    std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t,
                    void (*)(rd_kafka_ListConsumerGroupOffsets_t*)>
        owner(request, rd_kafka_ListConsumerGroupOffsets_destroy);
    admin_request call(rk_, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_);
    rd_kafka_ListConsumerGroupOffsets(rk_, &request, 1, call.options(), call.queue());
    WHARF_ASSIGN_OR_RETURN(auto event, call.wait());
    std::size_t count = 0;
    auto** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(event.get()), &count);
    if (count == 0) return std::vector<partition_offset>{};
    if (const auto* err = rd_kafka_group_result_error(groups[0])) {
      return kafka_error::from_code(rd_kafka_error_code(err), rd_kafka_error_string(err));
    }
    return to_offsets(rd_kafka_group_result_partitions(groups[0]));
  }

  result<watermarks> query_watermarks(const std::string& topic, std::int32_t partition) override {
    return retrying_leader_changes([&]() -> result<watermarks> {
      watermarks out;
      auto err = rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &out.low,
                                                  &out.high, timeout_ms());
      if (err) return error_from(err);
      return out;
    });
  }

  result<std::vector<partition_offset>> offsets_for_time(
      const std::vector<topic_partition>& partitions, std::int64_t timestamp_ms) override {
    return retrying_leader_changes([&]() -> result<std::vector<partition_offset>> {
      auto list = to_list(partitions);
      for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = timestamp_ms;
      auto err = rd_kafka_offsets_for_times(rk_, list.get(), timeout_ms());
      if (err) return error_from(err);
      if (auto partition_err = first_partition_error(list.get())) return *partition_err;
      return to_offsets(list.get());
    });
  }

 private:
  int timeout_ms() const { return static_cast<int>(timeout_.count()); }

  // librdkafka asks the leader it last heard of: right after a topic is created or a
  // leader moves, that broker answers NOT_LEADER (or the leader is not known yet) until
  // the metadata catches up. Kafka's Java admin retries these; so do we, within the
  // request timeout.
  template <typename F>
  auto retrying_leader_changes(F&& call) -> decltype(call()) {
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (true) {
      auto outcome = call();
      if (outcome.ok()) return outcome;
      auto code = outcome.err().code();
      bool leader_moving = code == codes::not_leader_or_follower ||
                           code == codes::leader_not_available ||
                           code == codes::unknown_topic_or_partition ||
                           code == RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH ||
                           code == RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH;
      if (!leader_moving || std::chrono::steady_clock::now() >= deadline) return outcome;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  static status topic_result_status(const rd_kafka_topic_result_t** topics, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      if (auto err = rd_kafka_topic_result_error(topics[i])) {
        return error_from(err, rd_kafka_topic_result_error_string(topics[i]));
      }
    }
    return done{};
  }

  result<std::vector<config_entry>> describe_configs(rd_kafka_ResourceType_t type,
                                                     const std::string& name) {
    auto* resource = rd_kafka_ConfigResource_new(type, name.c_str());
    std::unique_ptr<rd_kafka_ConfigResource_t, void (*)(rd_kafka_ConfigResource_t*)> owner(
        resource, rd_kafka_ConfigResource_destroy);
    admin_request call(rk_, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_);
    rd_kafka_DescribeConfigs(rk_, &resource, 1, call.options(), call.queue());
    WHARF_ASSIGN_OR_RETURN(auto event, call.wait());
    std::size_t count = 0;
    auto** resources = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(event.get()), &count);
    std::vector<config_entry> out;
    for (std::size_t i = 0; i < count; ++i) {
      if (auto err = rd_kafka_ConfigResource_error(resources[i])) {
        return error_from(err, rd_kafka_ConfigResource_error_string(resources[i]));
      }
      std::size_t entries = 0;
      auto** configs = rd_kafka_ConfigResource_configs(resources[i], &entries);
      for (std::size_t e = 0; e < entries; ++e) {
        const auto* c = configs[e];
        config_entry entry;
        entry.name = rd_kafka_ConfigEntry_name(c);
        entry.value = optional_text(rd_kafka_ConfigEntry_value(c));
        entry.source = from_rd(rd_kafka_ConfigEntry_source(c));
        entry.is_default = rd_kafka_ConfigEntry_is_default(c) != 0;
        entry.is_read_only = rd_kafka_ConfigEntry_is_read_only(c) != 0;
        entry.is_sensitive = rd_kafka_ConfigEntry_is_sensitive(c) != 0;
        std::size_t synonym_count = 0;
        auto** synonyms = rd_kafka_ConfigEntry_synonyms(c, &synonym_count);
        for (std::size_t s = 0; s < synonym_count; ++s) {
          entry.synonyms.push_back({rd_kafka_ConfigEntry_name(synonyms[s]),
                                    optional_text(rd_kafka_ConfigEntry_value(synonyms[s])),
                                    from_rd(rd_kafka_ConfigEntry_source(synonyms[s]))});
        }
        out.push_back(std::move(entry));
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  rd_kafka_t* rk_;
  std::chrono::milliseconds timeout_;
};

class rdkafka_cluster final : public cluster {
 public:
  explicit rdkafka_cluster(cluster_options options)
      : options_(std::move(options)),
        producer_(options_.producer_max_in_flight_bytes),
        workers_(options_.worker_threads, "kafka-worker") {}

  ~rdkafka_cluster() override { shutdown(std::chrono::milliseconds(0)); }

  status open() {
    auto properties = common_properties();
    // Delivery and ordering as Kafka's Java producer has them by default.
    properties.emplace("acks", "all");
    properties.emplace("enable.idempotence", "true");
    properties.emplace("message.timeout.ms",
                       std::to_string(options_.producer_delivery_timeout.count()));
    properties.emplace("linger.ms", "2");
    // Services create topics explicitly; producing never creates one as a side effect.
    properties.emplace("allow.auto.create.topics", "false");
    WHARF_ASSIGN_OR_RETURN(auto conf, make_conf(properties));
    rd_kafka_conf_set_opaque(conf.get(), &producer_);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &rdkafka_producer::on_delivery_report);
    char problem[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), problem, sizeof problem);
    if (!rk_) return kafka_error(codes::local_invalid_argument, problem);
    conf.release();  // rd_kafka_new took it
    producer_.start(rk_);
    admin_ = std::make_unique<rdkafka_admin>(rk_, options_.request_timeout);
    return done{};
  }

  producer& shared_producer() override { return producer_; }
  admin& admin_client() override { return *admin_; }
  worker_pool& workers() override { return workers_; }
  const cluster_options& options() const override { return options_; }

  result<std::unique_ptr<consumer>> new_consumer(consumer_options options) override {
    auto properties = common_properties();
    properties["client.id"] = options.client_id;
    properties["group.id"] = options.group_id;
    properties["auto.offset.reset"] = options.auto_offset_reset;
    properties["enable.auto.commit"] = options.auto_commit ? "true" : "false";
    // Offsets are stored when a record reaches the client, not when librdkafka hands it
    // over: a record held back (over max_bytes) must not be committed.
    properties["enable.auto.offset.store"] = "false";
    properties.emplace("allow.auto.create.topics", "false");
    for (const auto& [name, value] : options.properties) properties[name] = value;
    WHARF_ASSIGN_OR_RETURN(auto conf, make_conf(properties));
    std::unique_ptr<detail::rebalance_hooks> hooks;
    if (options.on_assign || options.on_revoke) {
      hooks = std::make_unique<detail::rebalance_hooks>(
          detail::rebalance_hooks{std::move(options.on_assign), std::move(options.on_revoke)});
      rd_kafka_conf_set_opaque(conf.get(), hooks.get());
      rd_kafka_conf_set_rebalance_cb(conf.get(), &detail::rebalance_hooks::on_rebalance);
    }
    char problem[512];
    auto* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), problem, sizeof problem);
    if (!rk) return kafka_error(codes::local_invalid_argument, problem);
    conf.release();
    return make_rdkafka_consumer(rk, std::move(hooks));
  }

  void shutdown(std::chrono::milliseconds flush_timeout) override {
    if (closed_.exchange(true)) return;
    workers_.stop();
    producer_.stop(flush_timeout);
    admin_.reset();
    if (rk_) rd_kafka_destroy(rk_);
    rk_ = nullptr;
  }

 private:
  std::map<std::string, std::string> common_properties() const {
    std::map<std::string, std::string> properties = options_.properties;
    properties["bootstrap.servers"] = join(options_.bootstrap_servers, ",");
    properties.emplace("client.id", options_.client_id);
    // Brokers close idle connections (connections.max.idle.ms); that is not news.
    properties.emplace("log.connection.close", "false");
    return properties;
  }

  cluster_options options_;
  rdkafka_producer producer_;
  worker_pool workers_;
  rd_kafka_t* rk_ = nullptr;
  std::unique_ptr<rdkafka_admin> admin_;
  std::atomic<bool> closed_{false};
};

}  // namespace

result<std::unique_ptr<cluster>> cluster::connect(cluster_options options) {
  auto c = std::make_unique<rdkafka_cluster>(std::move(options));
  WHARF_RETURN_IF_ERROR(c->open());
  return std::unique_ptr<cluster>(std::move(c));
}

}  // namespace wharf::kafka::client
