#!/usr/bin/env python3
"""Adds up JUnit XML reports (ctest and pytest) into one line: N passed, N failed."""
import sys
import xml.etree.ElementTree as ET


def count(path):
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        outcome = {child.tag for child in case}
        if outcome & {"failure", "error"}:
            failed += 1
        elif "skipped" in outcome:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(paths):
    totals = [0, 0, 0]
    for path in paths:
        try:
            p, f, s = count(path)
        except (OSError, ET.ParseError) as e:
            print(f"summary: cannot read {path}: {e}", file=sys.stderr)
            totals[1] += 1
            continue
        print(f"  {path.rsplit('/', 1)[-1]}: {p} passed, {f} failed, {s} skipped")
        totals = [totals[0] + p, totals[1] + f, totals[2] + s]
    if totals[0] + totals[1] == 0:
        print("summary: no test ran", file=sys.stderr)
        totals[1] += 1
    line = f"{totals[0]} passed, {totals[1]} failed"
    if totals[2]:
        line += f", {totals[2]} skipped"
    print(line)
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
