// Consumer group metrics, computed at scrape time under the names Kafka and Amazon MSK
// expose: the group coordinator's group counts by state
// (kafka_coordinator_group_GroupMetadataManager_Value{name="NumGroupsStable"}, ...) and
// MSK's consumer lag (kafka_consumer_group_ConsumerLagMetrics_Value{groupId, topic,
// partition, name="OffsetLag"|"EstimatedTimeLag"} and, per topic, "SumOffsetLag",
// "MaxOffsetLag", "EstimatedMaxTimeLag"), plus wharf_consumer_group_members{groupId}.
#pragma once

#include <memory>

namespace wharf::metrics {
class registry;
}

namespace wharf::broker {

struct broker_state;

void add_group_metrics(metrics::registry& registry, std::weak_ptr<broker_state> state);

}  // namespace wharf::broker
