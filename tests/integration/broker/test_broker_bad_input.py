"""Hand-made and broken requests on raw sockets: garbage frames, oversized and negative
size prefixes, unknown API keys, unsupported versions, trailing bytes, and Produce
requests with corrupt or invalid record batches. The server answers or closes exactly
as Apache Kafka does (asserting only what a client can observe: error codes, offsets,
whether the connection stays open) and keeps serving other connections."""

from __future__ import annotations

import gzip
import struct

import pytest
from confluent_kafka import KafkaError, Producer

from broker_clients import confluent_read_all, create_topic, end_offsets, topic_name
from broker_wire import (BATCH_CRC_OFFSET, TAGS_NONE, Connection, Reader, api_versions_request,
                         compact_string, crc32c, frame, metadata_v4_request,
                         parse_api_versions_v0, parse_api_versions_v3, parse_produce_v8,
                         parse_produce_v9, produce_v8_request, produce_v9_request, record_batch,
                         request_header, string)


CORRUPT_MESSAGE = 2  # librdkafka calls it INVALID_MSG


def connect(backend) -> Connection:
    return Connection(*backend.host_port)


def metadata_answered(conn: Connection, correlation_id: int = 99) -> bool:
    conn.send(metadata_v4_request([], correlation_id))
    resp = conn.recv_response()
    return resp is not None and resp[0] == correlation_id


@pytest.fixture(scope="module")
def bystander(kafka_backend):
    """A connection opened before the bad input and a librdkafka producer, which must
    both keep working."""
    conn = connect(kafka_backend)
    assert metadata_answered(conn)
    topic = topic_name("bystander")
    create_topic(kafka_backend.bootstrap, topic, 1)
    producer = Producer({"bootstrap.servers": kafka_backend.bootstrap, "acks": "all",
                         "message.timeout.ms": 15000})
    parts = [conn, producer, topic]
    yield parts
    conn.close()
    producer.flush(5)
    parts.clear()  # destroy the producer before the broker stops
    del producer


def assert_still_serving(backend, bystander) -> None:
    conn, producer, topic = bystander
    assert metadata_answered(conn), "the other connection was closed or got no answer"
    with connect(backend) as fresh:
        assert metadata_answered(fresh), "a new connection got no answer"
    errors = []
    producer.produce(topic, value=b"still-there", on_delivery=lambda e, m: errors.append(e))
    assert producer.flush(15) == 0 and errors == [None], errors


# --- frames the server must answer by closing the connection -------------------------

_BATCH = record_batch([(b"k", b"v", [])])

BAD_FRAMES = {
    "garbage": frame(b"\xde\xad\xbe\xef" * 3),
    "one-byte-frame": frame(b"\x01"),
    "empty-frame": struct.pack(">i", 0),
    "oversized-size-prefix": struct.pack(">i", 200 * 1024 * 1024) + b"x" * 100,
    "negative-size-prefix": struct.pack(">i", -5) + b"x" * 10,
    "unknown-api-key": frame(request_header(9999, 0, 7)),
    "unknown-api-key-1000": frame(request_header(1000, 0, 7)),
    "unsupported-metadata-version": frame(request_header(3, 99, 7) + b"\x00" * 10),
    "truncated-metadata-body": frame(request_header(3, 4, 7) + b"\x00\x00"),
    "truncated-header": frame(struct.pack(">hh", 3, 4) + b"\x00"),
    # Kafka 4 still advertises Produce v0-2 (librdkafka needs to see v0) but closes the
    # connection when one arrives.
    **{f"produce-v{v}": frame(request_header(0, v, 7) + struct.pack(">hi", -1, 30000)
                               + struct.pack(">i", 1) + string("t") + struct.pack(">ii", 1, 0)
                               + struct.pack(">i", len(_BATCH)) + _BATCH) for v in (0, 1, 2)},
}


@pytest.mark.parametrize("case", list(BAD_FRAMES))
def test_bad_frame_closes_only_that_connection(kafka_backend, bystander, case):
    with connect(kafka_backend) as conn:
        conn.send(BAD_FRAMES[case])
        assert conn.closed_by_peer(timeout=10), "the connection stayed open without an answer"
    assert_still_serving(kafka_backend, bystander)


def test_requests_before_a_bad_frame_on_the_same_connection_are_answered(kafka_backend):
    """Pipelined: a good request, then garbage. The good one is answered, then the
    connection is closed."""
    with connect(kafka_backend) as conn:
        conn.send(api_versions_request(0, 41) + frame(b"\xde\xad\xbe\xef" * 3))
        resp = conn.recv_response()
        assert resp is not None and resp[0] == 41
        assert parse_api_versions_v0(resp[1])[0] == 0
        assert conn.closed_by_peer(timeout=10)


# --- ApiVersions ------------------------------------------------------------------------

def test_api_versions_v0_and_v3(kafka_backend):
    with connect(kafka_backend) as conn:
        conn.send(api_versions_request(0, 1))
        corr, body = conn.recv_response()
        err, table0 = parse_api_versions_v0(body)
        assert (corr, err) == (1, 0)
        # ApiVersions responses always use response header v0, even for v3+.
        conn.send(api_versions_request(3, 2))
        corr, body = conn.recv_response(flexible_header=False)
        err, table3 = parse_api_versions_v3(body)
        assert (corr, err) == (2, 0)
    assert table0 == table3
    assert table0[18] == (0, 4)
    # What the embedded broker's first slice serves; both must list it.
    for key in (0, 1, 2, 3, 18, 19, 20, 21, 22, 23, 32, 33, 35, 37, 44, 60):
        assert key in table0, f"API {key} missing"
    assert table0[0][0] <= 3 <= table0[0][1] and table0[0][1] >= 9  # Produce v3..v9+


@pytest.mark.parametrize("version", [5, 127])
def test_unsupported_api_versions_version_gets_v0_answer(kafka_backend, version):
    """KIP-511: an ApiVersions request of a version the broker does not know is
    answered in the v0 format with UNSUPPORTED_VERSION (35) and ApiVersions' own
    version range, so the client can retry at a version both know; the connection
    stays open."""
    with connect(kafka_backend) as conn:
        body = compact_string("future-client") + compact_string("9.9") + TAGS_NONE
        conn.send(frame(request_header(18, version, 77, flexible=True) + body))
        resp = conn.recv_response()
        assert resp is not None, "connection closed instead of the KIP-511 answer"
        corr, data = resp
        assert corr == 77
        r = Reader(data)
        err = r.take("h")
        table = {}
        for _ in range(r.take("i")):
            key, lo, hi = r.take("hhh")
            table[key] = (lo, hi)
        assert r.pos == len(data), f"{len(data) - r.pos} bytes after the v0 body"
        assert err == 35
        assert table.get(18) == (0, 4)
        conn.send(api_versions_request(3, 78))
        corr, data = conn.recv_response()
        assert corr == 78 and parse_api_versions_v3(data)[0] == 0


# --- lenient parsing, as Apache Kafka does ---------------------------------------------

def test_trailing_bytes_after_a_request_body_are_ignored(kafka_backend):
    """Apache Kafka reads the fields it knows and ignores the rest of the frame;
    librdkafka relies on that (its Metadata v12+ request for all topics carries extra
    bytes)."""
    with connect(kafka_backend) as conn:
        body = struct.pack(">ib", 0, 0) + b"junk"
        conn.send(frame(request_header(3, 4, 5) + body))
        resp = conn.recv_response()
        assert resp is not None and resp[0] == 5
        # librdkafka 2.x's all-topics Metadata v12 request, byte for byte (after the header).
        conn.send(frame(request_header(3, 12, 6, client_id="rdkafka", flexible=True)
                        + bytes.fromhex("0000000000010000")))
        resp = conn.recv_response(flexible_header=True)
        assert resp is not None and resp[0] == 6


# --- Produce with broken record batches ---------------------------------------------------

def _records():
    return [(b"k1", b"v1", [("h", b"x")]), (b"k2", b"v2", [])]


def _patched(batch: bytes, attributes: int | None = None, payload: bytes | None = None,
             count: int | None = None, base_offset: int | None = None) -> bytes:
    """The batch with fields replaced and a correct CRC."""
    b = bytearray(batch)
    if attributes is not None:
        struct.pack_into(">h", b, 21, attributes)
    if base_offset is not None:
        struct.pack_into(">q", b, 0, base_offset)
    if count is not None:
        struct.pack_into(">i", b, 57, count)
    if payload is not None:
        b = b[:61] + payload
        struct.pack_into(">i", b, 8, len(b) - 12)
    struct.pack_into(">I", b, BATCH_CRC_OFFSET, crc32c(bytes(b[21:])))
    return bytes(b)


@pytest.fixture
def raw_topic(kafka_backend) -> str:
    topic = topic_name("raw-produce")
    create_topic(kafka_backend.bootstrap, topic, 1)
    return topic


def _produce(conn, topic, batch, version=8, partition=0, corr=1):
    if version == 8:
        conn.send(produce_v8_request(topic, partition, batch, corr))
        resp = conn.recv_response()
        assert resp is not None, "connection closed instead of a Produce response"
        assert resp[0] == corr
        (part,) = parse_produce_v8(resp[1])
    else:
        conn.send(produce_v9_request(topic, partition, batch, corr))
        resp = conn.recv_response(flexible_header=True)
        assert resp is not None, "connection closed instead of a Produce response"
        assert resp[0] == corr
        (part,) = parse_produce_v9(resp[1])
    return part


@pytest.mark.parametrize("version", [8, 9])
@pytest.mark.parametrize("where", ["crc-field", "record-bytes"])
def test_corrupt_crc_gets_corrupt_message(kafka_backend, bystander, raw_topic, version, where):
    good = record_batch(_records())
    bad = bytearray(good)
    bad[BATCH_CRC_OFFSET if where == "crc-field" else len(bad) - 1] ^= 0x01
    with connect(kafka_backend) as conn:
        part = _produce(conn, raw_topic, bytes(bad), version, corr=1)
        assert (part["error_code"], part["base_offset"]) == (CORRUPT_MESSAGE, -1)
        part = _produce(conn, raw_topic, good, version, corr=2)  # same connection still works
        assert (part["error_code"], part["base_offset"]) == (0, 0)
    got = confluent_read_all(kafka_backend.bootstrap, raw_topic)
    assert [(g["offset"], g["key"], g["value"], g["headers"]) for g in got] == \
        [(0, "k1", "v1", [["h", "x"]]), (1, "k2", "v2", [])]
    assert_still_serving(kafka_backend, bystander)


INVALID_BATCHES = {
    # a batch whose length runs past the end of the records
    "partial-batch": lambda good: good[:-3],
    "magic-1": lambda good: good[:16] + b"\x01" + good[17:],
    "two-batches": lambda good: good + good,
    "record-count-too-high": lambda good: _patched(good, count=3),
    "record-count-too-low": lambda good: _patched(good, count=1),
    "nonzero-base-offset": lambda good: _patched(good, base_offset=1234),
    "trailing-bytes-in-batch": lambda good: _patched(good, payload=good[61:] + b"\x00\x00"),
    "control-batch": lambda good: _patched(good, attributes=0x20),
    "no-records": lambda good: b"",
}


@pytest.mark.parametrize("case", list(INVALID_BATCHES))
def test_invalid_batch_gets_invalid_record(kafka_backend, raw_topic, case):
    """Structurally invalid batches (with a correct CRC where they have one): Apache
    Kafka answers INVALID_RECORD (87) and appends nothing; the connection stays open."""
    good = record_batch(_records())
    with connect(kafka_backend) as conn:
        part = _produce(conn, raw_topic, INVALID_BATCHES[case](good), corr=1)
        assert (part["error_code"], part["base_offset"]) == (KafkaError.INVALID_RECORD, -1), part
        part = _produce(conn, raw_topic, good, corr=2)
        assert (part["error_code"], part["base_offset"]) == (0, 0)


@pytest.mark.parametrize("case", ["not-gzip", "truncated-gzip", "unknown-codec-7"])
def test_undecodable_compressed_batch_is_rejected(kafka_backend, raw_topic, case):
    """A batch whose (CRC-correct) compressed payload cannot be decoded is refused with
    an error (Apache Kafka 4.3 answers UNKNOWN_SERVER_ERROR here) and nothing is
    appended; the connection stays open."""
    good = record_batch(_records())
    bad = {"not-gzip": _patched(good, attributes=1, payload=b"notgzip" * 5),
           "truncated-gzip": _patched(good, attributes=1, payload=gzip.compress(good[61:])[:-6]),
           "unknown-codec-7": _patched(good, attributes=7)}[case]
    with connect(kafka_backend) as conn:
        part = _produce(conn, raw_topic, bad, corr=1)
        assert part["error_code"] != 0 and part["base_offset"] == -1, part
        ok = _produce(conn, raw_topic, _patched(good, attributes=1,
                                                payload=gzip.compress(good[61:])), corr=2)
        assert (ok["error_code"], ok["base_offset"]) == (0, 0)
    assert end_offsets(kafka_backend.bootstrap, raw_topic) == {0: (0, 2)}


def test_produce_to_unknown_topic_or_partition(kafka_backend, raw_topic):
    good = record_batch(_records())
    with connect(kafka_backend) as conn:
        part = _produce(conn, raw_topic, good, partition=5, corr=1)
        assert part["error_code"] == KafkaError.UNKNOWN_TOPIC_OR_PART
        missing = topic_name("raw-missing")
        part = _produce(conn, missing, good, corr=2)  # Produce never creates topics
        assert part["error_code"] == KafkaError.UNKNOWN_TOPIC_OR_PART
        conn.send(metadata_v4_request([missing], 3, allow_auto_create=False))
        corr, body = conn.recv_response()
        r = Reader(body)
        r.take("i")
        for _ in range(r.take("i")):
            r.take("i"), r.string(), r.take("i"), r.string()
        r.string(), r.take("i")
        assert r.take("i") == 1 and r.take("h") == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_acks_zero_produce_gets_no_response(kafka_backend, raw_topic):
    """acks=0: no Produce response; the next request's answer comes first."""
    good = record_batch(_records())
    with connect(kafka_backend) as conn:
        conn.send(produce_v8_request(raw_topic, 0, good, 1, acks=0))
        assert metadata_answered(conn, correlation_id=2)
    assert end_offsets(kafka_backend.bootstrap, raw_topic) == {0: (0, 2)}

