"""Wharf's event-pattern matcher (src/pattern) agrees with AWS's event-ruler, the library
behind EventBridge: on the conformance cases written from the EventBridge documentation
(tests/data/event_patterns/conformance.json) and on thousands of seeded random patterns
and events (mixed operators, nested fields, arrays, $or, invalid patterns). Both sides run
over the same lines in one go: src/pattern's pattern_tool and
tests/peers/event_ruler/EventRulerCheck.java."""

from __future__ import annotations

import collections
import json
import os
import subprocess
from pathlib import Path

import pytest

from backends import REPO_ROOT, wharf_binary
from pattern_corpus import conformance_cases, conformance_lines, random_lines

SEED = int(os.environ.get("WHARF_PATTERN_SEED", "20261126"))
CASES = int(os.environ.get("WHARF_PATTERN_CASES", "6000"))


def event_ruler_command() -> list[str]:
    subprocess.run(["bash", str(REPO_ROOT / "tests/peers/fetch_event_ruler.sh")], check=True)
    pom = (REPO_ROOT / "tests/peers/event_ruler/pom.xml").read_text()
    version = pom.split("<event-ruler.version>")[1].split("<")[0]
    home = REPO_ROOT / ".cache/peers" / f"event-ruler-{version}"
    return ["java", "-Xmx512m", "-XX:+UseSerialGC", "-cp", f"{home}/classes:{home}/libs/*",
            "EventRulerCheck"]


@pytest.fixture(scope="module")
def event_ruler() -> list[str]:
    return event_ruler_command()


def pattern_tool_path() -> Path:
    return Path(wharf_binary()).parent / "src/pattern/pattern_tool"


@pytest.fixture(scope="module")
def pattern_tool() -> list[str]:
    tool = pattern_tool_path()
    if not os.access(tool, os.X_OK):
        pytest.fail(f"{tool} not built: run `bash scripts/build.sh release pattern_tool`")
    return [str(tool)]


def run(command: list[str], lines: list[str]) -> list[str]:
    done = subprocess.run(command + ["match"], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, timeout=600, check=True)
    # "\n" only: splitlines() would also split at U+2028 inside JSON strings.
    return done.stdout.rstrip("\n").split("\n")


def verdict(line: str) -> str:
    # Messages are compared by a human (see the INVALID samples below), the verdicts here.
    return line.split(" ", 1)[0]


def compare(event_ruler, pattern_tool, lines: list[str]) -> collections.Counter:
    java = run(event_ruler, lines)
    ours = run(pattern_tool, lines)
    assert len(java) == len(ours) == len(lines)
    disagreements = [(l, j, o) for l, j, o in zip(lines, java, ours) if verdict(j) != verdict(o)]
    assert not disagreements, f"{len(disagreements)} disagreements, first ones:\n" + "\n".join(
        f"{l}\n  event-ruler: {j}\n  wharf:       {o}" for l, j, o in disagreements[:15])
    assert not any(v.startswith("ERROR") for v in java + ours)
    return collections.Counter(verdict(j) for j in java)


def test_conformance_cases_agree_with_event_ruler(event_ruler, pattern_tool):
    counts = compare(event_ruler, pattern_tool, conformance_lines())
    assert counts["MATCH"] > 50 and counts["NO_MATCH"] > 50 and counts["INVALID"] > 50, counts


def test_conformance_expectations_hold_for_event_ruler(event_ruler):
    """The expectations written from the documentation are event-ruler's verdicts too."""
    cases = conformance_cases()
    java = run(event_ruler, conformance_lines())
    expected = {"match": "MATCH", "no-match": "NO_MATCH", "invalid": "INVALID"}
    wrong = [(c, j) for c, j in zip(cases, java) if expected[c["expect"]] != verdict(j)]
    assert not wrong, "\n".join(f"{c['name']}: expected {c['expect']}, event-ruler {j}"
                                for c, j in wrong[:15])


def test_random_patterns_and_events_agree_with_event_ruler(event_ruler, pattern_tool):
    counts = compare(event_ruler, pattern_tool, random_lines(SEED, CASES))
    # The corpus must exercise every verdict heavily, or agreement would prove little.
    assert counts["MATCH"] > CASES // 10 and counts["NO_MATCH"] > CASES // 5, counts
    assert counts["INVALID"] > CASES // 20, counts


def test_one_shared_rule_set_matches_the_same_rules_as_event_ruler(event_ruler, pattern_tool,
                                                                   tmp_path):
    """Thousands of rules in one rule_set / one event-ruler Machine (where rules share
    structure): every event must match exactly the same rule names on both sides."""
    import random
    import sys
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    import pattern_bench  # the benchmark's EventBridge-shaped rules and events

    rng = random.Random(SEED)
    rules = [pattern_bench.rule(rng, i) for i in range(3000)]
    events = [pattern_bench.event(rng) for _ in range(1000)]
    rules_file, events_file = tmp_path / "rules.jsonl", tmp_path / "events.jsonl"
    rules_file.write_text("\n".join(json.dumps(r) for r in rules) + "\n")
    events_file.write_text("\n".join(json.dumps(e) for e in events) + "\n")

    def names(command: list[str]) -> list[str]:
        done = subprocess.run(command + ["rules", str(rules_file), str(events_file)],
                              capture_output=True, text=True, timeout=600, check=True)
        return done.stdout.rstrip("\n").split("\n")

    java, ours = names(event_ruler), names(pattern_tool)
    assert len(java) == len(ours) == len(events)
    different = [(e, j, o) for e, j, o in zip(events, java, ours) if j != o]
    assert not different, "\n".join(f"{json.dumps(e)}\n  event-ruler: {j}\n  wharf:       {o}"
                                    for e, j, o in different[:5])
    assert sum(len(j.split()) for j in java) > len(events) // 2  # rules do match
