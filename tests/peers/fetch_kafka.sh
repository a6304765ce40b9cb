#!/usr/bin/env bash
# Fetches Apache Kafka (broker, CLI tools, clients) from Maven Central into
# .cache/peers/kafka-<version>/libs and compiles the Java test client against it.
# Idempotent: a stamp holding the hash of the inputs makes a repeat run a no-op.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS="$ROOT/tests/peers"
POM="$PEERS/kafka/pom.xml"
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")
CACHE="$ROOT/.cache"
KAFKA_HOME="$CACHE/peers/kafka-$KAFKA_VERSION"
JAVA_OUT="$CACHE/peers/java-client"

for tool in java javac mvn; do
  command -v "$tool" >/dev/null || { echo "fetch_kafka: '$tool' not found (run scripts/deps.sh)" >&2; exit 1; }
done

# --- Kafka jars -------------------------------------------------------------
kafka_hash=$(cat "$POM" | sha256sum | cut -c1-16)
if [[ $(cat "$KAFKA_HOME/.stamp" 2>/dev/null) != "$kafka_hash" ]]; then
  mkdir -p "$CACHE/peers" "$CACHE/m2"
  tmp=$(mktemp -d "$CACHE/peers/.kafka-libs.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # Copy into a scratch dir and swap it in, so an interrupted run never leaves a
  # half-filled libs/ that a later run would mistake for a complete one.
  # Maven's output is kept for a failure only (even -q emits stray colour codes).
  if ! mvn -B -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$CACHE/m2" \
      dependency:copy-dependencies -DoutputDirectory="$tmp/libs" </dev/null >"$tmp/mvn.log" 2>&1; then
    tail -n 40 "$tmp/mvn.log" >&2
    echo "fetch_kafka: mvn dependency:copy-dependencies failed" >&2
    exit 1
  fi
  rm -f "$tmp/mvn.log"
  cp "$PEERS/kafka/log4j2.properties" "$tmp/log4j2.properties"
  rm -rf "$KAFKA_HOME"
  mv "$tmp" "$KAFKA_HOME"
  trap - EXIT
  echo "$kafka_hash" >"$KAFKA_HOME/.stamp"
  echo "fetch_kafka: Kafka $KAFKA_VERSION ready in ${KAFKA_HOME#"$ROOT/"} ($(ls "$KAFKA_HOME/libs" | wc -l) jars)"
fi
# The log4j config is small and may be edited without touching the pom.
cmp -s "$PEERS/kafka/log4j2.properties" "$KAFKA_HOME/log4j2.properties" ||
  cp "$PEERS/kafka/log4j2.properties" "$KAFKA_HOME/log4j2.properties"

# --- Java test client -------------------------------------------------------
java_hash=$( (cat "$PEERS/java/JavaClient.java"; echo "$kafka_hash") | sha256sum | cut -c1-16)
if [[ $(cat "$JAVA_OUT/.stamp" 2>/dev/null) != "$java_hash" ]]; then
  rm -rf "$JAVA_OUT"
  mkdir -p "$JAVA_OUT/classes"
  javac -nowarn -encoding UTF-8 --release 17 -cp "$KAFKA_HOME/libs/*" \
    -d "$JAVA_OUT/classes" "$PEERS/java/JavaClient.java"
  echo "$java_hash" >"$JAVA_OUT/.stamp"
  echo "fetch_kafka: Java client compiled into ${JAVA_OUT#"$ROOT/"}"
fi
