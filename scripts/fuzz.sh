#!/usr/bin/env bash
# Builds the fuzzers with clang (libFuzzer + ASan + UBSan) in build/fuzz and runs each
# for a bounded time: the Kafka request-frame decoder, seeded with the captured client
# frames, the record-batch validator/decoder, seeded with real clients' batches, and the
# group coordinator's __consumer_offsets record decoders and replay, the REST Proxy's
# request parsers, the HTTP services' Authorization header / JWT / password parsers, the
# Avro schema parser, compatibility checker and data codec, the Protobuf schema parser,
# printer and compatibility checker, the JSON Schema parser, validator and compatibility
# checker, the EventBridge event-pattern compiler and matchers, and the router's requests,
# targets, JSON paths, input transformers and pipes (CreatePipe bodies, record payloads,
# templates).
#   scripts/fuzz.sh [seconds per fuzzer=60] [extra libFuzzer flags...]
# Exits non-zero when a fuzzer finds a crash (the reproducer is left in build/fuzz/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
dir="$root/build/fuzz"

if [[ ! -f $dir/build.ninja ]]; then
  # Everything is instrumented for coverage and the sanitizers; clang does not know
  # GCC's -Wno-maybe-uninitialized, hence -Wno-unknown-warning-option.
  CC=clang CXX=clang++ cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWHARF_FUZZ=ON -DWHARF_BUILD_TESTS=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wno-unknown-warning-option" \
    >/dev/null
fi
ninja -C "$dir" -j2 kafka_request_frame_fuzzer kafka_records_batch_fuzzer \
  broker_group_records_fuzzer rest_proxy_request_fuzzer http_security_auth_fuzzer avro_schema_fuzzer \
  protobuf_schema_fuzzer json_schema_fuzzer pattern_fuzzer router_fuzzer

# Seed corpus: every captured request frame, one file each.
seeds="$dir/seeds"
corpus="$dir/corpus"
mkdir -p "$seeds" "$corpus"
python3 - "$root/tests/data/kafka_captures" "$seeds" <<'PY'
import sys
from pathlib import Path
src, out = Path(sys.argv[1]), Path(sys.argv[2])
count = 0
for path in sorted(src.glob("*.txt")):
    for n, line in enumerate(path.read_text().splitlines()):
        if line.startswith("request "):
            (out / f"{path.stem}-{n}").write_bytes(bytes.fromhex(line.split()[1]))
            count += 1
print(f"fuzz: {count} seed frames from {src}")
PY

cd "$dir"
# regressions/ holds inputs that once failed, so they are replayed on every run.
# -max_len: large enough for the captured produce requests. New inputs go to the build
# dir's corpus; the committed seeds are only read.
./src/kafka/protocol/kafka_request_frame_fuzzer "$corpus" "$seeds" \
  "$root/src/kafka/protocol/fuzz/regressions" \
  -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -print_final_stats=1 "$@"
records_corpus="$dir/records-corpus"
mkdir -p "$records_corpus"
./src/kafka/records/kafka_records_batch_fuzzer "$records_corpus" "$root/src/kafka/records/fuzz/corpus" \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$@"
groups_corpus="$dir/group-records-corpus"
mkdir -p "$groups_corpus"
./src/broker/groups/broker_group_records_fuzzer "$groups_corpus" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
rest_corpus="$dir/rest-proxy-corpus"
mkdir -p "$rest_corpus"
./src/services/rest_proxy/rest_proxy_request_fuzzer "$rest_corpus" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
auth_corpus="$dir/http-auth-corpus"
mkdir -p "$auth_corpus"
./src/http/security/http_security_auth_fuzzer "$auth_corpus" "$root/src/http/security/fuzz/corpus" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
avro_corpus="$dir/avro-schema-corpus"
mkdir -p "$avro_corpus"
./src/schema/avro_schema_fuzzer "$avro_corpus" "$root/src/schema/fuzz/seeds" "$root/src/schema/fuzz/regressions" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
protobuf_corpus="$dir/protobuf-schema-corpus"
mkdir -p "$protobuf_corpus"
./src/schema/protobuf/protobuf_schema_fuzzer "$protobuf_corpus" "$root/src/schema/protobuf/fuzz/seeds" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
json_corpus="$dir/json-schema-corpus"
mkdir -p "$json_corpus"
./src/schema/json_schema_fuzzer "$json_corpus" "$root/src/schema/fuzz/json-seeds" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
pattern_corpus="$dir/pattern-corpus"
mkdir -p "$pattern_corpus"
./src/pattern/pattern_fuzzer "$pattern_corpus" "$root/src/pattern/fuzz/seeds" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
router_corpus="$dir/router-corpus"
mkdir -p "$router_corpus"
./src/services/router/router_fuzzer "$router_corpus" "$root/src/services/router/fuzz/seeds" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
