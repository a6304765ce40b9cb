#!/usr/bin/env bash
# Regenerates the option table of docs/configuration.md from the binary.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
doc="$root/docs/configuration.md"
bin=${WHARF_BIN:-$root/build/release/wharf}
header=$(sed '/^| key | type |/,$d' "$doc")
{ printf '%s\n\n' "$header"; "$bin" config reference; } > "$doc.tmp"
mv "$doc.tmp" "$doc"
