#!/usr/bin/env bash
# Fetches AWS's Java Lambda runtime interface client (with aws-lambda-java-core and
# -events) from Maven Central into .cache/peers/lambda-java-<version>/libs and builds
# tests/peers/lambda-java's handler into handler.jar beside them. Run a function with
#   java -cp "<dir>/handler.jar:<dir>/libs/*" \
#     com.amazonaws.services.lambda.runtime.api.client.AWSLambda example.Handler::handleRequest
# Idempotent: a stamp holding the hash of the inputs makes a repeat run a no-op.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEER="$ROOT/tests/peers/lambda-java"
RIC_VERSION=$(sed -n 's:.*<ric.version>\(.*\)</ric.version>.*:\1:p' "$PEER/pom.xml")
CACHE="$ROOT/.cache"
HOME_DIR="$CACHE/peers/lambda-java-$RIC_VERSION"
SOURCES=("$PEER"/src/main/java/example/*.java)

for tool in java javac jar mvn; do
  command -v "$tool" >/dev/null || { echo "fetch_lambda_java: '$tool' not found (run scripts/deps.sh)" >&2; exit 1; }
done

hash=$(cat "$PEER/pom.xml" "${SOURCES[@]}" | sha256sum | cut -c1-16)
if [[ $(cat "$HOME_DIR/.stamp" 2>/dev/null) == "$hash" ]]; then exit 0; fi

mkdir -p "$CACHE/peers" "$CACHE/m2"
tmp=$(mktemp -d "$CACHE/peers/.lambda-java.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! mvn -B -Dstyle.color=never -f "$PEER/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    dependency:copy-dependencies -DoutputDirectory="$tmp/libs" </dev/null >"$tmp/mvn.log" 2>&1; then
  tail -n 40 "$tmp/mvn.log" >&2
  echo "fetch_lambda_java: mvn dependency:copy-dependencies failed" >&2
  exit 1
fi
mkdir -p "$tmp/classes"
javac -nowarn -encoding UTF-8 --release 17 -cp "$tmp/libs/*" -d "$tmp/classes" "${SOURCES[@]}"
jar cf "$tmp/handler.jar" -C "$tmp/classes" .
rm -rf "$tmp/classes" "$tmp/mvn.log"
rm -rf "$HOME_DIR"
mv "$tmp" "$HOME_DIR"
trap - EXIT
echo "$hash" >"$HOME_DIR/.stamp"
echo "fetch_lambda_java: Java runtime interface client $RIC_VERSION ready in ${HOME_DIR#"$ROOT/"}"
