"""A consumer group member for the group tests, run as its own process so a test can
start, stop (SIGTERM: close and leave the group) and kill (SIGKILL) members:

    python group_consumer.py --client confluent|kafka-python --bootstrap B --topic T --group G

It subscribes, and for every batch it polls it commits the offsets synchronously and only
then prints one JSON line per record: {"partition", "offset", "key", "value"}. A record is
printed at most once across the group as long as commits of revoked partitions fail, and
every record is printed once its partition is consumed, so the union of all members'
output is the exactly-once record of what the group consumed. Assignment changes are
printed as {"event": "assigned", "partitions": [...]}. Logging goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time

stopping = False


def _stop(*_):
    global stopping
    stopping = True


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def run_confluent(args) -> None:
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    def on_assign(consumer, partitions):
        emit({"event": "assigned", "partitions": sorted(p.partition for p in partitions)})

    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group,
                  "client.id": args.client_id, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "session.timeout.ms": args.session_timeout,
                  "heartbeat.interval.ms": 1000, "max.poll.interval.ms": 30000,
                  "partition.assignment.strategy": args.assignor or "range",
                  **({"group.instance.id": args.instance} if args.instance else {})})
    c.subscribe([args.topic], on_assign=on_assign)
    try:
        while not stopping:
            msgs = c.consume(num_messages=100, timeout=0.2)
            batch = [m for m in msgs if m.error() is None]
            for m in msgs:
                if m.error() is not None:
                    print(f"consume error: {m.error()}", file=sys.stderr)
            if not batch:
                continue
            last: dict[int, int] = {}
            for m in batch:
                last[m.partition()] = max(last.get(m.partition(), -1), m.offset())
            try:
                c.commit(offsets=[TopicPartition(args.topic, p, o + 1) for p, o in last.items()],
                         asynchronous=False)
            except KafkaException as e:
                # Revoked meanwhile (rebalance): another member consumes these again.
                print(f"commit failed: {e}", file=sys.stderr)
                continue
            for m in batch:
                emit({"partition": m.partition(), "offset": m.offset(),
                      "key": m.key().decode() if m.key() else None,
                      "value": m.value().decode() if m.value() else None})
    finally:
        c.close()


def run_kafka_python(args) -> None:
    from kafka import KafkaConsumer, TopicPartition
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.errors import KafkaError
    from kafka.structs import OffsetAndMetadata

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            pass

        def on_partitions_assigned(self, assigned):
            emit({"event": "assigned", "partitions": sorted(p.partition for p in assigned)})

    extra = {"group_instance_id": args.instance} if args.instance else {}
    c = KafkaConsumer(bootstrap_servers=[args.bootstrap], group_id=args.group,
                      client_id=args.client_id, enable_auto_commit=False,
                      auto_offset_reset="earliest", session_timeout_ms=args.session_timeout,
                      heartbeat_interval_ms=1000, max_poll_interval_ms=30000, **extra)
    c.subscribe([args.topic], listener=Listener())
    try:
        while not stopping:
            polled = c.poll(timeout_ms=200)
            if not polled:
                continue
            offsets = {tp: OffsetAndMetadata(recs[-1].offset + 1, "", -1)
                       for tp, recs in polled.items() if recs}
            try:
                c.commit(offsets)
            except KafkaError as e:
                print(f"commit failed: {e}", file=sys.stderr)
                continue
            for tp, recs in polled.items():
                for m in recs:
                    emit({"partition": m.partition, "offset": m.offset,
                          "key": m.key.decode() if m.key else None,
                          "value": m.value.decode() if m.value else None})
    finally:
        c.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", choices=["confluent", "kafka-python"], required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--client-id", default="group-test")
    parser.add_argument("--instance", default=None, help="group.instance.id (static member)")
    parser.add_argument("--session-timeout", type=int, default=6000)
    parser.add_argument("--assignor", default=None)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    started = time.monotonic()
    if args.client == "confluent":
        run_confluent(args)
    else:
        run_kafka_python(args)
    print(f"closed after {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
