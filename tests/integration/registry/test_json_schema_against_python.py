"""Wharf's JSON Schema validator (src/schema/json_validator, which the REST Proxy's
`jsonschema` format uses to refuse records) agrees with Python's jsonschema
(Draft7Validator, and Draft202012Validator for the corpus in 2020-12's words) on every verdict over a generated corpus of schemas and instances plus
hand-made edge cases, and both refuse the same malformed schemas. Wharf's side runs
through src/schema's json_schema_tool over the same lines."""

from __future__ import annotations

import collections
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from backends import wharf_binary
from json_schema_corpus import EDGE_CASES, SCHEMA_CHECKS, as_lines, corpus, corpus_2020_12

SEED = int(os.environ.get("WHARF_JSON_SCHEMA_SEED", "20261126"))
SCHEMAS = int(os.environ.get("WHARF_JSON_SCHEMA_SCHEMAS", "4000"))
INSTANCES = int(os.environ.get("WHARF_JSON_SCHEMA_INSTANCES", "8"))


@pytest.fixture(scope="module")
def wharf_tool() -> list[str]:
    tool = Path(wharf_binary()).parent / "src/schema/json_schema_tool"
    if not os.access(tool, os.X_OK):
        pytest.fail(f"{tool} not built: run `scripts/build.sh release json_schema_tool`")
    return [str(tool)]


def run(command: list[str], mode: str, text: str) -> list[str]:
    done = subprocess.run(command + [mode], input=text, capture_output=True, text=True,
                          timeout=600, check=True)
    # "\n" only: splitlines() would also split at U+2028 inside JSON strings.
    return done.stdout.rstrip("\n").split("\n")


def python_verdict(schema, instance) -> str:
    # validator_for: Draft7Validator unless the schema names its dialect ($schema).
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return "VALID" if validator(schema).is_valid(instance) else "INVALID"


def compare(wharf_tool, cases: list[dict]) -> collections.Counter:
    ours = run(wharf_tool, "validate", as_lines(cases))
    assert len(ours) == len(cases)
    disagreements = []
    verdicts = collections.Counter()
    for case, line in zip(cases, ours):
        expected = python_verdict(case["schema"], case["instance"])
        got = line.split(" ", 1)[0]
        verdicts[expected] += 1
        if got != expected:
            disagreements.append((case, expected, line))
    assert not disagreements, "\n".join(
        f"schema {c['schema']!r} instance {c['instance']!r}: python {e}, wharf {o}"
        for c, e, o in disagreements[:20]) + f"\n({len(disagreements)} disagreements)"
    return verdicts


def test_generated_corpus_verdicts_agree(wharf_tool):
    cases = corpus(SEED, SCHEMAS, INSTANCES)
    verdicts = compare(wharf_tool, cases)
    # The corpus must exercise both outcomes in earnest, or the test proves little.
    assert verdicts["VALID"] > len(cases) // 5, verdicts
    assert verdicts["INVALID"] > len(cases) // 5, verdicts


def test_generated_2020_12_corpus_verdicts_agree(wharf_tool):
    """The same corpus in draft 2020-12's keywords (prefixItems, dependentRequired,
    dependentSchemas, minContains/maxContains, $ref with siblings), against
    Draft202012Validator."""
    cases = corpus_2020_12(SEED + 1, SCHEMAS // 2, INSTANCES)
    verdicts = compare(wharf_tool, cases)
    assert verdicts["VALID"] > len(cases) // 5, verdicts
    assert verdicts["INVALID"] > len(cases) // 5, verdicts


def test_edge_cases_agree(wharf_tool):
    compare(wharf_tool, [{"schema": s, "instance": i} for s, i in EDGE_CASES])


def test_invalid_pointers_name_the_failing_value(wharf_tool):
    cases = [
        {"schema": {"properties": {"a": {"items": {"type": "integer"}}}},
         "instance": {"a": [1, "x", 3]}},
        {"schema": {"required": ["b"]}, "instance": {}},
    ]
    assert run(wharf_tool, "validate", as_lines(cases)) == ["INVALID /a/1", "INVALID /"]


def test_malformed_schemas_are_refused_by_both(wharf_tool):
    lines = run(wharf_tool, "validate",
                as_lines([{"schema": s, "instance": None} for s in SCHEMA_CHECKS]))
    disagreements = []
    for schema, line in zip(SCHEMA_CHECKS, lines):
        try:
            jsonschema.Draft7Validator.check_schema(schema)
            python_refuses = False
        except jsonschema.SchemaError:
            python_refuses = True
        if python_refuses != line.startswith("ERROR"):
            disagreements.append((schema, python_refuses, line))
    assert not disagreements, disagreements
