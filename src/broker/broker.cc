#include "broker/broker.h"

#include <sys/random.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/logging.h"
#include "broker/broker_state.h"
#include "broker/connection_handler.h"
#include "broker/group_metrics.h"
#include "broker/handlers/handler.h"
#include "broker/offsets_topic.h"
#include "net/frame_server.h"
#include "net/io_runtime.h"

namespace wharf::broker {
namespace {

namespace fs = std::filesystem;

// A random cluster id in Kafka's format: 16 bytes, URL-safe base64 without padding.
std::string new_cluster_id() {
  unsigned char bytes[16];
  if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
    for (auto& b : bytes) b = static_cast<unsigned char>(std::rand());
  }
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char b : bytes) {
    bits = (bits << 8) | b;
    count += 8;
    while (count >= 6) {
      out += alphabet[(bits >> (count - 6)) & 0x3f];
      count -= 6;
    }
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 0x3f];
  return out;
}

std::map<std::string, std::string> read_properties(const fs::path& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

// meta.properties names the cluster and node a data dir belongs to, as Kafka's does;
// starting with a different node id is refused rather than mixing two brokers' data.
result<std::string> load_or_create_meta(const fs::path& dir, int node_id) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return make_error(errc::io_error, "cannot create data dir {}: {}", dir.string(), ec.message());
  auto path = dir / "meta.properties";
  if (fs::exists(path)) {
    auto props = read_properties(path);
    if (props["cluster.id"].empty()) {
      return make_error(errc::invalid_argument, "{} has no cluster.id", path.string());
    }
    if (props.count("node.id") && props["node.id"] != std::to_string(node_id)) {
      return make_error(errc::invalid_argument,
                        "{} belongs to node {}, but this broker is node {} (broker.node_id)",
                        path.string(), props["node.id"], node_id);
    }
    return props["cluster.id"];
  }
  auto cluster_id = new_cluster_id();
  auto tmp = dir / "meta.properties.tmp";
  {
    std::ofstream out(tmp);
    out << "#\n# Written by wharf on first start; do not edit.\nversion=1\ncluster.id="
        << cluster_id << "\nnode.id=" << node_id << "\n";
    if (!out) return make_error(errc::io_error, "cannot write {}", tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) return make_error(errc::io_error, "cannot write {}: {}", path.string(), ec.message());
  return cluster_id;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class broker_impl final : public broker {
 public:
  broker_impl(std::shared_ptr<broker_state> state, std::unique_ptr<net::frame_server> server)
      : state_(std::move(state)), server_(std::move(server)) {
    // Disk upkeep runs on its own thread, never on an I/O thread.
    maintenance_ = std::thread([this] { run_maintenance(); });
  }

  ~broker_impl() override { shutdown(std::chrono::steady_clock::now()); }

  std::string listener_address() const override { return server_->address(); }
  std::string cluster_id() const override { return state_->cluster_id; }
  bool ready() const override { return server_->accepting(); }
  void stop_accepting() override { server_->stop_accepting(); }
  bool shutdown(std::chrono::steady_clock::time_point deadline) override {
    if (closed_) return true;
    closed_ = true;
    server_->stop_accepting();
    // Parked JoinGroup/SyncGroup requests are answered now (NOT_COORDINATOR: the clients
    // look for the coordinator again), so draining does not wait for rebalance timeouts.
    state_->groups->shutdown();
    bool drained = server_->drain(deadline);
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (maintenance_.joinable()) maintenance_.join();
    state_->topics->close_all();
    return drained;
  }

 private:
  void run_maintenance() {
    auto log = logging::get("broker");
    auto next_cleanup = std::chrono::steady_clock::now() + state_->options.retention_check_interval;
    auto next_offsets_expiry =
        std::chrono::steady_clock::now() + state_->options.offsets_retention_check_interval;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::seconds(1));
      if (stopping_) break;
      lock.unlock();
      auto now = std::chrono::steady_clock::now();
      bool cleanup = now >= next_cleanup;
      if (cleanup) next_cleanup = now + state_->options.retention_check_interval;
      state_->transactions->abort_timed_out(wall_ms());
      auto deleted = state_->topics->run_maintenance(wall_ms(), cleanup);
      if (deleted > 0) log->info("retention deleted {} bytes of old segments", deleted);
      if (now >= next_offsets_expiry) {
        next_offsets_expiry = now + state_->options.offsets_retention_check_interval;
        state_->groups->expire_offsets();
      }
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool closed_ = false;
  std::thread maintenance_;
  std::shared_ptr<broker_state> state_;
  std::unique_ptr<net::frame_server> server_;
};

}  // namespace

result<std::unique_ptr<broker>> broker::start(net::io_runtime& runtime, broker_options options,
                                              metrics::registry& metrics) {
  auto state = std::make_shared<broker_state>();
  state->options = std::move(options);
  state->runtime = &runtime;
  state->metrics = &metrics;
  const auto& opts = state->options;

  WHARF_ASSIGN_OR_RETURN(state->cluster_id, load_or_create_meta(opts.data_dir, opts.node_id));
  topic_defaults defaults;
  defaults.partitions = opts.default_partitions;
  WHARF_ASSIGN_OR_RETURN(state->topics, topic_manager::open(opts.data_dir, defaults));
  WHARF_ASSIGN_OR_RETURN(state->producer_ids, producer_id_allocator::open(opts.data_dir));

  // The group coordinator, rebuilt from __consumer_offsets.
  auto offsets_log = std::make_shared<offsets_topic_log>(*state->topics, state->appends,
                                                         opts.offsets_topic_num_partitions);
  groups::coordinator_options group_options;
  group_options.initial_rebalance_delay_ms = opts.group_initial_rebalance_delay.count();
  group_options.min_session_timeout_ms = static_cast<std::int32_t>(
      std::min<std::int64_t>(opts.group_min_session_timeout.count(), INT32_MAX));
  group_options.max_session_timeout_ms = static_cast<std::int32_t>(
      std::min<std::int64_t>(opts.group_max_session_timeout.count(), INT32_MAX));
  group_options.offsets_retention_ms = opts.offsets_retention.count();
  group_options.offset_metadata_max_bytes =
      static_cast<std::size_t>(std::max<std::int64_t>(opts.offset_metadata_max_bytes, 0));
  state->groups =
      groups::group_coordinator::create(group_options, make_io_scheduler(runtime), offsets_log);
  WHARF_RETURN_IF_ERROR(offsets_log->replay_into(*state->groups));

  // The transaction coordinator, rebuilt from __transaction_state; a committed
  // transaction's offsets go to the group coordinator.
  transaction_coordinator_options txn_options;
  txn_options.offsets_partitions = opts.offsets_topic_num_partitions;
  auto committer = [groups = state->groups](const std::string& group, std::int64_t producer_id,
                                            const std::vector<pending_offset>& offsets,
                                            bool commit) {
    if (commit) {
      std::vector<groups::commit_entry> entries;
      entries.reserve(offsets.size());
      for (const auto& o : offsets) {
        entries.push_back(
            {{o.topic, o.partition}, o.offset, o.leader_epoch, o.metadata.value_or("")});
      }
      auto err = groups->commit_transaction_offsets(group, entries);
      if (err != kafka::protocol::error_code::none) {
        logging::get("broker")->error(
            "group {}: offsets of producer {}'s committed transaction "
            "not written (error {})",
            group, producer_id, static_cast<int>(err));
      }
    }
    // Drops the staged view (UNSTABLE_OFFSET_COMMIT) either way.
    groups->complete_transaction(producer_id, false);
  };
  WHARF_ASSIGN_OR_RETURN(state->transactions,
                         transaction_coordinator::open(*state, txn_options, committer));
  state->topic_counters = &metrics.counter_family(
      "kafka_server_BrokerTopicMetrics_Count",
      "Kafka's BrokerTopicMetrics meters (BytesInPerSec, BytesOutPerSec, MessagesInPerSec, ...) "
      "as cumulative counts, per topic; topic=\"\" is the broker total.",
      {"name", "topic"});
  state->request_counters = &metrics.counter_family(
      "kafka_network_RequestMetrics_Count",
      "Kafka's RequestMetrics meters as cumulative counts, per request type "
      "(name=\"RequestsPerSec\").",
      {"name", "request"});
  state->request_latency = &metrics.histogram_family(
      "wharf_kafka_request_duration_seconds",
      "Time from reading a Kafka request to its response being ready, per request type "
      "(Kafka's TotalTimeMs less the network send).",
      {"request"});
  for (const auto& h : api_handlers()) {
    auto name = std::string(kafka::protocol::api_name(h.key));
    auto& slot = state->per_api[static_cast<std::size_t>(h.key)];
    slot.requests = &state->request_counters->with({"RequestsPerSec", name});
    slot.latency = &state->request_latency->with({name});
  }
  // Partition and log gauges, read at scrape time (kafka.log:type=Log and friends).
  std::weak_ptr<broker_state> weak_state = state;
  metrics.add_collector([weak_state](metrics::sample_sink& sink) {
    auto s = weak_state.lock();
    if (!s || !s->topics) return;
    std::size_t partitions = 0;
    auto topics = s->topics->list();
    for (const auto& t : topics) {
      for (const auto& p : t->partitions) {
        ++partitions;
        std::vector<std::pair<std::string, std::string>> labels = {
            {"name", ""}, {"topic", t->name}, {"partition", std::to_string(p->index())}};
        auto emit = [&](const char* name, double value) {
          labels[0].second = name;
          sink.sample("kafka_log_Log_Value", metrics::metric_type::gauge,
                      "Kafka's kafka.log:type=Log gauges per partition (Size, LogStartOffset, "
                      "LogEndOffset, NumLogSegments).",
                      labels, value);
        };
        emit("Size", static_cast<double>(p->log().size_bytes()));
        emit("LogStartOffset", static_cast<double>(p->log().log_start_offset()));
        emit("LogEndOffset", static_cast<double>(p->log().log_end_offset()));
        emit("NumLogSegments", static_cast<double>(p->log().segment_count()));
      }
    }
    sink.sample("kafka_server_ReplicaManager_Value", metrics::metric_type::gauge,
                "Kafka's ReplicaManager gauges (PartitionCount, LeaderCount).",
                {{"name", "PartitionCount"}}, static_cast<double>(partitions));
    sink.sample("kafka_server_ReplicaManager_Value", metrics::metric_type::gauge,
                "Kafka's ReplicaManager gauges (PartitionCount, LeaderCount).",
                {{"name", "LeaderCount"}}, static_cast<double>(partitions));
    sink.sample("kafka_controller_KafkaController_Value", metrics::metric_type::gauge,
                "Kafka's KafkaController gauges (GlobalTopicCount, GlobalPartitionCount).",
                {{"name", "GlobalTopicCount"}}, static_cast<double>(topics.size()));
    sink.sample("kafka_controller_KafkaController_Value", metrics::metric_type::gauge,
                "Kafka's KafkaController gauges (GlobalTopicCount, GlobalPartitionCount).",
                {{"name", "GlobalPartitionCount"}}, static_cast<double>(partitions));
  });

  add_group_metrics(metrics, weak_state);

  net::frame_server_options listener;
  listener.name = "kafka";
  listener.host = opts.host;
  listener.port = opts.port;
  listener.max_frame_bytes = opts.max_request_bytes;
  listener.idle_timeout = opts.connections_max_idle;
  listener.max_in_flight_bytes = opts.max_in_flight_request_bytes;
  auto handler = std::make_shared<connection_handler>(state);
  WHARF_ASSIGN_OR_RETURN(auto server,
                         net::frame_server::start(runtime, listener, handler, &metrics));

  state->advertised_host = opts.advertised_host.empty() ? opts.host : opts.advertised_host;
  state->advertised_port = opts.advertised_port ? opts.advertised_port : server->port();
  return std::unique_ptr<broker>(std::make_unique<broker_impl>(state, std::move(server)));
}

}  // namespace wharf::broker
