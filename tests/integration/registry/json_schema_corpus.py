"""Generated JSON Schemas (draft-07 vocabulary) and instances for the differential test
of Wharf's validator against Python's jsonschema (Draft7Validator). Schemas are random
trees over the keywords; instances are drawn both at random and from each schema's own
shape (so a good share of them are valid and the boundaries get hit). Patterns are kept to
the part of regular expressions where ECMAScript and Python's `re` agree."""

from __future__ import annotations

import json
import random

PATTERNS = ["^a", "b$", "^[a-c]+$", "\\d", "^.{2,3}$", "x|y", "^$", "[é]"]
FORMATS = ["email", "date-time", "uri", "ipv4"]
WORDS = ["a", "b", "ab", "abc", "x1", "é", "😀😀", "", "bb", "ccc", "1", "xyz"]
PROPERTY_NAMES = ["a", "b", "c", "id", "x_1", "é"]


class SchemaGenerator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.definitions: dict[str, object] = {}
        self.counter = 0

    def number(self) -> float | int:
        r = self.rng
        return r.choice([0, 1, 2, 3, -1, 10, 2.5, 0.5, -3.5, 1.0, 100, 7])

    def schema(self, depth: int = 0) -> object:
        r = self.rng
        if depth > 3 or r.random() < 0.08:
            return r.choice([True, False, {}, {"type": "string"}, {"type": "integer"}])
        kind = r.choice(["string", "number", "integer", "object", "array", "boolean", "null",
                         "multi", "none", "combined", "enum", "const", "ref", "if"])
        s: dict[str, object] = {}
        if kind in ("string", "number", "integer", "object", "array", "boolean", "null"):
            s["type"] = kind
        elif kind == "multi":
            s["type"] = r.sample(["string", "number", "integer", "object", "array", "null",
                                  "boolean"], r.randint(1, 3))
        if kind in ("string", "none", "multi") and r.random() < 0.6:
            self.string_keywords(s)
        if kind in ("number", "integer", "none", "multi") and r.random() < 0.6:
            self.number_keywords(s)
        if kind in ("object", "none", "multi") and r.random() < 0.7:
            self.object_keywords(s, depth)
        if kind in ("array", "none", "multi") and r.random() < 0.7:
            self.array_keywords(s, depth)
        if kind == "combined":
            keyword = r.choice(["allOf", "anyOf", "oneOf", "not"])
            if keyword == "not":
                s["not"] = self.schema(depth + 1)
            else:
                s[keyword] = [self.schema(depth + 1) for _ in range(r.randint(1, 3))]
        if kind == "enum":
            s["enum"] = r.sample(self.values_pool(), r.randint(1, 4))
        if kind == "const":
            s["const"] = r.choice(self.values_pool())
        if kind == "ref":
            name = f"d{self.counter}"
            self.counter += 1
            if len(self.definitions) < 4 and r.random() < 0.7:
                # Finished before it can be referred to: the refs form no cycle without
                # an instance step (Python's jsonschema would recurse without end).
                self.definitions[name] = self.schema(depth + 1)
            else:
                name = r.choice(list(self.definitions) or ["missing"])
                if name == "missing":
                    return {"type": "number"}
            s["$ref"] = f"#/definitions/{name}"
            # Draft-07 ignores the keywords beside $ref: both sides must.
            if r.random() < 0.3:
                s["type"] = "string"
        if kind == "if":
            s["if"] = self.schema(depth + 1)
            if r.random() < 0.8:
                s["then"] = self.schema(depth + 1)
            if r.random() < 0.6:
                s["else"] = self.schema(depth + 1)
        if r.random() < 0.1:
            s["format"] = r.choice(FORMATS)
        if r.random() < 0.1:
            s["title"] = "t"
        return s

    def values_pool(self) -> list:
        return [1, 1.0, 2, "a", "b", None, True, False, 0, [1, 2], {"a": 1}, [], {}, 2.5, "é"]

    def string_keywords(self, s: dict) -> None:
        r = self.rng
        if r.random() < 0.5:
            s["minLength"] = r.randint(0, 3)
        if r.random() < 0.5:
            s["maxLength"] = r.randint(0, 4)
        if r.random() < 0.4:
            s["pattern"] = r.choice(PATTERNS)

    def number_keywords(self, s: dict) -> None:
        r = self.rng
        for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if r.random() < 0.3:
                s[keyword] = self.number()
        if r.random() < 0.3:
            s["multipleOf"] = r.choice([2, 3, 0.5, 1.5, 0.25, 1])

    def object_keywords(self, s: dict, depth: int) -> None:
        r = self.rng
        names = r.sample(PROPERTY_NAMES, r.randint(0, 3))
        if names:
            s["properties"] = {n: self.schema(depth + 1) for n in names}
        if r.random() < 0.5:
            s["required"] = r.sample(PROPERTY_NAMES, r.randint(0, 2))
        choice = r.random()
        if choice < 0.25:
            s["additionalProperties"] = False
        elif choice < 0.45:
            s["additionalProperties"] = self.schema(depth + 1)
        if r.random() < 0.25:
            s["patternProperties"] = {r.choice(["^a", "b", "^x_"]): self.schema(depth + 1)}
        if r.random() < 0.2:
            s["minProperties"] = r.randint(0, 2)
        if r.random() < 0.2:
            s["maxProperties"] = r.randint(0, 3)
        if r.random() < 0.2:
            s["propertyNames"] = r.choice([{"maxLength": 1}, {"pattern": "^[a-c]"},
                                           {"enum": ["a", "b"]}])
        if r.random() < 0.2:
            trigger = r.choice(PROPERTY_NAMES)
            s["dependencies"] = {trigger: r.choice([r.sample(PROPERTY_NAMES, 2),
                                                    self.schema(depth + 1)])}

    def array_keywords(self, s: dict, depth: int) -> None:
        r = self.rng
        choice = r.random()
        if choice < 0.4:
            s["items"] = self.schema(depth + 1)
        elif choice < 0.7:
            s["items"] = [self.schema(depth + 1) for _ in range(r.randint(1, 3))]
            if r.random() < 0.5:
                s["additionalItems"] = r.choice([False, self.schema(depth + 1)])
        elif r.random() < 0.3:
            # additionalItems without tuple items: ignored by both.
            s["additionalItems"] = False
        if r.random() < 0.25:
            s["contains"] = self.schema(depth + 1)
        if r.random() < 0.25:
            s["minItems"] = r.randint(0, 3)
        if r.random() < 0.25:
            s["maxItems"] = r.randint(0, 3)
        if r.random() < 0.25:
            s["uniqueItems"] = r.choice([True, False])

    def document(self) -> dict | bool:
        self.definitions = {}
        self.counter = 0
        root = self.schema()
        if self.definitions:
            if not isinstance(root, dict):
                root = {"allOf": [root]}
            root = dict(root)
            root["definitions"] = self.definitions
        return root


def random_value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.choice(["int", "float", "string", "bool", "null", "array", "object", "int"])
    if depth > 2 and kind in ("array", "object"):
        kind = "string"
    if kind == "int":
        return rng.choice([0, 1, 2, 3, -1, 4, 6, 7, 9, 10, 100, 101, 2 ** 40])
    if kind == "float":
        return rng.choice([1.0, 2.5, 0.5, -3.5, 3.0, 1.5, 0.75, 10.0, 99.5])
    if kind == "string":
        return rng.choice(WORDS)
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "null":
        return None
    if kind == "array":
        pool = [1, 1.0, True, "a", None, [1], {"a": 1}, {"a": 1.0}, 2, "b"]
        if rng.random() < 0.5:
            return [rng.choice(pool) for _ in range(rng.randint(0, 4))]
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(PROPERTY_NAMES + ["bb", "x_9", "zz"]): random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def shaped_value(rng: random.Random, schema: object, definitions: dict, depth: int = 0) -> object:
    """A value that follows the schema's outline (types, properties, items) loosely."""
    if depth > 3 or not isinstance(schema, dict):
        return random_value(rng, depth)
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return shaped_value(rng, definitions.get(name, {}), definitions, depth + 1)
    for keyword in ("enum",):
        if keyword in schema and rng.random() < 0.7:
            return rng.choice(schema[keyword])
    if "const" in schema and rng.random() < 0.7:
        return schema["const"]
    for keyword in ("allOf", "anyOf", "oneOf"):
        if keyword in schema and rng.random() < 0.6:
            return shaped_value(rng, rng.choice(schema[keyword]), definitions, depth + 1)
    types = schema.get("type")
    if isinstance(types, list):
        types = rng.choice(types) if types else None
    if types is None:
        if "properties" in schema or "required" in schema:
            types = "object"
        elif "items" in schema:
            types = "array"
    if types == "object":
        out = {}
        for name, sub in schema.get("properties", {}).items():
            if rng.random() < 0.75:
                out[name] = shaped_value(rng, sub, definitions, depth + 1)
        for name in schema.get("required", []):
            if name not in out and rng.random() < 0.8:
                out[name] = random_value(rng, depth + 1)
        if rng.random() < 0.3:
            out[rng.choice(["zz", "bb", "x_1", "a"])] = random_value(rng, depth + 1)
        return out
    if types == "array":
        items = schema.get("items")
        if isinstance(items, list):
            out = [shaped_value(rng, s, definitions, depth + 1) for s in items]
            return out[: rng.randint(0, len(out) + 1)] + \
                [random_value(rng, depth + 1) for _ in range(rng.randint(0, 2))]
        return [shaped_value(rng, items if items is not None else {}, definitions, depth + 1)
                for _ in range(rng.randint(0, 4))]
    if types in ("number", "integer"):
        base = [schema.get(k) for k in ("minimum", "maximum", "exclusiveMinimum",
                                         "exclusiveMaximum", "multipleOf") if k in schema]
        if base and rng.random() < 0.7:
            b = rng.choice(base)
            return rng.choice([b, b + 1, b - 1, b * 2, b + 0.5])
        return random_value(rng, depth)
    if types == "string":
        return rng.choice(WORDS)
    return random_value(rng, depth)


def corpus(seed: int, schemas: int, instances_per_schema: int) -> list[dict]:
    rng = random.Random(seed)
    generator = SchemaGenerator(rng)
    cases = []
    for _ in range(schemas):
        document = generator.document()
        definitions = document.get("definitions", {}) if isinstance(document, dict) else {}
        for _ in range(instances_per_schema):
            if rng.random() < 0.6:
                value = shaped_value(rng, document, definitions)
            else:
                value = random_value(rng)
            cases.append({"schema": document, "instance": value})
    return cases


# Hand-made edge cases the generator reaches rarely.
EDGE_CASES = [
    ({"type": "integer"}, 1.0),
    ({"type": "integer"}, 1.5),
    ({"type": "number"}, True),
    ({"enum": [1]}, 1.0),
    ({"enum": [False]}, 0),
    ({"enum": [{"a": [1, 2]}]}, {"a": [1.0, 2]}),
    ({"const": [1, True]}, [1, 1]),
    ({"uniqueItems": True}, [1, True]),
    ({"uniqueItems": True}, [1, 1.0]),
    ({"uniqueItems": True}, [{"a": 1, "b": 2}, {"b": 2, "a": 1}]),
    ({"maxLength": 2}, "😀😀"),
    ({"minLength": 3}, "éé"),
    ({"multipleOf": 0.1}, 0.3),
    ({"multipleOf": 0.5}, 1.5),
    ({"multipleOf": 3}, 9.0),
    ({"exclusiveMaximum": 3}, 3),
    ({"exclusiveMinimum": 3}, 3.0001),
    ({"$ref": "#/definitions/a", "type": "string", "definitions": {"a": {"type": "integer"}}}, 5),
    ({"definitions": {"tree": {"type": "object", "properties": {
        "children": {"type": "array", "items": {"$ref": "#/definitions/tree"}}},
        "additionalProperties": False}}, "$ref": "#/definitions/tree"},
     {"children": [{"children": []}, {"children": [{"leaf": 1}]}]}),
    ({"$id": "http://example.com/root.json", "definitions": {
        "a": {"$id": "#item", "type": "string"}}, "items": {"$ref": "#item"}}, ["x", 1]),
    ({"properties": {"a~b": {"type": "string"}, "c/d": {"type": "integer"}},
      "patternProperties": {"^c": {"minimum": 2}}}, {"a~b": "x", "c/d": 1}),
    ({"dependencies": {"a": ["b"]}}, {"a": 1}),
    ({"dependencies": {"a": {"required": ["c"]}}}, {"a": 1, "c": 2}),
    ({"propertyNames": {"maxLength": 1}}, {"ab": 1}),
    ({"contains": {"const": 2}}, []),
    ({"if": {"minimum": 5}, "then": {"multipleOf": 2}, "else": {"maximum": 0}}, 7),
    ({"if": {"minimum": 5}, "then": {"multipleOf": 2}, "else": {"maximum": 0}}, 3),
    ({"items": [{"type": "string"}], "additionalItems": False}, ["a", "b"]),
    ({"items": {"type": "string"}, "additionalItems": False}, ["a", "b"]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 2}]}, 3),
    ({"anyOf": [{"type": "integer"}, {"minimum": 2}]}, 1.5),
    ({"not": {"type": "null"}}, None),
    ({"format": "email"}, "not an email"),
    (False, None),
    (True, {"anything": [1]}),
    ({"allOf": [{"type": "object"}, {"required": ["a"]}]}, {}),
    ({"required": ["a"]}, "not an object"),
    ({"minimum": 5}, "not a number"),
    ({"pattern": "^\\d+$"}, "123"),
    ({"pattern": "^\\d+$"}, "12a"),
]


# Schemas Draft7Validator.check_schema refuses and Wharf must refuse too, and some it
# accepts.
SCHEMA_CHECKS = [
    {"type": 5},
    {"type": "strange"},
    {"type": ["string", "string"]},
    {"required": "a"},
    {"required": [1]},
    {"properties": []},
    {"properties": {"a": 5}},
    {"minimum": "1"},
    {"maximum": None},
    {"minLength": -1},
    {"minLength": 1.5},
    {"maxItems": "3"},
    {"multipleOf": 0},
    {"multipleOf": -2},
    {"pattern": "(("},
    {"pattern": 5},
    {"items": 5},
    {"items": [5]},
    {"allOf": []},
    {"anyOf": {}},
    {"oneOf": [1]},
    {"not": []},
    {"enum": 5},
    {"additionalProperties": "no"},
    {"dependencies": {"a": 5}},
    {"dependencies": {"a": [1]}},
    {"uniqueItems": "yes"},
    {"definitions": {"a": 3}},
    {"patternProperties": {"((": {}}},
    {"type": "string", "minLength": 1},
    {"type": ["string", "null"]},
    {"required": []},
    {"items": [{}, True], "additionalItems": False},
    {"exclusiveMinimum": 3},
    {"enum": []},
    {"minLength": 2.0},
    {"$ref": "#/definitions/a", "definitions": {"a": {}}},
    {"unknownKeyword": {"type": 5}},
    {"title": 5},
    {"format": 5},
]


def as_lines(cases: list[dict]) -> str:
    return "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)


DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def to_2020_12(schema: object, rng: random.Random, top: bool = True) -> object:
    """The same schema in draft 2020-12's words: $defs, prefixItems and items for the
    rest, dependentRequired / dependentSchemas, and (now and then) minContains, maxContains,
    unevaluatedProperties and unevaluatedItems. Keywords beside $ref count from 2019-09 on, so
    the meaning changes there too, for both validators alike."""
    if isinstance(schema, list):
        return [to_2020_12(s, rng, False) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, object] = {}
    for key, value in schema.items():
        if key in ("enum", "const"):
            out[key] = value
        elif key == "definitions":
            out["$defs"] = {k: to_2020_12(v, rng, False) for k, v in value.items()}
        elif key == "$ref":
            out["$ref"] = value.replace("#/definitions/", "#/$defs/")
        elif key == "items" and isinstance(value, list):
            out["prefixItems"] = to_2020_12(value, rng, False)
            if "additionalItems" in schema:
                out["items"] = to_2020_12(schema["additionalItems"], rng, False)
        elif key == "additionalItems":
            continue
        elif key == "dependencies":
            for trigger, dependency in value.items():
                if isinstance(dependency, list):
                    out.setdefault("dependentRequired", {})[trigger] = dependency
                else:
                    out.setdefault("dependentSchemas", {})[trigger] = to_2020_12(
                        dependency, rng, False)
        elif isinstance(value, dict) and key in ("properties", "patternProperties"):
            out[key] = {k: to_2020_12(v, rng, False) for k, v in value.items()}
        else:
            out[key] = to_2020_12(value, rng, False)
    in_place = ("allOf", "anyOf", "oneOf", "if", "$ref", "dependentSchemas")
    if any(k in out for k in ("properties", "patternProperties") + in_place) \
            and rng.random() < 0.3:
        out["unevaluatedProperties"] = rng.choice([False, {"type": "integer"}, True])
    if any(k in out for k in ("prefixItems", "contains") + in_place) and rng.random() < 0.3:
        out["unevaluatedItems"] = rng.choice([False, {"type": "string"}])
    if "contains" in out and rng.random() < 0.5:
        out["minContains"] = rng.randint(0, 2)
        if rng.random() < 0.5:
            out["maxContains"] = rng.randint(1, 3)
    if top:
        out["$schema"] = DRAFT_2020_12
    return out


def corpus_2020_12(seed: int, schemas: int, instances_per_schema: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"schema": to_2020_12(case["schema"], rng) if isinstance(case["schema"], dict)
             else case["schema"], "instance": case["instance"]}
            for case in corpus(seed, schemas, instances_per_schema)]
