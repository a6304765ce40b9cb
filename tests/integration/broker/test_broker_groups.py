"""Consumer groups (the classic protocol) with every client peer, against the embedded
broker and Apache Kafka with the same expectations.

For each client (confluent-kafka, kafka-python, kafkajs, the Java client) three members
split a 6-partition topic; a fourth joins, one leaves, one is killed (SIGKILL, so only
its session timeout tells the coordinator), and each time the group rebalances and the
records produced after it are consumed exactly once across the members, each from the
partitions it owns. Members commit before they print, so the union of what they printed
is what the group consumed: nothing lost, nothing twice. Committed offsets then match the
log end, and a new member resumes from them, also after the embedded broker restarts on
its data dir.

Also: protocol-level answers (error codes) that clients rely on, checked on the wire with
kafka-python's protocol classes, and the group and lag metrics of the embedded broker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
from confluent_kafka import ConsumerGroupState, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from backends import launch_wharf
from broker_clients import PEERS, confluent_produce, create_topic, end_offsets, topic_name

HERE = Path(__file__).resolve().parent
PARTITIONS = 6
CLIENTS = ["confluent", "kafka-python", "kafkajs", "java"]


# --- group members as processes ---------------------------------------------------------

class Member:
    """One group member (tests/integration/broker/group_consumer.py, the kafkajs or the
    Java peer's group-consume); what it prints is collected by a reader thread."""

    def __init__(self, client: str, bootstrap: str, topic: str, group: str, name: str,
                 instance: str | None = None):
        self.client, self.name = client, name
        if client in ("confluent", "kafka-python"):
            argv = [sys.executable, str(HERE / "group_consumer.py"), "--client", client,
                    "--bootstrap", bootstrap, "--topic", topic, "--group", group,
                    "--client-id", name]
            if instance:
                argv += ["--instance", instance]
        elif client == "kafkajs":
            argv = ["node", str(PEERS / "node" / "kafkajs_client.js"), "group-consume",
                    "--bootstrap", bootstrap, "--topic", topic, "--group", group,
                    "--client-id", name]
        elif client == "java":
            argv = [str(PEERS / "java_client.sh"), "group-consume", "--bootstrap", bootstrap,
                    "--topic", topic, "--group", group, "--client-id", name]
            if instance:
                argv += ["--instance", instance]
        else:
            raise AssertionError(client)
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr,
                                     stdin=subprocess.DEVNULL, text=True)
        self.records: list[dict] = []
        self.assignments: list[list[int]] = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            obj = json.loads(line)
            with self.lock:
                if "event" in obj:
                    self.assignments.append(obj["partitions"])
                else:
                    self.records.append(obj)

    @property
    def assignment(self) -> list[int] | None:
        with self.lock:
            return self.assignments[-1] if self.assignments else None

    def printed(self) -> list[dict]:
        with self.lock:
            return list(self.records)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM: the member closes and leaves the group."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(45)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} did not stop on SIGTERM:\n{self.log()}")
        self.reader.join(10)

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        self.reader.join(10)

    def log(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-3000:]


def _admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 15000})


def describe_group(bootstrap: str, group: str):
    admin = _admin(bootstrap)  # must outlive the future
    return admin.describe_consumer_groups([group])[group].result(15)


def wait_stable(bootstrap: str, group: str, members: list[Member], timeout: float = 90) -> dict:
    """Wait until the group is Stable with exactly these members, the partitions split
    evenly among them, and every member process itself reports the assignment the
    coordinator hands out. Returns {member name: partitions}."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        for m in members:
            assert m.alive(), f"{m.name} exited:\n{m.log()}"
        try:
            d = describe_group(bootstrap, group)
            by_client = {x.client_id: sorted(tp.partition for tp in x.assignment.topic_partitions)
                         for x in d.members}
            last = (d.state, by_client, {m.name: m.assignment for m in members})
            sizes = [len(p) for p in by_client.values()]
            if (d.state == ConsumerGroupState.STABLE and len(d.members) == len(members)
                    and set(by_client) == {m.name for m in members}
                    and sorted(sum(by_client.values(), [])) == list(range(PARTITIONS))
                    and max(sizes) - min(sizes) <= 1
                    and all(m.assignment == by_client[m.name] for m in members)):
                return by_client
        except Exception as e:  # the group may not exist yet
            last = repr(e)
        if time.monotonic() > deadline:
            raise AssertionError(f"group {group} not stable with {[m.name for m in members]}: "
                                 f"{last}\n" + "\n".join(f"--- {m.name}\n{m.log()}"
                                                        for m in members))
        time.sleep(0.3)


def produce_round(bootstrap: str, topic: str, tag: str, n: int = 60) -> set[tuple]:
    """n records spread over every partition; returns {(partition, offset, key)}."""
    recs = [{"key": f"{tag}-{i}", "value": f"{tag}-value-{i}", "partition": i % PARTITIONS}
            for i in range(n)]
    reports = confluent_produce(bootstrap, topic, recs)
    return {(r["partition"], r["offset"], s["key"]) for r, s in zip(reports, recs)}


def printed_by(members: list[Member]) -> list[tuple]:
    return [(r["partition"], r["offset"], r["key"]) for m in members for r in m.printed()]


def wait_consumed(members: list[Member], expected: set[tuple], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        got = set(printed_by(members))
        if expected <= got:
            return
        if time.monotonic() > deadline:
            missing = sorted(expected - got)[:10]
            raise AssertionError(f"{len(expected - got)} records not consumed, e.g. {missing}\n"
                                 + "\n".join(f"--- {m.name}\n{m.log()}" for m in members))
        time.sleep(0.2)


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    from confluent_kafka import ConsumerGroupTopicPartitions
    req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(PARTITIONS)])
    admin = _admin(bootstrap)  # must outlive the future
    res = admin.list_consumer_group_offsets([req])[group].result(15)
    return {tp.partition: tp.offset for tp in res.topic_partitions}


def restart_wharf(backend) -> None:
    """Stops the embedded broker cleanly and starts it again on the same data dir and port."""
    old = backend.wharf
    assert old.stop(signal.SIGTERM) == 0, old.log_text()[-3000:]
    backend.wharf = launch_wharf(backend.workdir, data_dir=backend.workdir / "data",
                                 broker_port=old.ports["broker"])


# --- the group scenario with every client ------------------------------------------------

@pytest.mark.parametrize("client", CLIENTS)
def test_group_members_split_rebalance_and_resume(kafka_backend, client):
    b = kafka_backend.bootstrap
    topic = topic_name(f"grp-{client}")
    create_topic(b, topic, PARTITIONS)
    group = f"grp-{client}-{uuid.uuid4().hex[:8]}"
    everyone: list[Member] = []

    def start(name: str) -> Member:
        m = Member(client, b, topic, group, name)
        everyone.append(m)
        return m

    try:
        live = [start(f"{client}-m{i}") for i in range(3)]
        split = wait_stable(b, group, live)
        assert sorted(len(p) for p in split.values()) == [2, 2, 2]
        sent = produce_round(b, topic, "r1")
        wait_consumed(everyone, sent)
        for m in live:  # each member read only its own partitions
            assert {r["partition"] for r in m.printed()} <= set(split[m.name]), m.name

        live.append(start(f"{client}-m3"))  # a member joins
        split = wait_stable(b, group, live)
        assert sorted(len(p) for p in split.values()) == [1, 1, 2, 2]
        round_ = produce_round(b, topic, "r2")
        sent |= round_
        wait_consumed(everyone, round_)

        leaving = live.pop(0)  # a member leaves (LeaveGroup)
        leaving.stop()
        wait_stable(b, group, live)
        round_ = produce_round(b, topic, "r3")
        sent |= round_
        wait_consumed(everyone, round_)

        killed = live.pop(0)  # a member dies: only its session timeout tells
        killed.kill()
        split = wait_stable(b, group, live)
        assert sorted(len(p) for p in split.values()) == [3, 3]
        round_ = produce_round(b, topic, "r4")
        sent |= round_
        wait_consumed(everyone, round_)

        got = Counter(printed_by(everyone))
        twice = [r for r, n in got.items() if n > 1]
        assert not twice, f"consumed more than once: {twice[:10]}"
        assert set(got) == sent

        for m in live:
            m.stop()
        ends = {p: hi for p, (lo, hi) in end_offsets(b, topic).items()}
        assert committed_offsets(b, group, topic) == ends
        assert describe_group(b, group).state == ConsumerGroupState.EMPTY

        if kafka_backend.name == "wharf":
            restart_wharf(kafka_backend)
            assert committed_offsets(b, group, topic) == ends

        # A new member resumes at the committed offsets: it sees only what comes next.
        resumed = start(f"{client}-resumed")
        wait_stable(b, group, [resumed])
        round_ = produce_round(b, topic, "r5", n=12)
        wait_consumed([resumed], round_)
        time.sleep(1)
        assert set(printed_by([resumed])) == round_
        resumed.stop()
    finally:
        for m in everyone:
            m.kill()


# --- static membership --------------------------------------------------------------------

@pytest.mark.parametrize("client", ["confluent", "java"])
def test_static_member_restart_keeps_its_partitions(kafka_backend, client):
    """A static member (group.instance.id) that restarts within its session timeout gets
    the same partitions back without the others noticing a rebalance."""
    b = kafka_backend.bootstrap
    topic = topic_name(f"static-{client}")
    create_topic(b, topic, PARTITIONS)
    group = f"static-{client}-{uuid.uuid4().hex[:8]}"
    everyone: list[Member] = []
    try:
        a = Member(client, b, topic, group, f"{client}-a", instance="instance-a")
        c = Member(client, b, topic, group, f"{client}-c", instance="instance-c")
        everyone += [a, c]
        split = wait_stable(b, group, [a, c])
        seen_by_c = len(c.assignments)
        before = describe_group(b, group)
        members_before = {m.group_instance_id: m.member_id for m in before.members}
        a.kill()  # a static member does not leave the group when it stops
        a2 = Member(client, b, topic, group, f"{client}-a", instance="instance-a")
        everyone.append(a2)
        again = wait_stable(b, group, [a2, c])
        assert again == split
        assert c.assignments[seen_by_c:] == [], "the other member saw a rebalance"
        after = {m.group_instance_id: m.member_id for m in describe_group(b, group).members}
        assert after["instance-c"] == members_before["instance-c"]
        assert after["instance-a"] != members_before["instance-a"]  # fenced and replaced
        sent = produce_round(b, topic, "s1", n=24)
        wait_consumed([a2, c], sent)
    finally:
        for m in everyone:
            m.kill()


# --- protocol answers on the wire ----------------------------------------------------------

class Wire:
    """kafka-python's network client, to send group requests and read exact error codes."""

    def __init__(self, bootstrap: str):
        from kafka.client_async import KafkaClient
        self.client = KafkaClient(bootstrap_servers=bootstrap, client_id="wire-test",
                                  request_timeout_ms=30000)
        deadline = time.monotonic() + 20
        self.node = None
        while self.node is None or not self.client.ready(self.node):
            self.client.poll(timeout_ms=100)
            self.node = self.node if self.node is not None else self.client.least_loaded_node()
            if self.node is not None:
                self.client.maybe_connect(self.node)
            assert time.monotonic() < deadline, "could not connect"

    def send(self, request):
        future = self.client.send(self.node, request)
        self.client.poll(future=future, timeout_ms=30000)
        assert future.succeeded(), future.exception
        return future.value

    def find_coordinator(self, group: str):
        """FindCoordinator until it answers (Apache Kafka creates __consumer_offsets on the
        first lookup and answers COORDINATOR_NOT_AVAILABLE meanwhile), then wait until the
        group's partition is loaded (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS)."""
        from kafka.protocol.commit import OffsetFetchRequest
        from kafka.protocol.find_coordinator import FindCoordinatorRequest
        deadline = time.monotonic() + 30
        while True:
            found = self.send(FindCoordinatorRequest[1](group, 0))
            if found.error_code == 0:
                assert found.coordinator_id == 1
                probe = self.send(OffsetFetchRequest[3](group, []))
                if probe.error_code == 0:
                    return found
            assert time.monotonic() < deadline, f"no coordinator for {group}: {found}"
            time.sleep(0.2)

    def close(self):
        self.client.close()


def _consumer_metadata(topics: list[str]) -> bytes:
    """ConsumerProtocolSubscription v0: version, topics, user data (null)."""
    import struct
    out = struct.pack(">hi", 0, len(topics))
    for t in topics:
        out += struct.pack(">h", len(t)) + t.encode()
    return out + struct.pack(">i", -1)


def _join(wire: Wire, group: str, member_id: str = "", session_ms: int = 10000,
          instance: str | None = None, protocols=None, protocol_type: str = "consumer"):
    from kafka.protocol.group import JoinGroupRequest
    protocols = protocols or [("range", _consumer_metadata(["t"]))]
    return wire.send(JoinGroupRequest[5](group, session_ms, 10000, member_id, instance,
                                         protocol_type, protocols))


def test_wire_join_sync_heartbeat_leave(kafka_backend):
    from kafka.protocol.group import HeartbeatRequest, LeaveGroupRequest, SyncGroupRequest
    group = f"wire-{uuid.uuid4().hex[:8]}"
    wire = Wire(kafka_backend.bootstrap)
    try:
        found = wire.find_coordinator(group)
        assert (found.host, found.port) == kafka_backend.host_port
        assert _join(wire, group, session_ms=1000).error_code == 26  # INVALID_SESSION_TIMEOUT
        first = _join(wire, group)
        assert first.error_code == 79  # MEMBER_ID_REQUIRED (JoinGroup v4+)
        member = first.member_id
        assert member.startswith("wire-test-")
        joined = _join(wire, group, member_id=member)
        assert (joined.error_code, joined.generation_id, joined.leader_id, joined.member_id) == \
            (0, 1, member, member)
        assert joined.group_protocol == "range"
        assert [m[0] for m in joined.members] == [member]
        # Heartbeats before SyncGroup are fine; wrong generation or member are not.
        assert wire.send(HeartbeatRequest[3](group, 1, member, None)).error_code == 0
        assert wire.send(HeartbeatRequest[3](group, 2, member, None)).error_code == 22
        assert wire.send(HeartbeatRequest[3](group, 1, "nobody", None)).error_code == 25
        assert wire.send(HeartbeatRequest[3](f"{group}-x", 1, member, None)).error_code == 25
        synced = wire.send(SyncGroupRequest[3](group, 1, member, None, [(member, b"my-assignment")]))
        assert (synced.error_code, synced.member_assignment) == (0, b"my-assignment")
        # A member that does not share the group's protocol is refused.
        other = _join(wire, group, member_id="", protocols=[("roundrobin", b"")])
        assert other.error_code in (23, 79)
        if other.error_code == 79:  # Kafka checks the protocol when the member rejoins
            assert _join(wire, group, member_id=other.member_id,
                         protocols=[("roundrobin", b"")]).error_code == 23
        left = wire.send(LeaveGroupRequest[3](group, [(member, None)]))
        assert left.error_code == 0 and [m[2] for m in left.members] == [0]
        assert wire.send(HeartbeatRequest[3](group, 1, member, None)).error_code == 25
    finally:
        wire.close()


def test_wire_static_member_is_fenced_by_its_replacement(kafka_backend):
    from kafka.protocol.group import HeartbeatRequest, SyncGroupRequest
    group = f"wire-static-{uuid.uuid4().hex[:8]}"
    wire = Wire(kafka_backend.bootstrap)
    try:
        wire.find_coordinator(group)
        first = _join(wire, group, instance="inst-1")
        assert first.error_code == 0  # static members skip MEMBER_ID_REQUIRED
        old = first.member_id
        assert old.startswith("inst-1-")
        assert wire.send(SyncGroupRequest[3](group, 1, old, "inst-1", [(old, b"A")])).error_code == 0
        second = _join(wire, group, instance="inst-1")
        assert second.error_code == 0
        assert second.member_id != old and second.generation_id == 1  # no rebalance
        assert wire.send(HeartbeatRequest[3](group, 1, old, "inst-1")).error_code == 82
        assert wire.send(HeartbeatRequest[3](group, 1, second.member_id, "inst-1")).error_code == 0
        synced = wire.send(SyncGroupRequest[3](group, 1, second.member_id, "inst-1", []))
        assert (synced.error_code, synced.member_assignment) == (0, b"A")
    finally:
        wire.close()


def test_wire_offsets_and_admin_answers(kafka_backend):
    from kafka.protocol.admin import DeleteGroupsRequest, DescribeGroupsRequest
    from kafka.protocol.commit import OffsetCommitRequest, OffsetFetchRequest
    b = kafka_backend.bootstrap
    topic = topic_name("wire-offsets")
    create_topic(b, topic, 2)
    group = f"wire-offsets-{uuid.uuid4().hex[:8]}"
    wire = Wire(b)
    try:
        for g in (group, f"{group}-unknown", f"{group}-gen", f"{group}-active"):
            wire.find_coordinator(g)
        # A simple (standalone) commit: no generation, no member.
        commit = wire.send(OffsetCommitRequest[2](
            group, -1, "", -1,
            [(topic, [(0, 5, "meta"), (1, 6, "x" * 5000), (7, 1, "")]), ("no-such-topic", [(0, 1, "")])]))
        errors = {(t, p): e for t, parts in commit.topics for p, e in parts}
        assert errors == {(topic, 0): 0, (topic, 1): 12, (topic, 7): 3, ("no-such-topic", 0): 3}
        fetched = wire.send(OffsetFetchRequest[3](group, [(topic, [0, 1])]))
        assert fetched.error_code == 0
        got = {p: (o, m, e) for t, parts in fetched.topics for p, o, m, e in parts}
        assert got == {0: (5, "meta", 0), 1: (-1, "", 0)}
        everything = wire.send(OffsetFetchRequest[3](group, None))
        assert [(t, [p[0] for p in parts]) for t, parts in everything.topics] == [(topic, [0])]
        unknown = wire.send(OffsetFetchRequest[3](f"{group}-unknown", [(topic, [0])]))
        assert unknown.error_code == 0 and unknown.topics[0][1][0][1] == -1
        # A commit with a generation for a group nobody joined.
        stale = wire.send(OffsetCommitRequest[2](f"{group}-gen", 3, "m", -1, [(topic, [(0, 1, "")])]))
        assert stale.topics[0][1][0][1] == 22  # ILLEGAL_GENERATION (v2)

        described = wire.send(DescribeGroupsRequest[1]([group, f"{group}-unknown"]))
        states = {g[1]: (g[0], g[2], g[3]) for g in described.groups}
        assert states[group] == (0, "Empty", "")
        assert states[f"{group}-unknown"] == (0, "Dead", "")

        # A group with a member cannot be deleted; an unknown one is not found.
        active = f"{group}-active"
        first = _join(wire, active)
        joined = _join(wire, active, member_id=first.member_id)
        assert joined.error_code == 0
        deleted = wire.send(DeleteGroupsRequest[1]([group, active, f"{group}-unknown"]))
        assert dict(deleted.results) == {group: 0, active: 68, f"{group}-unknown": 69}
        after = wire.send(OffsetFetchRequest[3](group, [(topic, [0])]))
        assert after.topics[0][1][0][1] == -1
    finally:
        wire.close()


def test_internal_offsets_topic(kafka_backend):
    """__consumer_offsets exists once a group was used, is listed as internal, and clients
    cannot produce to it."""
    b = kafka_backend.bootstrap
    group = f"internal-{uuid.uuid4().hex[:8]}"
    wire = Wire(b)
    try:
        wire.find_coordinator(group)
        first = _join(wire, group)
        assert _join(wire, group, member_id=first.member_id).error_code == 0
    finally:
        wire.close()
    md = _admin(b).list_topics(timeout=15)
    assert "__consumer_offsets" in md.topics
    errors = []
    p = Producer({"bootstrap.servers": b, "message.timeout.ms": 15000})
    p.produce("__consumer_offsets", b"v", key=b"k", partition=0,
              on_delivery=lambda err, msg: errors.append(err))
    p.flush(20)
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == KafkaError.TOPIC_EXCEPTION


# --- metrics of the embedded broker --------------------------------------------------------

def test_group_and_lag_metrics(wharf_broker):
    b = wharf_broker.bootstrap
    topic = topic_name("lag")
    create_topic(b, topic, 2)
    group = f"lag-{uuid.uuid4().hex[:8]}"
    base = int(time.time() * 1000) - 30_000
    confluent_produce(b, topic, [{"key": f"k{i}", "value": "v", "partition": i % 2,
                                  "timestamp": base + i} for i in range(10)])
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": b, "group.id": group, "enable.auto.commit": False})
    c.commit(offsets=[TopicPartition(topic, 0, 2), TopicPartition(topic, 1, 5)], asynchronous=False)
    c.close()
    text = requests.get(wharf_broker.wharf.admin_url + "/metrics", timeout=10).text

    def value(metric: str, **labels) -> float:
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        for line in text.splitlines():
            if line.startswith(metric + "{") and want in line:
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"{metric}{{{want}}} not in metrics")

    lag = "kafka_consumer_group_ConsumerLagMetrics_Value"
    assert value(lag, groupId=group, topic=topic, partition="0", name="OffsetLag") == 3
    assert value(lag, groupId=group, topic=topic, partition="1", name="OffsetLag") == 0
    assert value(lag, groupId=group, topic=topic, name="SumOffsetLag") == 3
    assert value(lag, groupId=group, topic=topic, name="MaxOffsetLag") == 3
    # The first unconsumed record of partition 0 (offset 2) was stamped ~30 s ago.
    assert 25 <= value(lag, groupId=group, topic=topic, partition="0",
                       name="EstimatedTimeLag") <= 600
    assert value(lag, groupId=group, topic=topic, name="EstimatedMaxTimeLag") >= 25
    manager = "kafka_coordinator_group_GroupMetadataManager_Value"
    assert value(manager, name="NumGroups") >= 1
    assert value(manager, name="NumGroupsEmpty") >= 1
    assert value(manager, name="NumOffsets") >= 2
    assert value("wharf_consumer_group_members", groupId=group) == 0
