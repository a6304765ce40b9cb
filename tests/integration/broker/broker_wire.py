"""Just enough of the Kafka wire protocol, in plain Python, to send hand-made (and
deliberately broken) requests: request headers v1/v2, ApiVersions, Metadata v4,
Produce v8 (classic) and v9 (flexible), a RecordBatch v2 encoder with CRC-32C, and
response parsers for those."""

from __future__ import annotations

import socket
import struct
import time

# --- CRC-32C (Castagnoli), as RecordBatch v2 uses -------------------------------------

_CRC32C_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value


# --- primitive encoders ---------------------------------------------------------------

def varint(n: int) -> bytes:
    """Zig-zag varint (signed), as in records."""
    z = (n << 1) ^ (n >> 63)
    return uvarint(z & 0xFFFFFFFFFFFFFFFF)


def uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s: str | None) -> bytes:
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def compact_string(s: str | None) -> bytes:
    if s is None:
        return uvarint(0)
    b = s.encode()
    return uvarint(len(b) + 1) + b


def compact_bytes(b: bytes | None) -> bytes:
    return uvarint(0) if b is None else uvarint(len(b) + 1) + b


TAGS_NONE = b"\x00"  # an empty tagged-field section


# --- RecordBatch v2 ---------------------------------------------------------------------

def record_batch(records: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]],
                 base_offset: int = 0, first_timestamp: int | None = None,
                 producer_id: int = -1, producer_epoch: int = -1, base_sequence: int = -1,
                 attributes: int = 0) -> bytes:
    """An uncompressed RecordBatch v2 of (key, value, headers) records."""
    ts = int(time.time() * 1000) if first_timestamp is None else first_timestamp
    body = bytearray()
    for i, (key, value, headers) in enumerate(records):
        r = bytearray(b"\x00")  # attributes
        r += varint(0)  # timestamp delta
        r += varint(i)  # offset delta
        r += varint(-1) if key is None else varint(len(key)) + key
        r += varint(-1) if value is None else varint(len(value)) + value
        r += varint(len(headers))
        for hk, hv in headers:
            hkb = hk.encode()
            r += varint(len(hkb)) + hkb
            r += varint(-1) if hv is None else varint(len(hv)) + hv
        body += varint(len(r)) + r
    n = len(records)
    # From attributes on: what the CRC covers.
    after_crc = struct.pack(">hiqqqhii", attributes, n - 1, ts, ts, producer_id, producer_epoch,
                            base_sequence, n) + bytes(body)
    crc = crc32c(after_crc)
    # partition_leader_epoch, magic, crc
    middle = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", base_offset, len(middle)) + middle


# Byte offsets inside a RecordBatch v2.
BATCH_CRC_OFFSET = 17
BATCH_ATTRIBUTES_OFFSET = 21


# --- requests ---------------------------------------------------------------------------

def request_header(api_key: int, version: int, correlation_id: int, client_id: str = "wharf-raw",
                   flexible: bool = False) -> bytes:
    h = struct.pack(">hhi", api_key, version, correlation_id) + string(client_id)
    return h + TAGS_NONE if flexible else h


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def api_versions_request(version: int, correlation_id: int) -> bytes:
    """ApiVersions at any version; v3+ bodies carry client software name/version."""
    flexible = version >= 3
    body = b""
    if flexible:
        body = compact_string("wharf-raw") + compact_string("1.0") + TAGS_NONE
    return frame(request_header(18, version, correlation_id, flexible=flexible) + body)


def metadata_v4_request(topics: list[str] | None, correlation_id: int,
                        allow_auto_create: bool = False) -> bytes:
    if topics is None:
        t = struct.pack(">i", -1)
    else:
        t = struct.pack(">i", len(topics)) + b"".join(string(x) for x in topics)
    body = t + struct.pack(">?", allow_auto_create)
    return frame(request_header(3, 4, correlation_id) + body)


def produce_v8_request(topic: str, partition: int, batch: bytes, correlation_id: int,
                       acks: int = -1, timeout_ms: int = 30000) -> bytes:
    body = (string(None) + struct.pack(">hi", acks, timeout_ms) + struct.pack(">i", 1)
            + string(topic) + struct.pack(">i", 1) + struct.pack(">i", partition)
            + struct.pack(">i", len(batch)) + batch)
    return frame(request_header(0, 8, correlation_id) + body)


def produce_v9_request(topic: str, partition: int, batch: bytes, correlation_id: int,
                       acks: int = -1, timeout_ms: int = 30000) -> bytes:
    body = (compact_string(None) + struct.pack(">hi", acks, timeout_ms) + uvarint(2)
            + compact_string(topic) + uvarint(2) + struct.pack(">i", partition)
            + compact_bytes(batch) + TAGS_NONE + TAGS_NONE + TAGS_NONE)
    return frame(request_header(0, 9, correlation_id, flexible=True) + body)


# --- responses --------------------------------------------------------------------------

class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        vals = struct.unpack_from(">" + fmt, self.data, self.pos)
        self.pos += struct.calcsize(">" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def uvarint(self) -> int:
        shift = n = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def string(self) -> str | None:
        n = self.take("h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def compact_string(self) -> str | None:
        n = self.uvarint() - 1
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def skip_tags(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()  # tag
            size = self.uvarint()  # (not `pos += uvarint()`: that reads pos first)
            self.pos += size


def parse_api_versions_v0(body: bytes) -> tuple[int, dict[int, tuple[int, int]]]:
    """(error_code, {api_key: (min, max)}) of a v0-format ApiVersions response body."""
    r = Reader(body)
    error = r.take("h")
    table = {}
    for _ in range(r.take("i")):
        key, lo, hi = r.take("hhh")
        table[key] = (lo, hi)
    return error, table


def parse_api_versions_v3(body: bytes) -> tuple[int, dict[int, tuple[int, int]]]:
    r = Reader(body)
    error = r.take("h")
    table = {}
    for _ in range(r.uvarint() - 1):
        key, lo, hi = r.take("hhh")
        r.skip_tags()
        table[key] = (lo, hi)
    return error, table


def parse_produce_v8(body: bytes) -> list[dict]:
    """[{topic, partition, error_code, base_offset, log_start_offset, record_errors,
    error_message}] of a Produce v8 response body."""
    r = Reader(body)
    out = []
    for _ in range(r.take("i")):
        topic = r.string()
        for _ in range(r.take("i")):
            part, err, base, _append_time, log_start = r.take("ihqqq")
            rec_errors = []
            for _ in range(r.take("i")):
                idx = r.take("i")
                rec_errors.append((idx, r.string()))
            msg = r.string()
            out.append({"topic": topic, "partition": part, "error_code": err,
                        "base_offset": base, "log_start_offset": log_start,
                        "record_errors": rec_errors, "error_message": msg})
    return out


def parse_produce_v9(body: bytes) -> list[dict]:
    r = Reader(body)
    out = []
    for _ in range(r.uvarint() - 1):
        topic = r.compact_string()
        for _ in range(r.uvarint() - 1):
            part, err, base, _append_time, log_start = r.take("ihqqq")
            rec_errors = []
            for _ in range(r.uvarint() - 1):
                idx = r.take("i")
                rec_errors.append((idx, r.compact_string()))
                r.skip_tags()
            msg = r.compact_string()
            r.skip_tags()
            out.append({"topic": topic, "partition": part, "error_code": err,
                        "base_offset": base, "log_start_offset": log_start,
                        "record_errors": rec_errors, "error_message": msg})
        r.skip_tags()
    return out


# --- connections ------------------------------------------------------------------------

class Connection:
    """A raw Kafka connection. recv_response() returns (correlation_id, body) with the
    v0 response header (or v1, flexible=True) stripped; None when the server closed the
    connection."""

    def __init__(self, host: str, port: int, timeout: float = 10):
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _recv_exact(self, n: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def recv_frame(self) -> bytes | None:
        size = self._recv_exact(4)
        if size is None:
            return None
        return self._recv_exact(struct.unpack(">i", size)[0])

    def recv_response(self, flexible_header: bool = False) -> tuple[int, bytes] | None:
        data = self.recv_frame()
        if data is None:
            return None
        r = Reader(data)
        corr = r.take("i")
        if flexible_header:
            r.skip_tags()
        return corr, data[r.pos:]

    def closed_by_peer(self, timeout: float = 10) -> bool:
        """True if the server closes the connection (EOF or reset) within timeout
        without sending anything; raises if it sends bytes instead."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        if data:
            raise AssertionError(f"expected the connection to be closed, got {data[:64]!r}")
        return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse_metadata_v4(body: bytes) -> dict:
    """{"brokers": [(id, host, port)], "cluster_id", "controller_id",
    "topics": {name: (error_code, [(partition, error_code, leader)])}} of a Metadata v4
    response body."""
    r = Reader(body)
    r.take("i")  # throttle_time_ms
    brokers = []
    for _ in range(r.take("i")):
        node, host, port = r.take("i"), r.string(), r.take("i")
        r.string()  # rack
        brokers.append((node, host, port))
    cluster_id, controller = r.string(), r.take("i")
    topics = {}
    for _ in range(r.take("i")):
        err, name = r.take("h"), r.string()
        r.take("b")  # is_internal
        parts = []
        for _ in range(r.take("i")):
            perr, index, leader = r.take("hii")
            for _ in range(2):  # replicas, isr
                n = r.take("i")
                r.pos += 4 * n
            parts.append((index, perr, leader))
        topics[name] = (err, parts)
    return {"brokers": brokers, "cluster_id": cluster_id, "controller_id": controller,
            "topics": topics}


def fetch_v5_request(topic: str, partitions: list[tuple[int, int, int]], correlation_id: int,
                     max_wait_ms: int = 500, min_bytes: int = 1, max_bytes: int = 50 << 20,
                     isolation_level: int = 0) -> bytes:
    """Fetch v5 (sessionless) of (partition, fetch_offset, partition_max_bytes)."""
    body = struct.pack(">iiiib", -1, max_wait_ms, min_bytes, max_bytes, isolation_level)
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">i", len(partitions))
    for p, offset, pmax in partitions:
        body += struct.pack(">iqqi", p, offset, -1, pmax)
    return frame(request_header(1, 5, correlation_id) + body)


def parse_fetch_v5(body: bytes) -> dict[int, dict]:
    """{partition: {error_code, high_watermark, last_stable_offset, log_start_offset,
    records (bytes)}} of a one-topic Fetch v5 response body."""
    r = Reader(body)
    r.take("i")  # throttle_time_ms
    out = {}
    for _ in range(r.take("i")):
        r.string()
        for _ in range(r.take("i")):
            p, err, hw, lso, log_start = r.take("ihqqq")
            n = r.take("i")
            r.pos += 12 * max(n, 0)  # aborted transactions
            size = r.take("i")
            records = b"" if size < 0 else r.data[r.pos:r.pos + size]
            r.pos += max(size, 0)
            out[p] = {"error_code": err, "high_watermark": hw, "last_stable_offset": lso,
                      "log_start_offset": log_start, "records": records}
    return out


def batches(records: bytes) -> list[dict]:
    """The RecordBatch headers in a records blob: base_offset, last_offset_delta, count,
    crc_ok, producer_id, base_sequence (a trailing partial batch is skipped, as clients
    do)."""
    out = []
    pos = 0
    while pos + 12 <= len(records):
        base, length = struct.unpack_from(">qi", records, pos)
        if pos + 12 + length > len(records):
            break
        b = records[pos:pos + 12 + length]
        crc, = struct.unpack_from(">I", b, 17)
        last_delta, = struct.unpack_from(">i", b, 23)
        pid, epoch, seq, count = struct.unpack_from(">qhii", b, 43)
        out.append({"base_offset": base, "last_offset_delta": last_delta, "count": count,
                    "crc_ok": crc32c(b[21:]) == crc, "magic": b[16], "producer_id": pid,
                    "base_sequence": seq})
        pos += 12 + length
    return out


def init_producer_id_v1_request(correlation_id: int, transactional_id: str | None = None,
                                timeout_ms: int = 60000) -> bytes:
    return frame(request_header(22, 1, correlation_id) + string(transactional_id)
                 + struct.pack(">i", timeout_ms))


def parse_init_producer_id_v1(body: bytes) -> tuple[int, int, int]:
    """(error_code, producer_id, producer_epoch)."""
    _throttle, err, pid, epoch = struct.unpack_from(">ihqh", body, 0)
    return err, pid, epoch
