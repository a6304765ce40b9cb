"""Smoke tests for the Kafka client peers: each one produces records with keys, values
and headers to the single-node Apache Kafka peer and reads them back unchanged."""

from __future__ import annotations

import json

import pytest

from kafka_helpers import (confluent_consume, confluent_produce, expected_records,
                           kafka_python_consume, kafka_python_produce, kv_headers)

N = 5


def test_confluent_kafka_round_trip(kafka_single, unique_topic):
    acks = confluent_produce(kafka_single.bootstrap_servers, unique_topic, N)
    assert acks == [(0, i) for i in range(N)]
    got = confluent_consume(kafka_single.bootstrap_servers, unique_topic, N, group="g-confluent")
    assert kv_headers(got) == expected_records(N, "confluent")
    assert [r["offset"] for r in got] == list(range(N))


def test_kafka_python_round_trip(kafka_single, unique_topic):
    acks = kafka_python_produce(kafka_single.bootstrap_servers, unique_topic, N)
    assert acks == [(0, i) for i in range(N)]
    got = kafka_python_consume(kafka_single.bootstrap_servers, unique_topic, N, group="g-kpy")
    assert kv_headers(got) == expected_records(N, "kafka-python")


def test_kafkajs_round_trip(kafka_single, kafkajs_client, unique_topic):
    b = kafka_single.bootstrap_servers
    acks = kafkajs_client.json_lines("produce", "--bootstrap", b, "--topic", unique_topic,
                                     "--count", N)
    assert [(a["key"], a["partition"], a["offset"]) for a in acks] == \
        [(f"key-{i}", 0, i) for i in range(N)]
    got = kafkajs_client.json_lines("consume", "--bootstrap", b, "--topic", unique_topic,
                                    "--count", N, "--group", "g-kafkajs")
    assert kv_headers(got) == expected_records(N, "kafkajs")
    assert all(r["timestamp"] > 0 for r in got)


def test_java_client_round_trip(kafka_single, java_client, unique_topic):
    b = kafka_single.bootstrap_servers
    acks = java_client.json_lines("produce", "--bootstrap", b, "--topic", unique_topic,
                                  "--count", N, "--compression", "zstd")
    assert [(a["key"], a["partition"], a["offset"]) for a in acks] == \
        [(f"key-{i}", 0, i) for i in range(N)]
    got = java_client.json_lines("consume", "--bootstrap", b, "--topic", unique_topic,
                                 "--count", N, "--group", "g-java")
    assert kv_headers(got) == expected_records(N, "java")
    assert [r["offset"] for r in got] == list(range(N))


def test_kcat_round_trip(kafka_single, kcat, unique_topic):
    b = kafka_single.bootstrap_servers
    lines = "".join(f"key-{i}:value-{i}\n" for i in range(N))
    # -H adds the same headers to every record of the run.
    kcat("-b", b, "-P", "-t", unique_topic, "-K", ":", "-H", "client=kcat", "-H", "run=1",
         input=lines)
    out = kcat("-b", b, "-C", "-t", unique_topic, "-o", "beginning", "-c", N, "-e", "-J",
               "-q").stdout
    got = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert [(r["key"], r["payload"]) for r in got] == [(f"key-{i}", f"value-{i}") for i in range(N)]
    # kcat -J lists headers flat: [name1, value1, name2, value2, ...]
    assert all(r["headers"] == ["client", "kcat", "run", "1"] for r in got)


def test_console_producer_and_consumer(kafka_single, kafka_cli, unique_topic):
    b = kafka_single.bootstrap_servers
    # parse.headers + parse.key: "h1:v1,h2:v2<TAB>key<TAB>value"
    lines = "".join(f"idx:{i},client:console\tkey-{i}\tvalue-{i}\n" for i in range(N))
    kafka_cli("console-producer", "--bootstrap-server", b, "--topic", unique_topic,
              "--reader-property", "parse.key=true", "--reader-property", "parse.headers=true",
              input=lines)
    out = kafka_cli("console-consumer", "--bootstrap-server", b, "--topic", unique_topic,
                    "--from-beginning", "--max-messages", N, "--timeout-ms", 30000,
                    "--formatter-property", "print.key=true",
                    "--formatter-property", "print.headers=true").stdout
    got = [line.split("\t") for line in out.splitlines() if line.strip()]
    assert got == [[f"idx:{i},client:console", f"key-{i}", f"value-{i}"] for i in range(N)]


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compressed_records_cross_clients(kafka_single, unique_topic, codec):
    """librdkafka compresses, kafka-python decompresses (checks the Python codecs)."""
    confluent_produce(kafka_single.bootstrap_servers, unique_topic, N, client=codec,
                      **{"compression.type": codec})
    got = kafka_python_consume(kafka_single.bootstrap_servers, unique_topic, N, group="g-codec")
    assert kv_headers(got) == expected_records(N, codec)


def test_java_to_kafkajs_and_confluent(kafka_single, java_client, kafkajs_client, unique_topic):
    """Records from the Java client read by kafkajs and by librdkafka."""
    b = kafka_single.bootstrap_servers
    java_client("produce", "--bootstrap", b, "--topic", unique_topic, "--count", N,
                "--compression", "gzip", "--prefix", "x-")
    want = expected_records(N, "java", prefix="x-")
    got_js = kafkajs_client.json_lines("consume", "--bootstrap", b, "--topic", unique_topic,
                                       "--count", N, "--group", "g-x-js")
    assert kv_headers(got_js) == want
    got_rd = confluent_consume(b, unique_topic, N, group="g-x-rd")
    assert kv_headers(got_rd) == want
