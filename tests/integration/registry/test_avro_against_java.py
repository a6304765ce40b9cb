"""Wharf's Avro schema checks agree with Apache Avro's Java implementation (the library
Confluent Schema Registry uses): compatibility of thousands of generated schema pairs
plus the specification's cases, and the Parsing Canonical Form and fingerprint of every
schema involved. Both sides run over the same lines in one go: src/schema's
avro_compat_tool and tests/peers/avro/AvroCheck.java."""

from __future__ import annotations

import collections
import json
import os
import subprocess
from pathlib import Path

import pytest

from avro_corpus import SPEC_CASES, as_lines, random_pairs
from backends import REPO_ROOT, wharf_binary

SEED = int(os.environ.get("WHARF_AVRO_SEED", "20261125"))
PAIRS = int(os.environ.get("WHARF_AVRO_PAIRS", "4000"))


@pytest.fixture(scope="module")
def avro_java() -> list[str]:
    subprocess.run(["bash", str(REPO_ROOT / "tests/peers/fetch_avro.sh")], check=True)
    pom = (REPO_ROOT / "tests/peers/avro/pom.xml").read_text()
    version = pom.split("<avro.version>")[1].split("<")[0]
    home = REPO_ROOT / ".cache/peers" / f"avro-{version}"
    return ["java", "-Xmx256m", "-XX:+UseSerialGC", "-cp", f"{home}/classes:{home}/libs/*",
            "AvroCheck"]


@pytest.fixture(scope="module")
def wharf_tool() -> list[str]:
    tool = Path(wharf_binary()).parent / "src/schema/avro_compat_tool"
    if not os.access(tool, os.X_OK):
        pytest.fail(f"{tool} not built: run `make build`")
    return [str(tool)]


def run(command: list[str], mode: str, text: str) -> list[str]:
    done = subprocess.run(command + [mode], input=text, capture_output=True, text=True,
                          timeout=300, check=True)
    # "\n" only: splitlines() would also split at U+0085 and U+2028 inside JSON strings.
    return done.stdout.rstrip("\n").split("\n")


def verdict(line: str) -> str:
    # Error messages differ between the two; that both refuse is what must agree.
    return "ERROR" if line.startswith("ERROR") else line


def compare(avro_java, wharf_tool, pairs: list[dict]) -> collections.Counter:
    text = as_lines(pairs)
    java = run(avro_java, "compat", text)
    ours = run(wharf_tool, "compat", text)
    assert len(java) == len(ours) == len(pairs)
    disagreements = [(p, j, o) for p, j, o in zip(pairs, java, ours) if verdict(j) != verdict(o)]
    assert not disagreements, "\n".join(
        f"{json.dumps(p)}\n  java:  {j}\n  wharf: {o}" for p, j, o in disagreements[:10])
    return collections.Counter(verdict(j).split(" ")[0] for j in java)


def test_spec_cases_agree_with_java(avro_java, wharf_tool):
    counts = compare(avro_java, wharf_tool, SPEC_CASES)
    assert counts["COMPATIBLE"] > 10 and counts["INCOMPATIBLE"] > 10, counts


def test_generated_evolutions_agree_with_java(avro_java, wharf_tool):
    counts = compare(avro_java, wharf_tool, random_pairs(SEED, PAIRS))
    # The corpus must exercise both verdicts heavily, or agreement would prove little.
    assert counts["COMPATIBLE"] > PAIRS // 5 and counts["INCOMPATIBLE"] > PAIRS // 5, counts


def test_canonical_forms_and_fingerprints_agree_with_java(avro_java, wharf_tool):
    schemas = [c["reader"] for c in SPEC_CASES] + [p["writer"] for p in random_pairs(SEED + 1, 1500)]
    text = as_lines(schemas)
    java = run(avro_java, "canonical", text)
    ours = run(wharf_tool, "canonical", text)
    assert len(java) == len(ours) == len(schemas)
    disagreements = [(s, j, o) for s, j, o in zip(schemas, java, ours) if verdict(j) != verdict(o)]
    assert not disagreements, "\n".join(
        f"{json.dumps(s)}\n  java:  {j}\n  wharf: {o}" for s, j, o in disagreements[:10])
    assert sum(not j.startswith("ERROR") for j in java) > len(schemas) * 0.9
