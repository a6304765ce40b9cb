#!/usr/bin/env bash
# Installs the Debian packages Wharf builds and tests with. Idempotent: when every
# package is already present it only runs dpkg-query and returns in well under a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  librdkafka-dev libssl-dev libcurl4-openssl-dev libspdlog-dev libfmt-dev
  libyaml-cpp-dev libcli11-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev libzip-dev
  libprotobuf-dev libprotoc-dev protobuf-compiler
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang clang-format libclang-rt-14-dev
  python3-venv kcat postgresql
  openjdk-17-jdk-headless maven
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

# Java and Maven may come from outside apt (a preinstalled JDK); accept them if on PATH.
if command -v java >/dev/null && command -v mvn >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do
    [[ $p == openjdk-17-jdk-headless || $p == maven ]] || filtered+=("$p")
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) == 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
