#!/usr/bin/env python3
"""Cross-checks the generated C++ codec against Apache Kafka's own Java message classes.

The round-trip unit test is symmetric (our encoder against our decoder), so it cannot
notice a field that both sides put in the wrong place. This script has the unit test dump
every filled message in every version, then parses each with the matching Java class
from the kafka-clients jar (tests/peers: fetch_kafka.sh) and re-serialises it: the bytes
must be consumed exactly and come back identical.

    python3 tools/kafka_codegen/java_crosscheck.py [--test-binary build/codegen/...]

Versions the Java classes no longer read (removed in Kafka 4) are skipped and listed;
so are versions a spec marks unstable when the jar's Kafka is newer than the specs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def kafka_libs() -> Path:
    pom = (REPO / "tests" / "peers" / "kafka" / "pom.xml").read_text()
    version = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom).group(1)
    libs = REPO / ".cache" / "peers" / f"kafka-{version}" / "libs"
    if not libs.is_dir():
        subprocess.run([str(REPO / "tests" / "peers" / "fetch_kafka.sh")], check=True)
    return libs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test-binary", type=Path,
                        default=REPO / "build" / "codegen" / "src" / "kafka" / "protocol" /
                        "kafka_protocol_test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kafka-crosscheck-") as tmp:
        vectors = Path(tmp) / "vectors.txt"
        env = dict(os.environ, WHARF_KAFKA_DUMP_VECTORS=str(vectors))
        subprocess.run([str(args.test_binary), "--gtest_filter=*DumpVectorsForTheJavaCrossCheck*"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        checker = Path(__file__).resolve().parent / "JavaCrossCheck.java"
        return subprocess.run(["java", "-cp", f"{kafka_libs()}/*", str(checker),
                               str(vectors)]).returncode


if __name__ == "__main__":
    sys.exit(main())
