#!/usr/bin/env bash
# Fetches Apache Avro's Java library from Maven Central into .cache/peers/avro-<version>
# and compiles tests/peers/avro/AvroCheck.java against it. Idempotent: a stamp holding
# the hash of the inputs makes a repeat run a no-op. Prints nothing when up to date.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEER="$ROOT/tests/peers/avro"
AVRO_VERSION=$(sed -n 's:.*<avro.version>\(.*\)</avro.version>.*:\1:p' "$PEER/pom.xml")
CACHE="$ROOT/.cache"
HOME_DIR="$CACHE/peers/avro-$AVRO_VERSION"

for tool in java javac mvn; do
  command -v "$tool" >/dev/null || { echo "fetch_avro: '$tool' not found (run scripts/deps.sh)" >&2; exit 1; }
done

hash=$(cat "$PEER/pom.xml" "$PEER/AvroCheck.java" | sha256sum | cut -c1-16)
if [[ $(cat "$HOME_DIR/.stamp" 2>/dev/null) == "$hash" ]]; then exit 0; fi

mkdir -p "$CACHE/peers" "$CACHE/m2"
tmp=$(mktemp -d "$CACHE/peers/.avro.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! mvn -B -Dstyle.color=never -f "$PEER/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    dependency:copy-dependencies -DoutputDirectory="$tmp/libs" </dev/null >"$tmp/mvn.log" 2>&1; then
  tail -n 40 "$tmp/mvn.log" >&2
  echo "fetch_avro: mvn dependency:copy-dependencies failed" >&2
  exit 1
fi
mkdir -p "$tmp/classes"
javac -nowarn -encoding UTF-8 --release 17 -cp "$tmp/libs/*" -d "$tmp/classes" "$PEER/AvroCheck.java"
rm -f "$tmp/mvn.log"
rm -rf "$HOME_DIR"
mv "$tmp" "$HOME_DIR"
trap - EXIT
echo "$hash" >"$HOME_DIR/.stamp"
echo "fetch_avro: Avro $AVRO_VERSION ready in ${HOME_DIR#"$ROOT/"}"
