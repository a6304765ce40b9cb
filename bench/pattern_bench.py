#!/usr/bin/env python3
"""Event-pattern matching throughput: Wharf's rule_set (src/pattern, through pattern_tool)
beside AWS's event-ruler (the library behind EventBridge, through EventRulerCheck's bench
mode), on the same rules and events, one core each, in one run.

Cases: one simple rule (exact match on a small event), then 100, 1,000 and 10,000 rules of
mixed operators (exact, prefix, suffix, equals-ignore-case, wildcard, numeric ranges,
anything-but, exists, cidr, $or) over EventBridge-shaped events. Events go in as JSON text
on both sides (each matcher parses and flattens every event itself).

    .cache/venv/bin/python bench/pattern_bench.py            # --seconds 5, --quick
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "build/release/src/pattern/pattern_tool"

SOURCES = [f"app.service{i}" for i in range(200)]
TYPES = ["Order Placed", "Order Shipped", "Payment Failed", "User Signed Up", "Item Viewed"]
STATES = ["pending", "running", "stopped", "failed", "done", "retrying"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"]


def rule(rng: random.Random, i: int) -> dict:
    """An EventBridge-style rule: a source, often a detail-type, one to three detail tests."""
    r: dict = {"source": [rng.choice(SOURCES)]}
    if rng.random() < 0.6:
        r["detail-type"] = [rng.choice(TYPES)]
    detail: dict = {}
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(10)
        if kind == 0:
            detail["state"] = [rng.choice(STATES), rng.choice(STATES)]
        elif kind == 1:
            detail["customer"] = [{"prefix": f"c{rng.randrange(100)}"}]
        elif kind == 2:
            detail["file"] = [{"suffix": rng.choice([".png", ".jpg", ".csv", ".json"])}]
        elif kind == 3:
            low = rng.randrange(0, 1000)
            detail["amount"] = [{"numeric": [">=", low, "<", low + rng.randrange(1, 200)]}]
        elif kind == 4:
            detail["state"] = [{"anything-but": rng.sample(STATES, 2)}]
        elif kind == 5:
            detail["region"] = [{"equals-ignore-case": rng.choice(REGIONS).upper()}]
        elif kind == 6:
            detail["file"] = [{"wildcard": f"dir{rng.randrange(20)}/*.{rng.choice(['png', 'csv'])}"}]
        elif kind == 7:
            detail["ip"] = [{"cidr": f"10.{rng.randrange(256)}.0.0/16"}]
        elif kind == 8:
            detail["coupon"] = [{"exists": rng.random() < 0.5}]
        else:
            detail["$or"] = [{"priority": ["high"]}, {"amount": [{"numeric": [">", 900]}]}]
    r["detail"] = detail
    return r


def event(rng: random.Random) -> dict:
    d: dict = {
        "state": rng.choice(STATES),
        "customer": f"c{rng.randrange(100)}-{rng.randrange(10000)}",
        "file": f"dir{rng.randrange(20)}/f{rng.randrange(100)}.{rng.choice(['png', 'jpg', 'csv', 'json'])}",
        "amount": rng.randrange(0, 1200) + rng.choice([0, 0.5, 0.25]),
        "region": rng.choice(REGIONS),
        "ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
        "priority": rng.choice(["high", "low"]),
        "items": [{"sku": f"s{rng.randrange(1000)}", "qty": rng.randrange(1, 5)}
                  for _ in range(rng.randrange(0, 3))],
    }
    if rng.random() < 0.5:
        d["coupon"] = "SAVE10"
    return {"version": "0", "id": f"{rng.getrandbits(64):016x}", "source": rng.choice(SOURCES),
            "detail-type": rng.choice(TYPES), "account": "123456789012", "region": "us-east-1",
            "time": "2026-11-26T01:02:03Z", "resources": [], "detail": d}


def simple_case(rng: random.Random) -> tuple[list[dict], list[dict]]:
    rules = [{"source": ["app.orders"]}]
    events = [{"source": rng.choice(["app.orders", "app.users"]), "detail-type": "Order Placed",
               "detail": {"id": i}} for i in range(1000)]
    return rules, events


def run_tool(command: list[str], rules: Path, events: Path, seconds: float) -> dict:
    done = subprocess.run(command + ["bench", str(rules), str(events), str(seconds)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="1 s per case")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    seconds = 1.0 if args.quick else args.seconds
    if not TOOL.exists():
        raise SystemExit(f"{TOOL} missing: bash scripts/build.sh release pattern_tool")
    sys.path.insert(0, str(ROOT / "tests/integration/pattern"))
    sys.path.insert(0, str(ROOT / "tests/integration"))
    from test_pattern_against_event_ruler import event_ruler_command  # noqa: E402
    java = event_ruler_command()
    # A larger heap than the differential test's: 10,000 rules make a big machine.
    java = [a if not a.startswith("-Xmx") else "-Xmx2g" for a in java]
    java = [a if a != "-XX:+UseSerialGC" else "-XX:+UseParallelGC" for a in java]

    rng = random.Random(args.seed)
    cases = [("1 rule, exact (simple)", *simple_case(rng))]
    events = [event(rng) for _ in range(2000)]
    for count in (1, 100, 1000, 10000):
        cases.append((f"{count:,} mixed rules", [rule(rng, i) for i in range(count)], events))

    print(f"{'case':<26} {'Wharf events/s':>15} {'event-ruler events/s':>21} {'ratio':>7} "
          f"{'matches/event W / er':>21}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, rules, evs in cases:
            rules_file = Path(tmp) / "rules.jsonl"
            events_file = Path(tmp) / "events.jsonl"
            rules_file.write_text("\n".join(json.dumps(r) for r in rules) + "\n")
            events_file.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
            ours = run_tool([str(TOOL)], rules_file, events_file, seconds)
            theirs = run_tool(java, rules_file, events_file, seconds)
            ratio = ours["events_per_s"] / theirs["events_per_s"]
            print(f"{name:<26} {ours['events_per_s']:>15,.0f} {theirs['events_per_s']:>21,.0f} "
                  f"{ratio:>6.1f}x {ours['matches'] / ours['events']:>10.2f} / "
                  f"{theirs['matches'] / theirs['events']:<8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
