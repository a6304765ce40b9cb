#!/usr/bin/env python3
"""Consumer groups on the embedded broker vs Apache Kafka, measured in one run with the
same client (librdkafka through confluent-kafka):

- rebalance: a group of N-1 members is stable on a topic of 2N partitions; one more
  member joins; the time from its subscribe() until every member holds its new
  assignment (N = 3 and 10, several rounds, median and max);
- end-to-end latency: one producer (acks=1, linger.ms=0) sends a record every
  millisecond; a group member reads them; p50/p99 of send -> receive.

    .cache/venv/bin/python bench/group_bench.py [--rounds 5] [--records 3000]

Both brokers run with group.initial.rebalance.delay.ms=0 (Kafka's shipped
server.properties sets the same for development) and the clients with
heartbeat.interval.ms=250, session.timeout.ms=6000, so the client's heartbeat interval,
not a default of 3 s, bounds how fast members notice a rebalance. Numbers depend on this
machine; the ratios are the point.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from broker_bench import TunedKafka, Wharf  # noqa: E402

from confluent_kafka import Consumer, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

CLIENT = {"heartbeat.interval.ms": 250, "session.timeout.ms": 6000,
          "enable.auto.commit": False, "auto.offset.reset": "latest"}


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        md = admin.list_topics(topic, timeout=10).topics.get(topic)
        if md and md.error is None and len(md.partitions) == partitions:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{topic} not ready")


class Member(threading.Thread):
    """One group member polling in its own thread; remembers when it was last assigned."""

    def __init__(self, bootstrap: str, group: str, topic: str):
        super().__init__(daemon=True)
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, **CLIENT})
        self.topic = topic
        self.assigned_at = 0.0
        self.assignment: list[int] = []
        self.stop_event = threading.Event()
        self.received: list[float] = []

    def _on_assign(self, consumer, partitions):
        self.assignment = [p.partition for p in partitions]
        self.assigned_at = time.perf_counter()

    def _on_revoke(self, consumer, partitions):
        self.assignment = []

    def run(self):
        self.consumer.subscribe([self.topic], on_assign=self._on_assign,
                                on_revoke=self._on_revoke)
        while not self.stop_event.is_set():
            msg = self.consumer.poll(0.02)
            if msg is not None and msg.error() is None:
                sent = float(msg.value().decode())
                self.received.append(time.perf_counter() - sent)
        self.consumer.close()


def stable_since(members: list[Member], since: float, partitions: int) -> float | None:
    """When every member got its assignment after `since` and together they cover every
    partition exactly once; None if not yet."""
    if any(m.assigned_at <= since for m in members):
        return None
    covered = sorted(p for m in members for p in m.assignment)
    if covered != list(range(partitions)):
        return None
    return max(m.assigned_at for m in members)


def rebalance_times(bootstrap: str, size: int, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        topic = f"group-bench-{uuid.uuid4().hex[:8]}"
        partitions = 2 * size
        create_topic(bootstrap, topic, partitions)
        group = f"g-{topic}"
        members = [Member(bootstrap, group, topic) for _ in range(size - 1)]
        for m in members:
            m.start()
        deadline = time.monotonic() + 60
        while stable_since(members, 0, partitions) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"group of {size - 1} never stabilised on {bootstrap}")
            time.sleep(0.01)
        time.sleep(0.5)
        joiner = Member(bootstrap, group, topic)
        joined = time.perf_counter()
        joiner.start()
        members.append(joiner)
        while (done := stable_since(members, joined, partitions)) is None:
            if time.monotonic() > deadline + 60:
                raise RuntimeError(f"group of {size} never rebalanced on {bootstrap}")
            time.sleep(0.002)
        out.append(done - joined)
        for m in members:
            m.stop_event.set()
        for m in members:
            m.join(30)
    return out


def end_to_end_latency(bootstrap: str, records: int) -> list[float]:
    topic = f"latency-bench-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, 1)
    member = Member(bootstrap, f"g-{topic}", topic)
    member.start()
    deadline = time.monotonic() + 60
    while not member.assignment:
        if time.monotonic() > deadline:
            raise RuntimeError("latency consumer never got its partition")
        time.sleep(0.01)
    time.sleep(0.5)  # the consumer's first fetch is in place
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 0})
    for _ in range(records):
        producer.produce(topic, value=repr(time.perf_counter()).encode())
        producer.poll(0)
        time.sleep(0.001)
    producer.flush(30)
    while len(member.received) < records and time.monotonic() < deadline + 60:
        time.sleep(0.05)
    member.stop_event.set()
    member.join(30)
    if len(member.received) < records:
        raise RuntimeError(f"only {len(member.received)} of {records} records arrived")
    return member.received


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--records", type=int, default=3000)
    args = parser.parse_args()

    wharf = Wharf()
    wharf.start()
    kafka = TunedKafka(nodes=1, extra_config={"group.initial.rebalance.delay.ms": "0"})
    kafka.start()
    brokers = {"wharf": wharf.bootstrap, "kafka": kafka.bootstrap_servers}
    results: dict[str, dict] = {name: {} for name in brokers}
    try:
        for name, bootstrap in brokers.items():
            for size in (3, 10):
                results[name][f"rebalance {size}"] = rebalance_times(bootstrap, size, args.rounds)
            results[name]["latency"] = end_to_end_latency(bootstrap, args.records)
    finally:
        kafka.stop()
        wharf.stop()

    header = f"{'metric':<38} | {'wharf':>9} | {'kafka':>9} | {'wharf/kafka':>11}"
    print("\n" + header)
    print("-" * len(header))
    rows = []
    for size in (3, 10):
        key = f"rebalance {size}"
        w, k = results["wharf"][key], results["kafka"][key]
        rows.append((f"join -> stable, {size} members, median ms", statistics.median(w) * 1000,
                     statistics.median(k) * 1000))
        rows.append((f"join -> stable, {size} members, max ms", max(w) * 1000, max(k) * 1000))
    w, k = results["wharf"]["latency"], results["kafka"]["latency"]
    rows.append(("produce -> consume p50 ms", percentile(w, 0.5) * 1000, percentile(k, 0.5) * 1000))
    rows.append(("produce -> consume p99 ms", percentile(w, 0.99) * 1000,
                 percentile(k, 0.99) * 1000))
    for label, wv, kv in rows:
        print(f"{label:<38} | {wv:>9.1f} | {kv:>9.1f} | {wv / kv if kv else float('inf'):>10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
