#!/usr/bin/env bash
# Sets up every test peer, caching everything under .cache/:
#   1. Python venv with tests/requirements.txt      (setup_python.sh)
#   2. Apache Kafka jars + the Java test client      (fetch_kafka.sh)
#   3. Apache Avro jars + AvroCheck                  (fetch_avro.sh)
#   4. AWS event-ruler jars + EventRulerCheck        (fetch_event_ruler.sh)
#   5. kafkajs for the Node.js test client           (setup_node.sh)
#   6. AWS's Java Lambda runtime interface client   (fetch_lambda_java.sh)
# Prints one line per step; a failing step prints its output and exits non-zero.
# With everything cached this takes well under a second.
set -euo pipefail

PEERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$PEERS/../.." && pwd)
mkdir -p "$ROOT/.cache"
log=$(mktemp "$ROOT/.cache/setup_all.XXXXXX.log")
trap 'rm -f "$log"' EXIT

step() {
  local name=$1 script=$2 start=$SECONDS
  if "$PEERS/$script" >"$log" 2>&1 </dev/null; then
    echo "setup_all: $name ok ($((SECONDS - start))s)"
  else
    local rc=$?
    echo "setup_all: $name FAILED (exit $rc):" >&2
    cat "$log" >&2
    exit "$rc"
  fi
}

step "python venv (.cache/venv)" setup_python.sh
step "kafka jars + java client (.cache/peers)" fetch_kafka.sh
step "avro jars + AvroCheck (.cache/peers)" fetch_avro.sh
step "event-ruler jars + EventRulerCheck (.cache/peers)" fetch_event_ruler.sh
step "node kafkajs (.cache/node)" setup_node.sh
step "java lambda runtime client + handler (.cache/peers)" fetch_lambda_java.sh
