"""Transactions: transactional producers (confluent-kafka and Java kafka-clients),
read_committed vs read_uncommitted consumers, fencing of a stale producer, the last
stable offset, transaction timeouts, and the coordinator's state across a restart. Same
expectations for the embedded broker and Apache Kafka."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import KafkaException, Producer

from broker_clients import create_topic, json_lines, run, topic_name
from peerutil import REPO_ROOT as REPO

JAVA_CLIENT = REPO / "tests" / "peers" / "java_client.sh"


def read_values(bootstrap: str, topic: str, isolation: str, expected: int,
                settle: float = 1.5, timeout: float = 30) -> list[str]:
    """Values of every partition from the beginning: waits for `expected` records, then
    `settle` seconds more so that extra (wrongly visible) records show up too."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-txn-reader",
                  "enable.auto.commit": False, "isolation.level": isolation,
                  "enable.partition.eof": False})
    try:
        md = c.list_topics(topic, timeout=15).topics[topic]
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in md.partitions])
        values: list[str] = []
        deadline = time.monotonic() + timeout
        quiet_until = None
        while time.monotonic() < deadline:
            msg = c.poll(0.2)
            if msg is not None:
                assert msg.error() is None, f"consume error: {msg.error()}"
                values.append(msg.value().decode())
            if len(values) >= expected:
                quiet_until = quiet_until or time.monotonic() + settle
                if time.monotonic() > quiet_until:
                    break
        return sorted(values)
    finally:
        c.close()


def transactional_producer(bootstrap: str, txn_id: str, **config) -> Producer:
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5,
                  **config})
    p.init_transactions(30)
    return p


def produce_in_transaction(p: Producer, topic: str, values: list[str], commit: bool,
                           partitions: int = 2) -> None:
    p.begin_transaction()
    for i, v in enumerate(values):
        p.produce(topic, key=f"k{i}", value=v, partition=i % partitions)
    p.flush(30)
    if commit:
        p.commit_transaction(30)
    else:
        p.abort_transaction(30)


def test_aborted_records_are_invisible_to_read_committed(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("txn")
    create_topic(b, topic, 2)
    p = transactional_producer(b, f"tx-{topic}")
    committed_1 = [f"c1-{i}" for i in range(10)]
    aborted = [f"a-{i}" for i in range(6)]
    committed_2 = [f"c2-{i}" for i in range(4)]
    produce_in_transaction(p, topic, committed_1, commit=True)
    produce_in_transaction(p, topic, aborted, commit=False)
    produce_in_transaction(p, topic, committed_2, commit=True)

    assert read_values(b, topic, "read_committed", 14) == sorted(committed_1 + committed_2)
    assert read_values(b, topic, "read_uncommitted", 20) == sorted(
        committed_1 + aborted + committed_2)


def test_open_transaction_holds_back_read_committed_until_commit(kafka_backend):
    """Records of an open transaction are visible to read_uncommitted at once, to
    read_committed only after the commit (the last stable offset stays at its start)."""
    b = kafka_backend.bootstrap
    topic = topic_name("txn-open")
    create_topic(b, topic, 1)
    plain = Producer({"bootstrap.servers": b})
    plain.produce(topic, value="before")
    plain.flush(15)

    p = transactional_producer(b, f"tx-{topic}")
    p.begin_transaction()
    for i in range(3):
        p.produce(topic, value=f"open-{i}", partition=0)
    p.flush(30)
    # A non-transactional record written after the open transaction's first record is
    # not visible to read_committed either: it lies past the last stable offset.
    plain.produce(topic, value="after", partition=0)
    plain.flush(15)

    assert read_values(b, topic, "read_uncommitted", 5) == sorted(
        ["before", "open-0", "open-1", "open-2", "after"])
    assert read_values(b, topic, "read_committed", 1) == ["before"]
    p.commit_transaction(30)
    assert read_values(b, topic, "read_committed", 5) == sorted(
        ["before", "open-0", "open-1", "open-2", "after"])


def test_new_producer_with_same_id_fences_the_old_and_aborts_its_transaction(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("txn-fence")
    create_topic(b, topic, 1)
    txn_id = f"tx-{topic}"
    old = transactional_producer(b, txn_id)
    old.begin_transaction()
    old.produce(topic, value="zombie", partition=0)
    old.flush(30)

    new = transactional_producer(b, txn_id)  # aborts the old one's open transaction
    produce_in_transaction(new, topic, ["fresh"], commit=True, partitions=1)

    with pytest.raises(KafkaException) as failure:
        old.commit_transaction(15)
    assert failure.value.args[0].fatal() or "fenced" in str(failure.value).lower()
    assert read_values(b, topic, "read_committed", 1) == ["fresh"]
    assert read_values(b, topic, "read_uncommitted", 2) == ["fresh", "zombie"]


def test_transaction_timeout_aborts(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("txn-timeout")
    create_topic(b, topic, 1)
    p = transactional_producer(b, f"tx-{topic}", **{"transaction.timeout.ms": 2000})
    p.begin_transaction()
    p.produce(topic, value="never", partition=0)
    p.flush(30)
    # Kafka checks for timed-out transactions every 10 s by default.
    deadline = time.monotonic() + 40
    seen_abort = False
    while time.monotonic() < deadline:
        out = run(["bash", str(REPO / "tests" / "peers" / "kafka_cli.sh"), "transactions",
                   "--bootstrap-server", b, "describe", "--transactional-id", f"tx-{topic}"],
                  check=False)
        if "CompleteAbort" in out.stdout or "PrepareAbort" in out.stdout:
            seen_abort = True
            break
        time.sleep(1)
    assert seen_abort, "the open transaction was not aborted after its timeout"
    plain = Producer({"bootstrap.servers": b})
    plain.produce(topic, value="later", partition=0)
    plain.flush(15)
    # The aborted record never becomes visible to read_committed; the later one does.
    assert read_values(b, topic, "read_committed", 1) == ["later"]


def test_java_transactional_producer(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("txn-java")
    create_topic(b, topic, 3)
    out = run([str(JAVA_CLIENT), "txn-produce", "--bootstrap", b, "--topic", topic,
               "--transactional-id", f"tx-{topic}", "--plan", "commit:7,abort:5,commit:3"],
              timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = json_lines(out.stdout)
    assert [line["outcome"] for line in lines] == ["commit", "abort", "commit"]
    committed = [f"t0-{i}" for i in range(7)] + [f"t2-{i}" for i in range(3)]
    aborted = [f"t1-{i}" for i in range(5)]
    assert read_values(b, topic, "read_committed", 10) == sorted(committed)
    assert read_values(b, topic, "read_uncommitted", 15) == sorted(committed + aborted)


def test_transactions_listed_and_described_by_the_cli(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("txn-cli")
    create_topic(b, topic, 1)
    txn_id = f"tx-{topic}"
    p = transactional_producer(b, txn_id)
    p.begin_transaction()
    p.produce(topic, value="x", partition=0)
    p.flush(30)
    cli = ["bash", str(REPO / "tests" / "peers" / "kafka_cli.sh"), "transactions",
           "--bootstrap-server", b]
    listed = run(cli + ["list"], check=False)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert txn_id in listed.stdout and "Ongoing" in listed.stdout
    described = run(cli + ["describe", "--transactional-id", txn_id], check=False)
    assert described.returncode == 0, described.stderr[-2000:]
    assert "Ongoing" in described.stdout and f"{topic}-0" in described.stdout
    p.commit_transaction(30)
    described = run(cli + ["describe", "--transactional-id", txn_id], check=False)
    assert "CompleteCommit" in described.stdout
    missing = run(cli + ["describe", "--transactional-id", "no-such-txn-id"], check=False)
    assert missing.returncode != 0


def test_transactions_survive_a_broker_kill(tmp_path):
    """Embedded broker only: kill -9 with one transaction committed, one aborted and one
    open. After the restart the coordinator still knows the open one (its producer can
    commit it), and read_committed still hides the aborted records (rebuilt from the
    markers in the log)."""
    import signal

    from backends import launch_wharf
    from wharf_fixture import free_port

    data = tmp_path / "data"
    port = free_port()
    w = launch_wharf(tmp_path / "run", data_dir=data, broker_port=port)
    try:
        b = f"127.0.0.1:{port}"
        topic = topic_name("txn-crash")
        create_topic(b, topic, 2)
        p = transactional_producer(b, f"tx-{topic}")
        produce_in_transaction(p, topic, [f"c-{i}" for i in range(6)], commit=True)
        produce_in_transaction(p, topic, [f"a-{i}" for i in range(4)], commit=False)
        p.begin_transaction()
        for i in range(3):
            p.produce(topic, value=f"o-{i}", partition=i % 2)
        p.flush(30)

        w.proc.send_signal(signal.SIGKILL)
        w.proc.wait()
        w = launch_wharf(tmp_path / "run", data_dir=data, broker_port=port)

        # The open transaction still holds back read_committed, and is still Ongoing.
        assert read_values(b, topic, "read_committed", 6) == sorted(f"c-{i}" for i in range(6))
        p.commit_transaction(30)
        assert read_values(b, topic, "read_committed", 9) == sorted(
            [f"c-{i}" for i in range(6)] + [f"o-{i}" for i in range(3)])
        assert read_values(b, topic, "read_uncommitted", 13) == sorted(
            [f"c-{i}" for i in range(6)] + [f"a-{i}" for i in range(4)] +
            [f"o-{i}" for i in range(3)])
    finally:
        w.stop(signal.SIGTERM)


def test_consume_transform_produce_is_exactly_once_across_a_crash(kafka_backend):
    """Java read-process-write loop with sendOffsetsToTransaction: the first processor
    halts in the middle of a transaction; a second one with the same transactional id
    and group finishes the job. read_committed sees every input record copied exactly
    once."""
    b = kafka_backend.bootstrap
    source = topic_name("eos-in")
    sink = topic_name("eos-out")
    create_topic(b, source, 3)
    create_topic(b, sink, 3)
    plain = Producer({"bootstrap.servers": b, "linger.ms": 5})
    for i in range(120):
        plain.produce(source, key=f"k{i}", value=f"v-{i}", partition=i % 3)
    plain.flush(30)
    cmd = [str(JAVA_CLIENT), "eos-copy", "--bootstrap", b, "--input", source, "--output", sink,
           "--group", f"g-{source}", "--transactional-id", f"tx-{source}", "--count", "120",
           "--batch", "10"]
    crashed = run(cmd + ["--crash-after", "45"], timeout=120, check=False)
    assert crashed.returncode == 3, crashed.stderr[-3000:]
    finished = run(cmd + ["--timeout-ms", "90000"], timeout=150, check=False)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert read_values(b, sink, "read_committed", 120) == sorted(f"copy:v-{i}" for i in range(120))
    # The crashed transaction's records are in the log, visible to read_uncommitted only.
    assert len(read_values(b, sink, "read_uncommitted", 121, settle=1.0)) > 120
