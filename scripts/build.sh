#!/usr/bin/env bash
# Configures and builds one build tree: `release` (optimised, what runs and is
# benchmarked) or `asan` (AddressSanitizer + UBSan, for the unit tests).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kind=${1:-release}
shift || true

bash "$root/scripts/deps.sh"

# Relative paths in ccache keys let another clone of the repo reuse the cache.
export CCACHE_BASEDIR="$root"

case $kind in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  # -g1: line tables for sanitizer reports without the compile cost of full debug info.
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DWHARF_SANITIZE=ON "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1") ;;
  *) echo "build.sh: unknown build kind '$kind' (release or asan)" >&2; exit 2 ;;
esac

dir="$root/build/$kind"
if [[ ! -f $dir/build.ninja ]]; then
  cmake -S "$root" -B "$dir" -G Ninja "${flags[@]}" >/dev/null
fi
ninja -C "$dir" "$@"
