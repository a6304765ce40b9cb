#!/usr/bin/env bash
# Installs the Debian packages the benchmarks need beyond the build's (scripts/deps.sh):
# wrk, the HTTP load generator of bench/rest_proxy_bench.py. Idempotent: returns at once
# when they are present.
set -euo pipefail

packages=(wrk)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "bench_deps: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) == 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
