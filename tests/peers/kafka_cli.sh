#!/usr/bin/env bash
# Runs an Apache Kafka CLI tool from the cached Maven jars by its short name:
#   tests/peers/kafka_cli.sh topics --bootstrap-server 127.0.0.1:9092 --list
# Logging goes to stderr at WARN (KAFKA_CLI_LOG_LEVEL overrides). Extra JVM flags
# can be passed in KAFKA_CLI_JAVA_OPTS. Fetches Kafka first if it is not cached.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
POM="$ROOT/tests/peers/kafka/pom.xml"
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")
KAFKA_HOME="$ROOT/.cache/peers/kafka-$KAFKA_VERSION"

usage() {
  cat >&2 <<USAGE
usage: $(basename "$0") TOOL [ARGS...]
tools: topics console-producer console-consumer consumer-groups share-groups
       streams-groups groups configs get-offsets producer-perf-test
       consumer-perf-test delete-records acls transactions features
       metadata-quorum log-dirs reassign-partitions leader-election
       broker-api-versions cluster storage verifiable-producer
       verifiable-consumer
USAGE
  exit 2
}

[[ $# -ge 1 ]] || usage
tool=$1
shift
case $tool in
  topics)              class=org.apache.kafka.tools.TopicCommand ;;
  console-producer)    class=org.apache.kafka.tools.ConsoleProducer ;;
  console-consumer)    class=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  consumer-groups)     class=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  share-groups)        class=org.apache.kafka.tools.consumer.group.ShareGroupCommand ;;
  streams-groups)      class=org.apache.kafka.tools.streams.StreamsGroupCommand ;;
  groups)              class=org.apache.kafka.tools.GroupsCommand ;;
  configs)             class=kafka.admin.ConfigCommand ;;
  get-offsets)         class=org.apache.kafka.tools.GetOffsetShell ;;
  producer-perf-test)  class=org.apache.kafka.tools.ProducerPerformance ;;
  consumer-perf-test)  class=org.apache.kafka.tools.ConsumerPerformance ;;
  delete-records)      class=org.apache.kafka.tools.DeleteRecordsCommand ;;
  acls)                class=org.apache.kafka.tools.AclCommand ;;
  transactions)        class=org.apache.kafka.tools.TransactionsCommand ;;
  features)            class=org.apache.kafka.tools.FeatureCommand ;;
  metadata-quorum)     class=org.apache.kafka.tools.MetadataQuorumCommand ;;
  log-dirs)            class=org.apache.kafka.tools.LogDirsCommand ;;
  reassign-partitions) class=org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
  leader-election)     class=org.apache.kafka.tools.LeaderElectionCommand ;;
  broker-api-versions) class=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
  cluster)             class=org.apache.kafka.tools.ClusterTool ;;
  storage)             class=kafka.tools.StorageTool ;;
  verifiable-producer) class=org.apache.kafka.tools.VerifiableProducer ;;
  verifiable-consumer) class=org.apache.kafka.tools.VerifiableConsumer ;;
  -h|--help|help)      usage ;;
  *) echo "kafka_cli: unknown tool '$tool'" >&2; usage ;;
esac

# A no-op (~20 ms) when the cache is current.
"$ROOT/tests/peers/fetch_kafka.sh" >&2

# C1-only JIT and the serial GC start these short-lived tools noticeably faster
# and keep them off the broker's CPU on a 2-core machine.
# shellcheck disable=SC2086
exec java -Xms32m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
  -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" \
  -Dwharf.log.level="${KAFKA_CLI_LOG_LEVEL:-WARN}" \
  ${KAFKA_CLI_JAVA_OPTS:-} \
  -cp "$KAFKA_HOME/libs/*" "$class" "$@"
