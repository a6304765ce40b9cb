"""Avro schema pairs for comparing Wharf's compatibility checks with Apache Avro's:
random schemas and random evolutions of them (seeded, so a failure reproduces), plus
hand-written cases from the specification's schema resolution rules."""

from __future__ import annotations

import copy
import json
import random

PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
PROMOTIONS = {"int": ["long", "float", "double"], "long": ["float", "double"],
              "float": ["double"], "string": ["bytes"], "bytes": ["string"]}


class SchemaGenerator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def schema(self, depth: int = 0):
        r = self.rng.random()
        if depth >= 3 or r < 0.45:
            return self.rng.choice(PRIMITIVES[1:])
        if r < 0.6:
            return self.record(depth)
        if r < 0.68:
            return {"type": "enum", "name": self.fresh("E"),
                    "symbols": [f"S{i}" for i in range(self.rng.randint(1, 4))]}
        if r < 0.73:
            return {"type": "fixed", "name": self.fresh("F"), "size": self.rng.choice([2, 4, 8, 16])}
        if r < 0.82:
            return {"type": "array", "items": self.schema(depth + 1)}
        if r < 0.9:
            return {"type": "map", "values": self.schema(depth + 1)}
        return self.union(depth)

    def union(self, depth: int):
        branches, seen = [], set()
        for _ in range(self.rng.randint(1, 3)):
            b = self.rng.choice(PRIMITIVES) if self.rng.random() < 0.7 else self.schema(depth + 1)
            if isinstance(b, list):
                continue
            key = b if isinstance(b, str) else (b.get("name") or b["type"])
            if key in seen:
                continue
            seen.add(key)
            branches.append(b)
        return branches or ["null"]

    def record(self, depth: int):
        fields = []
        for i in range(self.rng.randint(1, 4)):
            fields.append(self.field(f"f{i}", depth))
        rec = {"type": "record", "name": self.fresh("R"), "fields": fields}
        if self.rng.random() < 0.2:
            rec["namespace"] = "ns" + str(self.rng.randint(1, 3))
        return rec

    def field(self, name: str, depth: int, with_default: bool | None = None):
        t = self.schema(depth + 1)
        f = {"name": name, "type": t}
        if with_default is None:
            with_default = self.rng.random() < 0.4
        if with_default:
            d = default_for(t)
            if d is not NO_DEFAULT:
                f["default"] = d
        return f


NO_DEFAULT = object()


def default_for(t):
    if isinstance(t, list):
        return default_for(t[0]) if t else NO_DEFAULT
    if isinstance(t, str):
        return {"null": None, "boolean": True, "int": 1, "long": 2, "float": 1.5,
                "double": 2.5, "bytes": "\u00ff", "string": "s"}.get(t, NO_DEFAULT)
    kind = t["type"]
    if kind == "enum":
        return t["symbols"][0]
    if kind == "fixed":
        return "a" * t["size"]
    if kind == "array":
        return []
    if kind == "map":
        return {}
    if kind == "record":
        out = {}
        for f in t["fields"]:
            d = default_for(f["type"])
            if d is NO_DEFAULT:
                return NO_DEFAULT
            out[f["name"]] = d
        return out
    return default_for(kind)


def records_in(schema, out=None):
    """Every record (dict) in the schema, outermost first."""
    out = [] if out is None else out
    if isinstance(schema, list):
        for b in schema:
            records_in(b, out)
    elif isinstance(schema, dict):
        if schema["type"] == "record":
            out.append(schema)
            for f in schema["fields"]:
                records_in(f["type"], out)
        elif schema["type"] == "array":
            records_in(schema["items"], out)
        elif schema["type"] == "map":
            records_in(schema["values"], out)
    return out


def named_in(schema, kind):
    found = []

    def walk(s):
        if isinstance(s, list):
            for b in s:
                walk(b)
        elif isinstance(s, dict):
            if s["type"] == kind:
                found.append(s)
            if s["type"] == "record":
                for f in s["fields"]:
                    walk(f["type"])
            elif s["type"] == "array":
                walk(s["items"])
            elif s["type"] == "map":
                walk(s["values"])
    walk(schema)
    return found


def evolve(gen: SchemaGenerator, schema):
    """A copy of schema with one or two random changes."""
    new = copy.deepcopy(schema)
    for _ in range(gen.rng.choice([1, 1, 2])):
        mutate(gen, new)
    return new


def mutate(gen: SchemaGenerator, schema) -> None:
    rng = gen.rng
    records = records_in(schema)
    enums = named_in(schema, "enum")
    fixeds = named_in(schema, "fixed")
    choices = ["add_field", "add_field_default", "remove_field", "change_type", "promote",
               "rename_alias", "rename_plain", "nullable", "record_rename", "record_alias"]
    if enums:
        choices += ["enum_add", "enum_remove", "enum_default"]
    if fixeds:
        choices += ["fixed_size"]
    op = rng.choice(choices)
    if op.startswith("enum"):
        e = rng.choice(enums)
        if op == "enum_add":
            e["symbols"].append(gen.fresh("S"))
        elif op == "enum_remove" and len(e["symbols"]) > 1:
            removed = e["symbols"].pop(rng.randrange(len(e["symbols"])))
            if e.get("default") == removed:
                del e["default"]
        else:
            e["default"] = rng.choice(e["symbols"])
        return
    if op == "fixed_size":
        f = rng.choice(fixeds)
        f["size"] = rng.choice([2, 4, 8, 16, 32])
        return
    if not records:
        return
    rec = rng.choice(records)
    fields = rec["fields"]
    if op in ("add_field", "add_field_default"):
        f = gen.field(gen.fresh("n"), 2, with_default=(op == "add_field_default"))
        fields.append(f)
    elif op == "remove_field" and len(fields) > 1:
        fields.pop(rng.randrange(len(fields)))
    elif op in ("change_type", "promote", "nullable") and fields:
        f = rng.choice(fields)
        t = f["type"]
        if op == "promote" and isinstance(t, str) and t in PROMOTIONS:
            f["type"] = rng.choice(PROMOTIONS[t])
        elif op == "promote" and isinstance(t, str):
            f["type"] = rng.choice([p for p, up in PROMOTIONS.items() if t in up] or ["string"])
        elif op == "nullable" and not isinstance(t, list):
            f["type"] = ["null", t]
            f["default"] = None
            return
        elif op == "nullable" and isinstance(t, list) and len(t) > 1:
            f["type"] = t[1:]
        else:
            f["type"] = gen.schema(2)
        d = default_for(f["type"]) if "default" in f else NO_DEFAULT
        if d is NO_DEFAULT:
            f.pop("default", None)
        else:
            f["default"] = d
    elif op in ("rename_alias", "rename_plain") and fields:
        f = rng.choice(fields)
        old = f["name"]
        f["name"] = gen.fresh("r")
        if op == "rename_alias":
            f["aliases"] = [old]
    elif op == "record_rename":
        rec["name"] = gen.fresh("R")
    elif op == "record_alias":
        old = rec["name"]
        rec["name"] = gen.fresh("R")
        rec["aliases"] = [old]


def random_pairs(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    gen = SchemaGenerator(rng)
    pairs = []
    while len(pairs) < count:
        base = gen.record(0) if rng.random() < 0.85 else gen.schema(0)
        newer = evolve(gen, base)
        pairs.append({"reader": newer, "writer": base})
        pairs.append({"reader": base, "writer": newer})
        if rng.random() < 0.1:
            pairs.append({"reader": gen.schema(0), "writer": gen.schema(0)})
    return pairs[:count]


def _rec(fields, name="R", **extra):
    return {"type": "record", "name": name, "fields": fields, **extra}


def _enum(symbols, name="E", **extra):
    return {"type": "enum", "name": name, "symbols": symbols, **extra}


# The specification's schema resolution rules, one or more pairs each.
SPEC_CASES = [
    {"reader": "int", "writer": "int"},
    {"reader": "long", "writer": "int"},
    {"reader": "float", "writer": "int"},
    {"reader": "double", "writer": "long"},
    {"reader": "double", "writer": "float"},
    {"reader": "int", "writer": "long"},
    {"reader": "float", "writer": "double"},
    {"reader": "string", "writer": "bytes"},
    {"reader": "bytes", "writer": "string"},
    {"reader": "boolean", "writer": "int"},
    {"reader": "null", "writer": "null"},
    {"reader": {"type": "array", "items": "long"}, "writer": {"type": "array", "items": "int"}},
    {"reader": {"type": "array", "items": "int"}, "writer": {"type": "array", "items": "long"}},
    {"reader": {"type": "map", "values": "double"}, "writer": {"type": "map", "values": "float"}},
    {"reader": {"type": "map", "values": "int"}, "writer": {"type": "array", "items": "int"}},
    {"reader": {"type": "fixed", "name": "F", "size": 4}, "writer": {"type": "fixed", "name": "F", "size": 4}},
    {"reader": {"type": "fixed", "name": "F", "size": 4}, "writer": {"type": "fixed", "name": "F", "size": 5}},
    {"reader": {"type": "fixed", "name": "G", "size": 4}, "writer": {"type": "fixed", "name": "F", "size": 4}},
    {"reader": {"type": "fixed", "name": "G", "size": 4, "aliases": ["F"]},
     "writer": {"type": "fixed", "name": "F", "size": 4}},
    {"reader": _enum(["A", "B", "C"]), "writer": _enum(["A", "B"])},
    {"reader": _enum(["A", "B"]), "writer": _enum(["A", "B", "C"])},
    {"reader": _enum(["A", "B"], default="A"), "writer": _enum(["A", "B", "C"])},
    {"reader": _enum(["A"], name="X"), "writer": _enum(["A"])},
    {"reader": _enum(["A"], name="X", aliases=["E"]), "writer": _enum(["A"])},
    {"reader": _rec([{"name": "a", "type": "int"}]), "writer": _rec([{"name": "a", "type": "int"}])},
    {"reader": _rec([{"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": "x"}]),
     "writer": _rec([{"name": "a", "type": "int"}])},
    {"reader": _rec([{"name": "a", "type": "int"}, {"name": "b", "type": "string"}]),
     "writer": _rec([{"name": "a", "type": "int"}])},
    {"reader": _rec([{"name": "a", "type": "int"}]),
     "writer": _rec([{"name": "a", "type": "int"}, {"name": "b", "type": "string"}])},
    {"reader": _rec([{"name": "b", "type": "int", "aliases": ["a"]}]),
     "writer": _rec([{"name": "a", "type": "int"}])},
    {"reader": _rec([{"name": "a", "type": "int"}], name="S"), "writer": _rec([{"name": "a", "type": "int"}])},
    {"reader": _rec([{"name": "a", "type": "int"}], name="S", aliases=["R"]),
     "writer": _rec([{"name": "a", "type": "int"}])},
    {"reader": _rec([{"name": "a", "type": "int"}], namespace="x"),
     "writer": _rec([{"name": "a", "type": "int"}], namespace="y")},
    {"reader": _rec([{"name": "e", "type": _enum(["A", "B"], default="A")}]),
     "writer": _rec([{"name": "x", "type": "int"}])},
    {"reader": ["null", "int"], "writer": "int"},
    {"reader": ["null", "long"], "writer": "int"},
    {"reader": ["null", "string"], "writer": "int"},
    {"reader": "int", "writer": ["null", "int"]},
    {"reader": "long", "writer": ["int", "long"]},
    {"reader": ["int", "string"], "writer": ["string", "int"]},
    {"reader": ["int"], "writer": ["int", "string"]},
    {"reader": ["null", _rec([{"name": "a", "type": "long"}])],
     "writer": ["null", _rec([{"name": "a", "type": "int"}])]},
    {"reader": _rec([{"name": "v", "type": "long"}, {"name": "next", "type": ["null", "L"]}], name="L"),
     "writer": _rec([{"name": "v", "type": "int"}, {"name": "next", "type": ["null", "L"]}], name="L")},
    {"reader": _rec([{"name": "v", "type": "int"}, {"name": "next", "type": ["null", "L"]}], name="L"),
     "writer": _rec([{"name": "v", "type": "long"}, {"name": "next", "type": ["null", "L"]}], name="L")},
    {"reader": {"type": "long", "logicalType": "timestamp-millis"}, "writer": "long"},
    {"reader": {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}, "writer": "bytes"},
]


def as_lines(items) -> str:
    return "".join(json.dumps(i, separators=(",", ":")) + "\n" for i in items)


def random_datum(schema, rng: random.Random, named: dict | None = None, depth: int = 0,
                 space: str = ""):
    """A random value of schema in Avro's JSON encoding (unions wrapped, bytes as code
    points 0-255), floats exactly representable so both sides print them alike. space is
    the enclosing namespace (named types inherit it)."""
    named = {} if named is None else named
    if isinstance(schema, list):
        b = schema[rng.randrange(len(schema))]
        value = random_datum(b, rng, named, depth + 1, space)
        if b == "null":
            return None
        if isinstance(b, str):
            key = named[b][0] if b in named else b
        elif b["type"] in ("record", "enum", "fixed"):
            key = _full_name(b, space)
        else:
            key = b["type"]
        return {key: value}
    if isinstance(schema, str):
        if schema in named:
            full, definition = named[schema]
            return random_datum(definition, rng, named, depth + 1, full.rpartition(".")[0])
        return {
            "null": lambda: None,
            "boolean": lambda: rng.random() < 0.5,
            "int": lambda: rng.randint(-2**31, 2**31 - 1),
            "long": lambda: rng.randint(-2**63, 2**63 - 1),
            "float": lambda: rng.randint(-1000, 1000) / 4,
            "double": lambda: rng.randint(-10**6, 10**6) / 8,
            "bytes": lambda: "".join(chr(rng.randrange(256)) for _ in range(rng.randrange(5))),
            "string": lambda: "".join(rng.choice("abcé€😀 ") for _ in range(rng.randrange(6))),
        }[schema]()
    kind = schema["type"]
    if kind in PRIMITIVES:
        return random_datum(kind, rng, named, depth + 1, space)
    if kind in ("record", "enum", "fixed"):
        full = _full_name(schema, space)
        named[full] = (full, schema)
        named[schema["name"]] = (full, schema)
        space = full.rpartition(".")[0]
    if kind == "record":
        return {f["name"]: random_datum(f["type"], rng, named, depth + 1, space)
                for f in schema["fields"]}
    if kind == "enum":
        return rng.choice(schema["symbols"])
    if kind == "fixed":
        return "".join(chr(rng.randrange(256)) for _ in range(schema["size"]))
    count = 0 if depth > 4 else rng.randrange(4)
    if kind == "array":
        return [random_datum(schema["items"], rng, named, depth + 1, space) for _ in range(count)]
    return {f"k{i}": random_datum(schema["values"], rng, named, depth + 1, space)
            for i in range(count)}


def _full_name(schema: dict, space: str = "") -> str:
    if "." in schema["name"]:
        return schema["name"]
    ns = schema.get("namespace", space)
    return f"{ns}.{schema['name']}" if ns else schema["name"]
