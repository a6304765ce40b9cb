#include "broker/group_metrics.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "broker/broker_state.h"
#include "kafka/records/record.h"
#include "metrics/registry.h"

namespace wharf::broker {

namespace kr = kafka::records;

namespace {

using labels = std::vector<std::pair<std::string, std::string>>;

constexpr const char* manager_metric = "kafka_coordinator_group_GroupMetadataManager_Value";
constexpr const char* manager_help =
    "Kafka's GroupMetadataManager gauges: NumGroups, NumGroups<State> (PreparingRebalance, "
    "CompletingRebalance, Stable, Dead, Empty) and NumOffsets.";
constexpr const char* lag_metric = "kafka_consumer_group_ConsumerLagMetrics_Value";
constexpr const char* lag_help =
    "Amazon MSK's consumer lag of groups in the Stable or Empty state: OffsetLag and "
    "EstimatedTimeLag (seconds) per partition; SumOffsetLag, MaxOffsetLag and "
    "EstimatedMaxTimeLag (seconds) per topic.";

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The append time of the first record at or after offset: the timestamp of the first
// record the group has not consumed yet (for LogAppendTime topics exactly the append time,
// otherwise the producer's time). nullopt if it cannot be read.
std::optional<std::int64_t> timestamp_at(const partition& p, std::int64_t offset,
                                         std::int64_t high_watermark) {
  auto read = p.log().read(offset, 1, high_watermark, true);
  if (!read || read->records.empty()) return std::nullopt;
  auto split = kr::split_batches(read->records.bytes(), kr::partial_batches::allow);
  if (!split) return std::nullopt;
  for (const auto& batch : split->batches) {
    if (batch.header().is_control() || batch.header().last_offset() < offset) continue;
    auto decoded = kr::decode_batch(batch);
    if (!decoded) return batch.header().max_timestamp;
    for (const auto& r : decoded->records) {
      if (r.offset >= offset) return r.timestamp;
    }
  }
  return std::nullopt;
}

}  // namespace

void add_group_metrics(metrics::registry& registry, std::weak_ptr<broker_state> weak_state) {
  registry.add_collector([weak_state](metrics::sample_sink& sink) {
    auto s = weak_state.lock();
    if (!s || !s->groups || !s->topics) return;
    auto groups = s->groups->snapshot();

    std::map<groups::group_state, double> by_state;
    double offsets = 0;
    for (const auto& g : groups) {
      ++by_state[g.state];
      offsets += static_cast<double>(g.offsets.size());
    }
    auto manager = [&](const char* name, double value) {
      sink.sample(manager_metric, metrics::metric_type::gauge, manager_help, {{"name", name}},
                  value);
    };
    manager("NumGroups", static_cast<double>(groups.size()));
    manager("NumGroupsPreparingRebalance", by_state[groups::group_state::preparing_rebalance]);
    manager("NumGroupsCompletingRebalance", by_state[groups::group_state::completing_rebalance]);
    manager("NumGroupsStable", by_state[groups::group_state::stable]);
    manager("NumGroupsDead", by_state[groups::group_state::dead]);
    manager("NumGroupsEmpty", by_state[groups::group_state::empty]);
    manager("NumOffsets", offsets);

    auto now = wall_ms();
    for (const auto& g : groups) {
      sink.sample("wharf_consumer_group_members", metrics::metric_type::gauge,
                  "Members of each consumer group.", {{"groupId", g.group_id}},
                  static_cast<double>(g.members));
      // As MSK: lag only for groups that are not rebalancing.
      if (g.state != groups::group_state::stable && g.state != groups::group_state::empty) {
        continue;
      }
      struct topic_lag {
        double sum = 0;
        double max = 0;
        double max_time_lag = 0;
      };
      std::map<std::string, topic_lag> per_topic;
      for (const auto& [tp, committed] : g.offsets) {
        auto t = s->topics->find(tp.topic);
        if (!t || tp.partition < 0 ||
            static_cast<std::size_t>(tp.partition) >= t->partitions.size()) {
          continue;
        }
        const auto& part = *t->partitions[static_cast<std::size_t>(tp.partition)];
        auto hw = part.high_watermark();
        auto lag = std::max<std::int64_t>(hw - std::max<std::int64_t>(committed, 0), 0);
        double time_lag = 0;
        if (lag > 0) {
          if (auto ts =
                  timestamp_at(part, std::max(committed, part.log().log_start_offset()), hw)) {
            time_lag = static_cast<double>(std::max<std::int64_t>(now - *ts, 0)) / 1000.0;
          }
        }
        auto& agg = per_topic[tp.topic];
        agg.sum += static_cast<double>(lag);
        agg.max = std::max(agg.max, static_cast<double>(lag));
        agg.max_time_lag = std::max(agg.max_time_lag, time_lag);
        labels l = {{"groupId", g.group_id},
                    {"topic", tp.topic},
                    {"partition", std::to_string(tp.partition)},
                    {"name", "OffsetLag"}};
        sink.sample(lag_metric, metrics::metric_type::gauge, lag_help, l, static_cast<double>(lag));
        l[3].second = "EstimatedTimeLag";
        sink.sample(lag_metric, metrics::metric_type::gauge, lag_help, l, time_lag);
      }
      for (const auto& [topic, agg] : per_topic) {
        labels l = {{"groupId", g.group_id}, {"topic", topic}, {"name", "SumOffsetLag"}};
        sink.sample(lag_metric, metrics::metric_type::gauge, lag_help, l, agg.sum);
        l[2].second = "MaxOffsetLag";
        sink.sample(lag_metric, metrics::metric_type::gauge, lag_help, l, agg.max);
        l[2].second = "EstimatedMaxTimeLag";
        sink.sample(lag_metric, metrics::metric_type::gauge, lag_help, l, agg.max_time_lag);
      }
    }
  });
}

}  // namespace wharf::broker
