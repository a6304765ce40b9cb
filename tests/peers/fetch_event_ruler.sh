#!/usr/bin/env bash
# Fetches AWS event-ruler (EventBridge's event-pattern matcher) from Maven Central into
# .cache/peers/event-ruler-<version> and compiles tests/peers/event_ruler/EventRulerCheck.java
# against it. Idempotent: a stamp holding the hash of the inputs makes a repeat run a
# no-op. Prints nothing when up to date.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEER="$ROOT/tests/peers/event_ruler"
VERSION=$(sed -n 's:.*<event-ruler.version>\(.*\)</event-ruler.version>.*:\1:p' "$PEER/pom.xml")
CACHE="$ROOT/.cache"
HOME_DIR="$CACHE/peers/event-ruler-$VERSION"

for tool in java javac mvn; do
  command -v "$tool" >/dev/null || { echo "fetch_event_ruler: '$tool' not found (run scripts/deps.sh)" >&2; exit 1; }
done

hash=$(cat "$PEER/pom.xml" "$PEER/EventRulerCheck.java" | sha256sum | cut -c1-16)
if [[ $(cat "$HOME_DIR/.stamp" 2>/dev/null) == "$hash" ]]; then exit 0; fi

mkdir -p "$CACHE/peers" "$CACHE/m2"
tmp=$(mktemp -d "$CACHE/peers/.event-ruler.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! mvn -B -Dstyle.color=never -f "$PEER/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    dependency:copy-dependencies -DoutputDirectory="$tmp/libs" </dev/null >"$tmp/mvn.log" 2>&1; then
  tail -n 40 "$tmp/mvn.log" >&2
  echo "fetch_event_ruler: mvn dependency:copy-dependencies failed" >&2
  exit 1
fi
mkdir -p "$tmp/classes"
javac -nowarn -encoding UTF-8 --release 17 -cp "$tmp/libs/*" -d "$tmp/classes" "$PEER/EventRulerCheck.java"
rm -f "$tmp/mvn.log"
rm -rf "$HOME_DIR"
mv "$tmp" "$HOME_DIR"
trap - EXIT
echo "$hash" >"$HOME_DIR/.stamp"
echo "fetch_event_ruler: event-ruler $VERSION ready in ${HOME_DIR#"$ROOT/"}"
