#!/usr/bin/env bash
# Installs the Node.js test peers' packages (kafkajs) into .cache/node from the
# committed tests/peers/node/package.json + package-lock.json with `npm ci`.
# Idempotent: reinstalls only when the package files changed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC="$ROOT/tests/peers/node"
DEST="$ROOT/.cache/node"

command -v npm >/dev/null || { echo "setup_node: npm not found" >&2; exit 1; }

want=$(cat "$SRC/package.json" "$SRC/package-lock.json" | sha256sum | cut -c1-16)
[[ -d $DEST/node_modules && $(cat "$DEST/.stamp" 2>/dev/null) == "$want" ]] && exit 0

mkdir -p "$DEST"
rm -f "$DEST/.stamp"
cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
(cd "$DEST" && npm ci --no-audit --no-fund --loglevel=error --cache "$ROOT/.cache/npm" </dev/null >/dev/null)
echo "$want" >"$DEST/.stamp"
echo "setup_node: kafkajs installed in ${DEST#"$ROOT/"}"
