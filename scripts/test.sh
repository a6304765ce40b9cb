#!/usr/bin/env bash
# Sets up and runs every test: the clang-format check, the unit tests under a Release
# and an ASan+UBSan build, and the integration tests (real clients and peers) against
# the Release binary. Ends with one line: "N passed, N failed[, N skipped]".
#   --unit-only / --integration-only run a part; extra args after -- go to pytest.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

run_unit=1
run_integration=1
pytest_args=()
while (($#)); do
  case $1 in
    --unit-only) run_integration=0 ;;
    --integration-only) run_unit=0 ;;
    --) shift; pytest_args=("$@"); break ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

reports="$root/build/reports"
rm -rf "$reports"
mkdir -p "$reports"
failed_stages=()
stage() { echo; echo "==== $* ($(date +%H:%M:%S))"; }

stage "dependencies"
bash scripts/deps.sh || { echo "dependency install failed" >&2; exit 1; }

if ((run_unit)); then
  stage "format check"
  bash scripts/format.sh --check || failed_stages+=(format)

  for kind in release asan; do
    stage "build $kind"
    if bash scripts/build.sh "$kind"; then
      stage "unit tests ($kind)"
      (cd "build/$kind" && ctest -L unit -j2 --output-on-failure --timeout 120 \
        --output-junit "$reports/unit-$kind.xml") || failed_stages+=("unit-$kind")
    else
      failed_stages+=("build-$kind")
    fi
  done

  # Bounded fuzzing of the parsers of untrusted input; a crash fails the run.
  stage "fuzz (${FUZZ_SECONDS:-30}s per fuzzer)"
  fuzz_log="$reports/fuzz.log"
  if bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}" >"$fuzz_log" 2>&1; then
    result='<testcase classname="fuzz" name="request_frame_and_record_batch"/>'
  else
    result='<testcase classname="fuzz" name="request_frame_and_record_batch"><failure message="fuzzer failed: see build/reports/fuzz.log"/></testcase>'
    failed_stages+=(fuzz)
    tail -40 "$fuzz_log"
  fi
  grep -E "^(Done|stat::number_of_executed_units|fuzz:)" "$fuzz_log" || true
  printf '<testsuite name="fuzz">%s</testsuite>\n' "$result" >"$reports/fuzz.xml"
fi

if ((run_integration)); then
  stage "build release"
  bash scripts/build.sh release || failed_stages+=(build-release)
  stage "test peers"
  if bash tests/peers/setup_all.sh; then
    stage "integration tests"
    WHARF_BIN="$root/build/release/wharf" .cache/venv/bin/python -m pytest tests/integration \
      -p no:cacheprovider --junitxml="$reports/integration.xml" "${pytest_args[@]}"
    rc=$?
    ((rc == 0)) || failed_stages+=(integration)
  else
    failed_stages+=(peers)
  fi
fi

stage "summary"
python3 scripts/summarize_junit.py "$reports"/*.xml
summary_rc=$?
if ((${#failed_stages[@]})); then
  echo "failed stages: ${failed_stages[*]}" >&2
  exit 1
fi
exit $summary_rc
