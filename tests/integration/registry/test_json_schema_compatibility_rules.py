"""Wharf's JSON Schema compatibility (src/schema/json_compatibility) follows Confluent
Schema Registry's documented rules: a hand-made table of (old, new, level, compatible?,
incompatible difference types), written from the Confluent docs' "Schema Evolution and
Compatibility" JSON Schema section (open, closed and partially open content models) and
the cases of Confluent's json-schema-provider diff tests (its Difference.Type names and
its strict / lenient sets of compatible changes). Wharf's side runs through
json_schema_tool.

BACKWARD: the new schema reads data written with the old one; FORWARD: the old reads the
new's; FULL: both."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from backends import wharf_binary

OPEN = {"type": "object", "properties": {"name": {"type": "string"}}}
CLOSED = {"type": "object", "properties": {"name": {"type": "string"}},
          "additionalProperties": False}
PARTIAL = {"type": "object", "properties": {"name": {"type": "string"}},
           "additionalProperties": {"type": "string"}}


def with_property(base: dict, name: str, schema, required: bool = False) -> dict:
    out = json.loads(json.dumps(base))
    out["properties"][name] = schema
    if required:
        out["required"] = [name]
    return out


# (description, old, new, level, lenient, expected verdict)
# where the verdict is "COMPATIBLE" or the sorted incompatible difference types.
CASES = [
    ("a type widened to a union with null reads old data",
     {"type": "string"}, {"type": ["string", "null"]}, "BACKWARD", False, "COMPATIBLE"),
    ("the union cannot be read by the old single type",
     {"type": "string"}, {"type": ["string", "null"]}, "FORWARD", False,
     "INCOMPATIBLE TYPE_CHANGED"),
    ("number narrowed to integer", {"type": "number"}, {"type": "integer"}, "BACKWARD", False,
     "INCOMPATIBLE TYPE_NARROWED"),
    ("integer widened to number", {"type": "integer"}, {"type": "number"}, "BACKWARD", False,
     "COMPATIBLE"),
    ("string to integer", {"type": "string"}, {"type": "integer"}, "BACKWARD", False,
     "INCOMPATIBLE TYPE_CHANGED"),
    ("anything can become the empty schema", {"type": "string", "maxLength": 3}, {},
     "BACKWARD", False, "COMPATIBLE"),
    ("the empty schema cannot become a string", {}, {"type": "string"}, "BACKWARD", False,
     "INCOMPATIBLE TYPE_CHANGED"),
    ("open content model: an optional property added may clash with old data",
     OPEN, with_property(OPEN, "age", {"type": "integer"}), "BACKWARD", False,
     "INCOMPATIBLE OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
    ("open content model, lenient policy: an optional property added is accepted",
     OPEN, with_property(OPEN, "age", {"type": "integer"}), "BACKWARD", True, "COMPATIBLE"),
    ("open content model: a property with the empty schema added is harmless",
     OPEN, with_property(OPEN, "extra", {}), "BACKWARD", False, "COMPATIBLE"),
    ("open content model: a required property added",
     OPEN, with_property(OPEN, "age", {"type": "integer"}, required=True), "BACKWARD", False,
     "INCOMPATIBLE REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
    ("closed content model: an optional property added",
     CLOSED, with_property(CLOSED, "age", {"type": "integer"}), "BACKWARD", False, "COMPATIBLE"),
    ("closed content model: a required property added without a default",
     CLOSED, with_property(CLOSED, "age", {"type": "integer"}, required=True), "BACKWARD", False,
     "INCOMPATIBLE REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"),
    ("closed content model: a required property added with a default",
     CLOSED, with_property(CLOSED, "age", {"type": "integer", "default": 0}, required=True),
     "BACKWARD", False, "COMPATIBLE"),
    ("closed content model: an optional property added, both ways",
     CLOSED, with_property(CLOSED, "age", {"type": "integer"}), "FULL", False,
     "INCOMPATIBLE PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    ("open content model: a property removed",
     with_property(OPEN, "age", {"type": "integer"}), OPEN, "BACKWARD", False, "COMPATIBLE"),
    ("closed content model: a property removed",
     with_property(CLOSED, "age", {"type": "integer"}), CLOSED, "BACKWARD", False,
     "INCOMPATIBLE PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    ("closed content model: a property removed, lenient",
     with_property(CLOSED, "age", {"type": "integer"}), CLOSED, "BACKWARD", True, "COMPATIBLE"),
    ("closed content model: a property that allowed nothing removed",
     with_property(CLOSED, "gone", False), CLOSED, "BACKWARD", False, "COMPATIBLE"),
    ("partially open model: a removed property its additionalProperties still covers",
     with_property(PARTIAL, "nick", {"type": "string"}), PARTIAL, "BACKWARD", False,
     "COMPATIBLE"),
    ("partially open model: a removed property its additionalProperties does not cover",
     with_property(PARTIAL, "age", {"type": "integer"}), PARTIAL, "BACKWARD", False,
     "INCOMPATIBLE PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,TYPE_CHANGED"),
    ("partially open model: an added property within additionalProperties",
     PARTIAL, with_property(PARTIAL, "nick", {"type": "string", "maxLength": 10}), "BACKWARD",
     False, "INCOMPATIBLE MAX_LENGTH_ADDED,PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    ("partially open model by patternProperties",
     {"type": "object", "patternProperties": {"^s_": {"type": "string"}},
      "additionalProperties": False},
     {"type": "object", "properties": {"s_name": {"type": "string"}},
      "patternProperties": {"^s_": {"type": "string"}}, "additionalProperties": False},
     "BACKWARD", False, "COMPATIBLE"),
    ("a property's type changed",
     with_property(OPEN, "age", {"type": "integer"}),
     with_property(OPEN, "age", {"type": "string"}), "BACKWARD", False,
     "INCOMPATIBLE TYPE_CHANGED"),
    ("an existing property made required",
     with_property(OPEN, "age", {"type": "integer"}),
     with_property(OPEN, "age", {"type": "integer"}, required=True), "BACKWARD", False,
     "INCOMPATIBLE REQUIRED_ATTRIBUTE_ADDED"),
    ("an existing property no longer required",
     with_property(OPEN, "age", {"type": "integer"}, required=True),
     with_property(OPEN, "age", {"type": "integer"}), "BACKWARD", False, "COMPATIBLE"),
    ("additionalProperties opened", CLOSED, OPEN, "BACKWARD", False, "COMPATIBLE"),
    ("additionalProperties closed", OPEN, CLOSED, "BACKWARD", False,
     "INCOMPATIBLE ADDITIONAL_PROPERTIES_REMOVED"),
    ("additionalProperties closed, lenient", OPEN, CLOSED, "BACKWARD", True, "COMPATIBLE"),
    ("maxLength lowered", {"type": "string", "maxLength": 10}, {"type": "string", "maxLength": 5},
     "BACKWARD", False, "INCOMPATIBLE MAX_LENGTH_DECREASED"),
    ("maxLength raised", {"type": "string", "maxLength": 5}, {"type": "string", "maxLength": 10},
     "BACKWARD", False, "COMPATIBLE"),
    ("minLength added", {"type": "string"}, {"type": "string", "minLength": 1}, "BACKWARD",
     False, "INCOMPATIBLE MIN_LENGTH_ADDED"),
    ("pattern removed", {"type": "string", "pattern": "^a"}, {"type": "string"}, "BACKWARD",
     False, "COMPATIBLE"),
    ("pattern changed", {"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "^b"},
     "BACKWARD", False, "INCOMPATIBLE PATTERN_CHANGED"),
    ("minimum raised", {"type": "number", "minimum": 0}, {"type": "number", "minimum": 1},
     "BACKWARD", False, "INCOMPATIBLE MINIMUM_INCREASED"),
    ("maximum raised", {"type": "number", "maximum": 10}, {"type": "number", "maximum": 20},
     "BACKWARD", False, "COMPATIBLE"),
    ("exclusiveMaximum added", {"type": "number"}, {"type": "number", "exclusiveMaximum": 5},
     "BACKWARD", False, "INCOMPATIBLE EXCLUSIVE_MAXIMUM_ADDED"),
    ("multipleOf made coarser", {"type": "integer", "multipleOf": 2},
     {"type": "integer", "multipleOf": 4}, "BACKWARD", False, "INCOMPATIBLE MULTIPLE_OF_EXPANDED"),
    ("multipleOf made finer", {"type": "integer", "multipleOf": 4},
     {"type": "integer", "multipleOf": 2}, "BACKWARD", False, "COMPATIBLE"),
    ("enum extended", {"enum": ["red", "green"]}, {"enum": ["red", "green", "blue"]}, "BACKWARD",
     False, "COMPATIBLE"),
    ("enum narrowed", {"enum": ["red", "green"]}, {"enum": ["red"]}, "BACKWARD", False,
     "INCOMPATIBLE ENUM_ARRAY_NARROWED"),
    ("enum narrowed, read the other way", {"enum": ["red", "green"]}, {"enum": ["red"]},
     "FORWARD", False, "COMPATIBLE"),
    ("const changed", {"const": 1}, {"const": 2}, "BACKWARD", False,
     "INCOMPATIBLE ENUM_ARRAY_CHANGED"),
    ("anyOf gains a branch", {"anyOf": [{"type": "string"}, {"type": "integer"}]},
     {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}, "BACKWARD", False,
     "COMPATIBLE"),
    ("anyOf loses a branch", {"anyOf": [{"type": "string"}, {"type": "integer"}]},
     {"anyOf": [{"type": "string"}]}, "BACKWARD", False, "INCOMPATIBLE SUM_TYPE_NARROWED"),
    ("oneOf becomes anyOf", {"oneOf": [{"type": "string"}, {"type": "integer"}]},
     {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "BACKWARD", False, "COMPATIBLE"),
    ("anyOf becomes oneOf", {"anyOf": [{"type": "string"}, {"type": "integer"}]},
     {"oneOf": [{"type": "string"}, {"type": "integer"}]}, "BACKWARD", False,
     "INCOMPATIBLE COMBINED_TYPE_CHANGED"),
    ("allOf gains a constraint", {"allOf": [{"type": "string"}]},
     {"allOf": [{"type": "string"}, {"maxLength": 4}]}, "BACKWARD", False,
     "INCOMPATIBLE PRODUCT_TYPE_EXTENDED"),
    ("allOf branches reordered", {"allOf": [{"type": "string"}, {"maxLength": 4}]},
     {"allOf": [{"maxLength": 4}, {"type": "string"}]}, "BACKWARD", False, "COMPATIBLE"),
    ("a union branch changed type", {"oneOf": [{"type": "string"}, {"type": "integer"}]},
     {"oneOf": [{"type": "string"}, {"type": "boolean"}]}, "BACKWARD", False,
     "INCOMPATIBLE COMBINED_TYPE_SUBSCHEMAS_CHANGED"),
    ("not widened", {"not": {"type": "string"}}, {"not": {"type": ["string", "null"]}},
     "BACKWARD", False, "INCOMPATIBLE NOT_TYPE_EXTENDED"),
    ("not narrowed", {"not": {"type": ["string", "null"]}}, {"not": {"type": "string"}},
     "BACKWARD", False, "COMPATIBLE"),
    ("array items changed type", {"type": "array", "items": {"type": "string"}},
     {"type": "array", "items": {"type": "integer"}}, "BACKWARD", False,
     "INCOMPATIBLE TYPE_CHANGED"),
    ("uniqueItems added", {"type": "array"}, {"type": "array", "uniqueItems": True}, "BACKWARD",
     False, "INCOMPATIBLE UNIQUE_ITEMS_ADDED"),
    ("maxItems removed", {"type": "array", "maxItems": 3}, {"type": "array"}, "BACKWARD", False,
     "COMPATIBLE"),
    ("tuple, closed: an item added",
     {"type": "array", "items": [{"type": "string"}], "additionalItems": False},
     {"type": "array", "items": [{"type": "string"}, {"type": "integer"}],
      "additionalItems": False}, "BACKWARD", False, "COMPATIBLE"),
    ("tuple, open: an item added",
     {"type": "array", "items": [{"type": "string"}]},
     {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}, "BACKWARD", False,
     "INCOMPATIBLE ITEM_ADDED_TO_OPEN_CONTENT_MODEL"),
    ("tuple, closed: an item removed",
     {"type": "array", "items": [{"type": "string"}, {"type": "integer"}],
      "additionalItems": False},
     {"type": "array", "items": [{"type": "string"}], "additionalItems": False}, "BACKWARD",
     False, "INCOMPATIBLE ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    ("dependencies narrowed", {"dependencies": {"a": ["b", "c"]}},
     {"dependencies": {"a": ["b"]}}, "BACKWARD", False, "COMPATIBLE"),
    ("dependencies added", {"properties": {"a": {}}}, {"properties": {"a": {}},
                                                       "dependencies": {"a": ["b"]}},
     "BACKWARD", False, "INCOMPATIBLE DEPENDENCY_ARRAY_ADDED"),
    ("title and description changed",
     {"type": "string", "title": "a", "description": "x"},
     {"type": "string", "title": "b", "description": "y"}, "BACKWARD", False, "COMPATIBLE"),
    ("a change behind a $ref",
     {"definitions": {"a": {"type": "integer"}}, "type": "object",
      "properties": {"p": {"$ref": "#/definitions/a"}}},
     {"$defs": {"a": {"type": "string"}}, "type": "object",
      "properties": {"p": {"$ref": "#/$defs/a"}}}, "BACKWARD", False,
     "INCOMPATIBLE TYPE_CHANGED"),
    ("a recursive schema against itself",
     {"definitions": {"node": {"type": "object", "properties": {
         "next": {"$ref": "#/definitions/node"}}}}, "$ref": "#/definitions/node"},
     {"definitions": {"node": {"type": "object", "properties": {
         "next": {"$ref": "#/definitions/node"}}}}, "$ref": "#/definitions/node"},
     "FULL", False, "COMPATIBLE"),
    ("a recursive schema tightened deep inside",
     {"definitions": {"node": {"type": "object", "properties": {
         "value": {"type": "number"}, "next": {"$ref": "#/definitions/node"}}}},
      "$ref": "#/definitions/node"},
     {"definitions": {"node": {"type": "object", "properties": {
         "value": {"type": "integer"}, "next": {"$ref": "#/definitions/node"}}}},
      "$ref": "#/definitions/node"},
     "BACKWARD", False, "INCOMPATIBLE TYPE_NARROWED"),
]


@pytest.fixture(scope="module")
def wharf_tool() -> list[str]:
    tool = Path(wharf_binary()).parent / "src/schema/json_schema_tool"
    if not os.access(tool, os.X_OK):
        pytest.fail(f"{tool} not built: run `scripts/build.sh release json_schema_tool`")
    return [str(tool)]


def run(tool: list[str], mode: str, requests: list[dict]) -> list[str]:
    text = "".join(json.dumps(r) + "\n" for r in requests)
    done = subprocess.run(tool + [mode], input=text, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.rstrip("\n").split("\n")


def test_confluent_rules_table(wharf_tool):
    requests = [{"old": old, "new": new, "level": level, "lenient": lenient}
                for _, old, new, level, lenient, _ in CASES]
    verdicts = run(wharf_tool, "compat", requests)
    wrong = [(description, expected, got)
             for (description, *_, expected), got in zip(CASES, verdicts) if got != expected]
    assert not wrong, "\n".join(f"{d}: expected {e}, got {g}" for d, e, g in wrong)


def test_differences_carry_confluent_paths(wharf_tool):
    requests = [
        {"original": {"type": "string"}, "update": {"type": "string"}},
        {"original": with_property(OPEN, "age", {"type": "integer"}),
         "update": with_property(OPEN, "age", {"type": "string"})},
        {"original": CLOSED, "update": with_property(CLOSED, "zip", {"type": "string"}, True)},
    ]
    assert run(wharf_tool, "diff", requests) == [
        "",
        "TYPE_CHANGED #/properties/age",
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/zip",
    ]


def test_messages_read_like_confluent(wharf_tool):
    requests = [
        {"old": {"type": "number"}, "new": {"type": "integer"}, "level": "BACKWARD"},
        {"old": {"type": "integer"}, "new": {"type": "number"}, "level": "FORWARD"},
        {"old": CLOSED, "new": with_property(CLOSED, "zip", {"type": "string"}, True),
         "level": "BACKWARD"},
    ]
    assert run(wharf_tool, "messages", requests) == [
        "{errorType:\"TYPE_NARROWED\", description:\"A type at path '#/' is different between "
        "the new schema and the old schema'}",
        "{errorType:\"TYPE_NARROWED\", description:\"A type at path '#/' is different between "
        "the old schema and the new schema'}",
        "{errorType:\"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL\", description:\"The new "
        "schema has an unopen content model and has a required property at path "
        "'#/properties/zip' which is missing in the old schema'}",
    ]


def test_schema_references_resolve_for_compatibility(wharf_tool):
    old_customer = json.dumps({"type": "object", "properties": {"id": {"type": "integer"}}})
    requests = [
        {"old": {"type": "object", "properties": {"customer": {"$ref": "customer.json"}}},
         "new": {"type": "object", "properties": {"customer": {"$ref": "customer.json"},
                                                  "note": {"type": "string"}},
                 "additionalProperties": False},
         "references": [{"name": "customer.json", "schema": old_customer}],
         "level": "BACKWARD"},
        {"old": {"$ref": "customer.json#/properties/id"}, "new": {"type": "number"},
         "references": [{"name": "customer.json", "schema": old_customer}],
         "level": "BACKWARD"},
        {"old": {"$ref": "missing.json"}, "new": {"type": "number"}, "level": "BACKWARD"},
    ]
    verdicts = run(wharf_tool, "compat", requests)
    # The old schema is open: old data may hold a "note" of any type.
    assert verdicts[0] == ("INCOMPATIBLE ADDITIONAL_PROPERTIES_REMOVED,"
                           "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
    assert verdicts[1] == "COMPATIBLE"
    assert verdicts[2].startswith("ERROR old: $ref at '#' does not resolve")


def test_normalize_sorts_keys_and_canonical_keeps_order(wharf_tool):
    schema = {"type": "object", "properties": {"b": {"type": "number", "minimum": 1.0},
                                               "a": {"type": "string"}}, "$id": "x"}
    text = json.dumps(schema, indent=2)
    done = subprocess.run(wharf_tool + ["normalize"], input=text.replace("\n", "") + "\n",
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (
        '{"$id":"x","properties":{"a":{"type":"string"},"b":{"minimum":1.0,"type":"number"}},'
        '"type":"object"}')
    done = subprocess.run(wharf_tool + ["canonical"], input=text.replace("\n", "") + "\n",
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (
        '{"type":"object","properties":{"b":{"type":"number","minimum":1.0},'
        '"a":{"type":"string"}},"$id":"x"}')
