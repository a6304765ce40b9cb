"""Seeded random event patterns and events for the differential test against AWS's
event-ruler: mixed operators, nested fields, arrays of scalars and of objects, $or, and a
share of invalid patterns. Numbers travel as their exact text (Raw), never through a
Python float, so "0.30000000000000001" or "1e400" reach both matchers as written."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

CONFORMANCE = Path(__file__).resolve().parents[2] / "data" / "event_patterns" / "conformance.json"


@dataclass(frozen=True)
class Raw:
    """A JSON number written exactly as `text`."""
    text: str


def to_json(value) -> str:
    """Compact JSON with Raw numbers kept as written and keys in insertion order."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value)


# Small vocabularies so patterns and events meet often.
KEYS = ["a", "b", "c", "detail", "x", "ip", "ip6"]
WORDS = ["", "a", "ab", "abc", "Abc", "ABC", "abcd", "b", "ba", "cab", "x*y", "x\\y", "xay",
         "foo", "Foo", "foobar", "barfoo", "ÉTÉ", "été", "ß", "\"q\"", "a.b"]
IPS = {"ip": ["10.0.0.1", "10.0.0.255", "10.0.1.7", "192.168.1.1", "10.0.0.01", "300.1.1.1",
              "::ffff:a00:1"],
       "ip6": ["::1", "2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db9::", "1:2", "fe80::1"]}
NUMBERS = ["0", "-0", "1", "1.0", "1.5", "2", "3", "5", "5.0", "5e0", "10", "-1", "-2.5",
           "0.1", "0.3", "0.30000000000000001", "100", "1e2", "1E2", "123456789012",
           "12345678901234567890", "1e400", "-7.25", "4.9999999", "5000000000.000001",
           "-5e9", "1e300"]
# Numeric ranges only on these field names, and only numbers there: event-ruler
# 2.1.0 misses string, true/false/null matches when one field's byte machine also holds a numeric range
# (even from another rule or $or branch): {"a": ["5", {"numeric": [">=", -5e9]}]} does not
# match {"a": "5"}, nor {"b": ["cab", {"numeric": ["<", 100]}, {"wildcard": "y*fb"}]}
# {"b": "cab"}. Wharf matches those; docs/event-patterns.md lists the quirk.
NUMERIC_KEYS = ("a", "c")
# event-ruler 2.1.0 also fails {"anything-but": {"equals-ignore-case": "a"}} on "foo" when
# the field has a wildcard starting with "*": those two never share a field name here.
NO_WILDCARD_KEYS = ("x",)
# ... and {"anything-but": {"wildcard": "*"}} with {"equals-ignore-case": "a"} matches "cab":
# anything-but wildcards only on "detail", which has no equals-ignore-case.
ANYTHING_BUT_WILDCARD_KEYS = ("detail",)
# Numbers event-ruler compares as numbers (the others only match their own text).
COMPARABLE = [n for n in NUMBERS if n not in ("0.30000000000000001", "1e400", "12345678901234567890")]
CIDRS = {"ip": ["10.0.0.0/24", "10.0.0.0/8", "10.0.0.0/31", "192.168.0.0/16", "0.0.0.0/0",
                "10.0.0.1/30"],
         "ip6": ["::/0", "2001:db8::/32", "2001:db8::/127", "fe80::/10"]}
BAD_CIDRS = ["10.0.0.1/32", "10.0.0.0", "10.0.0.0/-1", "10.0.0.0/x", "2001:db8::/128", "a/8",
             "10.0.0.0/8/", "/8", "10.0.0.0/+8"]


def number(rng: random.Random, comparable: bool = False) -> Raw:
    return Raw(rng.choice(COMPARABLE if comparable or rng.random() < 0.8 else NUMBERS))


def scalar(rng: random.Random, key: str):
    # IP addresses (and CIDR patterns) live under "ip" (IPv4) and "ip6" only, never with
    # numbers: event-ruler compares an IP range with the hex digits of any value, so a
    # number can "be in" 0.0.0.0/0 and an IPv4 address in ::/0, quirks Wharf does not copy.
    if key in IPS:
        return rng.choice(IPS[key] + WORDS[:6])
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(WORDS)
    if roll < 0.8:
        return number(rng)
    return rng.choice([True, False, None, "true", "null", "5"])


def event_value(rng: random.Random, depth: int, key: str):
    roll = rng.random()
    if depth < 3 and roll < 0.2:
        return event_object(rng, depth + 1)
    if depth < 3 and roll < 0.3:
        return [event_object(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.45:
        return [scalar(rng, key) for _ in range(rng.randint(0, 3))]
    return scalar(rng, key)


def event_object(rng: random.Random, depth: int = 0) -> dict:
    keys = rng.sample(KEYS, rng.randint(0 if depth else 1, 4))
    return {k: event_value(rng, depth, k) for k in keys}


def wildcard(rng: random.Random) -> str:
    pieces = ["a", "b", "*", "c", "\\*", "\\\\", "x", "*", "y", "oo", "f"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))


def matcher(rng: random.Random, key: str):
    """One entry of a field's value list: a literal or an operator object."""
    if key in IPS and rng.random() < 0.6:
        return rng.choice([{"cidr": rng.choice(CIDRS[key])}, rng.choice(IPS[key])])
    if key in NUMERIC_KEYS:
        kind = rng.choice(["literal"] * 3 + ["numeric", "numeric", "numeric2", "numeric2",
                                             "anything-but-num", "exists"])
    else:
        kind = rng.choice(["literal"] * 4 + [
            "prefix", "suffix", "prefix-ic", "suffix-ic", "eic", "anything-but",
            "anything-but-list", "anything-but-num", "anything-but-prefix", "anything-but-suffix",
            "anything-but-eic", "anything-but-wildcard", "exists", "cidr", "wildcard", "exactly"])
    w = lambda: rng.choice(WORDS)  # noqa: E731
    nonempty = lambda: rng.choice(WORDS[1:] if rng.random() < 0.95 else WORDS)  # noqa: E731
    if kind == "wildcard" and key in NO_WILDCARD_KEYS:
        kind = "anything-but-eic"
    elif kind == "anything-but-eic" and key not in NO_WILDCARD_KEYS:
        kind = "eic"
    if kind == "anything-but-wildcard" and key not in ANYTHING_BUT_WILDCARD_KEYS:
        kind = "anything-but-prefix"
    elif kind in ("eic", "prefix-ic", "suffix-ic") and key in ANYTHING_BUT_WILDCARD_KEYS:
        kind = "prefix"
    if kind == "literal":
        if key in NUMERIC_KEYS:
            return number(rng)
        return scalar(rng, key)
    if kind == "prefix":
        return {"prefix": w()}
    if kind == "suffix":
        return {"suffix": w()}
    if kind == "prefix-ic":
        return {"prefix": {"equals-ignore-case": w()}}
    if kind == "suffix-ic":
        return {"suffix": {"equals-ignore-case": w()}}
    if kind == "eic":
        return {"equals-ignore-case": w()}
    if kind == "anything-but":
        return {"anything-but": rng.choice([w(), number(rng)])}
    if kind == "anything-but-list":
        return {"anything-but": [w() for _ in range(rng.randint(1, 3))]}
    if kind == "anything-but-num":
        return {"anything-but": [number(rng) for _ in range(rng.randint(1, 3))]}
    if kind == "anything-but-prefix":
        return {"anything-but": {"prefix": rng.choice([nonempty(), [nonempty(), nonempty()]])}}
    if kind == "anything-but-suffix":
        return {"anything-but": {"suffix": rng.choice([nonempty(), [nonempty(), nonempty()]])}}
    if kind == "anything-but-eic":
        return {"anything-but": {"equals-ignore-case": rng.choice([w(), [w(), w()]])}}
    if kind == "anything-but-wildcard":
        if key in NO_WILDCARD_KEYS:
            return {"anything-but": rng.choice([w(), [w(), w()]])}
        return {"anything-but": {"wildcard": rng.choice([wildcard(rng), [wildcard(rng)] * 2])}}
    if kind == "numeric":
        return {"numeric": [rng.choice([">", ">=", "<", "<=", "="]), number(rng)]}
    if kind == "numeric2":
        low, high = sorted([number(rng, True), number(rng, True)], key=lambda n: float(n.text))
        if rng.random() < 0.9 and float(low.text) == float(high.text):
            high = Raw("1e300")
        return {"numeric": [rng.choice([">", ">="]), low, rng.choice(["<", "<="]), high]}
    if kind == "exists":
        return {"exists": rng.random() < 0.5}
    if kind == "cidr":  # not on a field without IP addresses (see scalar())
        return {"wildcard": wildcard(rng)}
    if kind == "wildcard":
        return {"wildcard": wildcard(rng)}
    return {"exactly": w()}


def broken_matcher(rng: random.Random):
    """Something event-ruler refuses (or nearly so): every refusal path gets exercised."""
    return rng.choice([
        [], {}, {"prefix": 5}, {"prefix": {"equals-ignore-case": 5}}, {"prefix": {"x": "a"}},
        {"suffix": ["a"]}, {"numeric": [">"]}, {"numeric": [">", "a"]}, {"numeric": ["<", 5, ">", 1]},
        {"numeric": [">", 5, "<", 1]}, {"numeric": [">", 5, "<", 5]}, {"numeric": ["=", 1, 2]},
        {"numeric": ["!", 1]}, {"numeric": 5}, {"numeric": [">", Raw("1e400")]},
        {"numeric": ["=", Raw("0.30000000000000001")]}, {"numeric": [">", 1, "<", 2, 3]},
        {"numeric": [">", 1, "<", 2], "x": 1}, {"anything-but": None}, {"anything-but": [1, "a"]},
        {"anything-but": []}, {"anything-but": [True]}, {"anything-but": {"prefix": ""}},
        {"anything-but": {"suffix": [""]}}, {"anything-but": {"foo": "a"}},
        {"anything-but": {"equals-ignore-case": 5}}, {"anything-but": {"wildcard": "a**"}},
{"anything-but": "a", "prefix": "b"},
        {"exists": "yes"}, {"exists": True, "x": 1}, {"cidr": 5}, {"cidr": rng.choice(BAD_CIDRS)},
        {"wildcard": "a\\b"}, {"wildcard": "**"}, {"wildcard": 5}, {"equals-ignore-case": 1},
        {"exactly": 5}, {"unknown-op": "a"}, {"prefix": "a", "suffix": "b"}, [1],
    ])


def field_list(rng: random.Random, broken: bool, key: str):
    values = [matcher(rng, key) for _ in range(rng.randint(1, 3))]
    # {"exists": false} stands alone: event-ruler 2.1.0 loses it when another $or branch
    # has the same path with the same other value ({"$or": [{"a": ["::1"]}, {"a":
    # [{"exists": false}, "::1"]}]} fails to match {}).
    if {"exists": False} in values:
        values = [{"exists": False}]
    if broken:
        values[rng.randrange(len(values))] = broken_matcher(rng)
    return values


def pattern_object(rng: random.Random, depth: int, broken: bool, allow_or: bool = True) -> dict:
    keys = rng.sample(KEYS, rng.randint(1, 3))
    out: dict = {}
    broken_at = rng.randrange(len(keys)) if broken else -1
    for i, k in enumerate(keys):
        if depth < 2 and rng.random() < 0.25:
            out[k] = pattern_object(rng, depth + 1, i == broken_at, allow_or)
        else:
            out[k] = field_list(rng, i == broken_at, k)
    if allow_or and rng.random() < 0.15:
        branches = rng.randint(1 if broken else 2, 3)
        out["$or"] = [pattern_object(rng, depth + 1, False, depth < 1) for _ in range(branches)]
    return out


def random_pattern(rng: random.Random) -> dict | str:
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(['[]', '"a"', '5', '{}', '{"a": 1}', '{"a": [1]', '{"a": {}}',
                           '{"a": [[1]]}', '{"$or": [{"a": [1]}]}', '{"$or": {"a": [1]}}',
                           '{"$or": [{"a": [1]}, 5]}', '{"a": [1], "$or": [{"numeric": [1]}, {"b": [2]}]}'])
    return pattern_object(rng, 0, roll < 0.12)


def value_for(rng: random.Random, entry, key: str):
    """An event value meant to satisfy one entry of a pattern's value list (often does)."""
    if not isinstance(entry, dict) or not entry:
        return entry if not isinstance(entry, list) else scalar(rng, key)
    op, arg = next(iter(entry.items()))
    if isinstance(arg, dict) and arg:
        arg = next(iter(arg.values()))
    if isinstance(arg, list) and op != "numeric":
        arg = arg[0] if arg else ""
    if op in ("prefix",) and isinstance(arg, str):
        return arg + rng.choice(["", "x", "Abc"])
    if op == "suffix" and isinstance(arg, str):
        return rng.choice(["", "x", "Abc"]) + arg
    if op in ("equals-ignore-case", "exactly") and isinstance(arg, str):
        return arg.swapcase() if rng.random() < 0.5 else arg
    if op == "wildcard" and isinstance(arg, str):
        return arg.replace("\\*", "\0").replace("*", rng.choice(["", "zz"])).replace(
            "\0", "*").replace("\\\\", "\\")
    if op == "numeric" and isinstance(arg, list) and len(arg) >= 2 and isinstance(arg[1], Raw):
        try:
            bound = float(arg[1].text)
        except ValueError:
            return number(rng)
        step = rng.choice([0, 0.5, 1, -1])
        return Raw(repr(bound + step) if abs(bound) < 1e15 else arg[1].text)
    if op == "cidr" and isinstance(arg, str):
        return arg.split("/")[0]
    return scalar(rng, key)


def steered_event(rng: random.Random, pattern) -> dict:
    """An event built from the pattern's own fields, wrapped in arrays now and then."""
    out: dict = {}
    if not isinstance(pattern, dict):
        return out
    for key, spec in pattern.items():
        if key == "$or" and isinstance(spec, list) and spec:
            branch = rng.choice(spec)
            out.update(steered_event(rng, branch))
            continue
        if isinstance(spec, dict):
            inner = steered_event(rng, spec)
            out[key] = [inner, event_object(rng, 2)] if rng.random() < 0.2 else inner
        elif isinstance(spec, list) and spec and rng.random() < 0.9:
            value = value_for(rng, rng.choice(spec), key)
            if rng.random() < 0.2:
                value = [value, scalar(rng, key)]
            out[key] = value
    if rng.random() < 0.3:
        extra = event_object(rng, 1)
        for k, v in extra.items():
            out.setdefault(k, v)
    return out


def case_line(pattern, event) -> str:
    pattern_text = pattern if isinstance(pattern, str) else to_json(pattern)
    event_text = event if isinstance(event, str) else to_json(event)
    return json.dumps({"pattern": pattern_text, "event": event_text})


def random_lines(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    while len(lines) < count:
        pattern = random_pattern(rng)
        # A few events per pattern: random ones, and ones steered towards the pattern's keys.
        lines.append(case_line(pattern, event_object(rng)))
        for _ in range(2):
            lines.append(case_line(pattern, steered_event(rng, pattern)))
    return lines[:count]


def conformance_cases() -> list[dict]:
    return json.loads(CONFORMANCE.read_text())["cases"]


def conformance_lines() -> list[str]:
    # Patterns and events are stored as JSON text, so numbers keep their exact spelling.
    return [case_line(c["pattern"], c["event"]) for c in conformance_cases()]
