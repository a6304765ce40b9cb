#!/usr/bin/env bash
# Runs the Java kafka-clients test peer (tests/peers/java/JavaClient.java):
#   tests/peers/java_client.sh produce --bootstrap 127.0.0.1:9092 --topic t --count 10
#   tests/peers/java_client.sh consume --bootstrap 127.0.0.1:9092 --topic t --count 10 --group g
# Builds it (and fetches Kafka) first if the cache is missing or stale.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
POM="$ROOT/tests/peers/kafka/pom.xml"
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")
KAFKA_HOME="$ROOT/.cache/peers/kafka-$KAFKA_VERSION"
CLASSES="$ROOT/.cache/peers/java-client/classes"

# A no-op (~20 ms) when the cache is current; rebuilds after a source or pom change.
"$ROOT/tests/peers/fetch_kafka.sh" >&2

# shellcheck disable=SC2086
exec java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
  -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" \
  -Dwharf.log.level="${JAVA_CLIENT_LOG_LEVEL:-WARN}" \
  ${JAVA_CLIENT_JAVA_OPTS:-} \
  -cp "$CLASSES:$KAFKA_HOME/libs/*" JavaClient "$@"
