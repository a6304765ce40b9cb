"""Kafka's kafka-consumer-groups tool against the embedded broker and Apache Kafka, with
the same expectations: --list, --describe (offsets, log end, LAG, members, state),
--reset-offsets (--to-earliest, --to-datetime, --shift-by) with --execute, --delete-offsets
and --delete, and the tool's refusals while the group has an active member."""

from __future__ import annotations

import re
import time
import uuid

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from broker_clients import confluent_produce, create_topic, kafka_cli, topic_name
from test_broker_groups import Member

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z
PARTITIONS = 3
PER_PARTITION = 10


def tool(b: str, *args: str) -> str:
    """The tool's output, stdout then stderr (messages go to either)."""
    out = kafka_cli("consumer-groups", "--bootstrap-server", b, *args, timeout=120)
    return out.stdout + "\n" + out.stderr


def table(text: str, header_first: str) -> list[dict]:
    """The rows of the table whose header starts with header_first, as dicts: the lines
    after the header up to the first blank one."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(header_first):
            names = line.split()
            rows = []
            for row in lines[i + 1:]:
                if not row.strip():
                    break
                rows.append(dict(zip(names, row.split())))
            return rows
    raise AssertionError(f"no {header_first} table in:\n{text}")


def committed(b: str, group: str, topic: str) -> dict[int, int]:
    admin = AdminClient({"bootstrap.servers": b})
    req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(PARTITIONS)])
    res = admin.list_consumer_group_offsets([req])[group].result(15)
    return {tp.partition: tp.offset for tp in res.topic_partitions}


def test_consumer_groups_tool(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("cli-groups")
    create_topic(b, topic, PARTITIONS)
    group = f"cli-{uuid.uuid4().hex[:8]}"
    # Offset k of every partition is stamped T0 + k seconds.
    confluent_produce(b, topic, [{"key": f"k{i}", "value": "v", "partition": i % PARTITIONS,
                                  "timestamp": T0 + (i // PARTITIONS) * 1000}
                                 for i in range(PARTITIONS * PER_PARTITION)])
    # Offsets committed without group membership (a simple consumer).
    c = Consumer({"bootstrap.servers": b, "group.id": group, "enable.auto.commit": False})
    c.commit(offsets=[TopicPartition(topic, p, 4) for p in range(PARTITIONS)], asynchronous=False)
    c.close()

    assert group in tool(b, "--list").split()
    out = tool(b, "--describe", "--group", group)
    assert f"Consumer group '{group}' has no active members." in out
    rows = {int(r["PARTITION"]): r for r in table(out, "GROUP")}
    assert {p: (r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r["LAG"]) for p, r in rows.items()} == \
        {p: ("4", "10", "6") for p in range(PARTITIONS)}
    # DescribeGroups v5 reports an unknown group Dead ("does not exist"); Kafka 4.3 also
    # serves v6, which answers GROUP_ID_NOT_FOUND ("not found").
    out = tool(b, "--describe", "--group", f"{group}-nobody")
    assert re.search(r"does not exist|GroupIdNotFoundException", out), out

    # An active member consumes the rest: no lag, and the member is described.
    member = Member("confluent", b, topic, group, "cli-member")
    try:
        deadline = time.monotonic() + 60
        while len(member.printed()) < PARTITIONS * (PER_PARTITION - 4):
            assert time.monotonic() < deadline, member.log()
            time.sleep(0.2)
        out = tool(b, "--describe", "--group", group)
        rows = table(out, "GROUP")
        assert len(rows) == PARTITIONS
        for r in rows:
            assert (r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r["LAG"]) == ("10", "10", "0")
            assert r["CONSUMER-ID"].startswith("cli-member-")
            assert (r["HOST"], r["CLIENT-ID"]) == ("/127.0.0.1", "cli-member")
        state = table(tool(b, "--describe", "--group", group, "--state"), "GROUP")[0]
        assert (state["ASSIGNMENT-STRATEGY"], state["STATE"], state["#MEMBERS"]) == \
            ("range", "Stable", "1")
        members = table(tool(b, "--describe", "--group", group, "--members"), "GROUP")
        assert [(m["CLIENT-ID"], m["#PARTITIONS"]) for m in members] == [("cli-member", "3")]

        # What the tool refuses while the group is active.
        out = tool(b, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest",
                   "--execute")
        assert "can only be reset if the group" in out and "Stable" in out
        assert "GroupNotEmptyException" in tool(b, "--delete", "--group", group)
        assert "GroupSubscribedToTopicException" in tool(b, "--delete-offsets", "--group", group,
                                                         "--topic", topic)
        assert committed(b, group, topic) == {p: 10 for p in range(PARTITIONS)}
    finally:
        member.stop()

    def reset(*how: str) -> dict[int, str]:
        out = tool(b, "--reset-offsets", "--group", group, "--topic", topic, *how, "--execute")
        return {int(r["PARTITION"]): r["NEW-OFFSET"] for r in table(out, "GROUP")}

    assert reset("--to-earliest") == {p: "0" for p in range(PARTITIONS)}
    assert committed(b, group, topic) == {p: 0 for p in range(PARTITIONS)}
    # The first record at or after 22:13:24.000 UTC is offset 4 in every partition.
    assert reset("--to-datetime", "2023-11-14T22:13:24.000Z") == {p: "4" for p in range(PARTITIONS)}
    assert reset("--shift-by", "-2") == {p: "2" for p in range(PARTITIONS)}
    assert committed(b, group, topic) == {p: 2 for p in range(PARTITIONS)}

    out = tool(b, "--delete-offsets", "--group", group, "--topic", f"{topic}:0")
    assert re.search(rf"{re.escape(topic)}\s+0\s+Successful", out), out
    assert committed(b, group, topic) == {0: -1001, 1: 2, 2: 2}

    out = tool(b, "--delete", "--group", group)
    assert f"Deletion of requested consumer groups ('{group}') was successful." in out
    assert group not in tool(b, "--list").split()
