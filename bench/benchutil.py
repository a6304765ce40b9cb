"""What the benchmarks in this folder share: Apache Kafka started as kafka-server-start.sh
starts it, a free loopback port, and a process's CPU time."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "peers"))
from kafka_cluster import KafkaCluster, kafka_home  # noqa: E402


class TunedKafka(KafkaCluster):
    """Apache Kafka started the way kafka-server-start.sh starts it (1 GiB G1 heap)."""

    def _java(self, heap: str, fast_start: bool) -> list[str]:
        home = kafka_home()
        return ["java", "-Xmx1G", "-Xms1G", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={home / 'log4j2.properties'}",
                "-Dwharf.log.level=WARN", "-cp", str(home / "libs" / "*")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (JVM GC threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
