"""Wharf's Protobuf schema library (src/schema/protobuf, driven through
protobuf_schema_tool) agrees with Python's protobuf and confluent-kafka's serializer:

- schemas compiled by protoc (Debian's) and sent as confluent-kafka sends them (base64 of
  each FileDescriptorProto, imports as references, built-in imports left out) parse, and so
  does the same schema as .proto text with .proto text references;
- the descriptor Wharf serializes back and the .proto text it prints describe the same
  file as protoc's descriptor;
- random messages, given as JSON, encode to the same bytes as Python's json_format.Parse +
  SerializeToString(deterministic=True), and to the same Confluent framing (message
  indexes + payload) as confluent-kafka's ProtobufSerializer; Wharf's JSON for those bytes
  parses back in Python to the same message."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from backends import wharf_binary

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor

MESSAGES_PER_TYPE = 60
GOOGLE_TYPES = ["calendar_period", "color", "date", "datetime", "dayofweek", "expr", "fraction",
                "latlng", "money", "month", "postal_address", "quaternion", "timeofday"]

# name -> {file name: .proto text}; the first file is the schema, the others its imports.
SCHEMAS: dict[str, dict[str, str]] = {
    "scalars": {
        "scalars.proto": """
syntax = "proto3";
package wharf.test;
message Scalars {
  double d = 1; float f = 2; int32 i32 = 3; int64 i64 = 4; uint32 u32 = 5; uint64 u64 = 6;
  sint32 s32 = 7; sint64 s64 = 8; fixed32 fx32 = 9; fixed64 fx64 = 10; sfixed32 sfx32 = 11;
  sfixed64 sfx64 = 12; bool b = 13; string s = 14; bytes by = 15;
  repeated int32 packed = 16; repeated string names = 17; repeated double ds = 18;
  optional int32 maybe = 19;
  Color color = 20; repeated Color colors = 21;
}
enum Color { COLOR_UNSPECIFIED = 0; RED = 1; GREEN = 2; BLUE = 300; }
message Second { string only = 1; }
""",
    },
    "nested": {
        "orders.proto": """
syntax = "proto3";
package com.acme.orders;
import "common/money.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
message Order {
  string id = 1;
  repeated Line lines = 2;
  map<string, string> labels = 3;
  map<int64, Line> by_number = 4;
  common.Money total = 5;
  google.protobuf.Timestamp placed_at = 6;
  google.protobuf.Duration ttl = 7;
  google.protobuf.Int64Value discount = 8;
  oneof payment { Card card = 9; string voucher = 10; bool cash = 11; }
  message Line {
    string sku = 1; uint32 quantity = 2; common.Money price = 3;
    message Note { string text = 1; }
    repeated Note notes = 4;
  }
  message Card { string number = 1; sint32 cvc = 2; }
}
message Ack { string order_id = 1; }
""",
        "common/money.proto": """
syntax = "proto3";
package common;
message Money { string currency = 1; int64 units = 2; int32 nanos = 3; }
""",
    },
    "proto2": {
        "legacy.proto": """
syntax = "proto2";
package legacy;
message Record {
  required int64 id = 1;
  optional string name = 2 [default = "none"];
  repeated int32 values = 3 [packed = true];
  optional Kind kind = 4 [default = B];
  enum Kind { A = 1; B = 2; }
  optional Inner inner = 5;
  message Inner { optional bool flag = 1; repeated bytes blobs = 2; }
}
""",
    },
    "google_types": {
        "everything.proto": """
syntax = "proto3";
package uses.builtins;
import "google/type/calendar_period.proto";
import "google/type/color.proto";
import "google/type/date.proto";
import "google/type/datetime.proto";
import "google/type/dayofweek.proto";
import "google/type/expr.proto";
import "google/type/fraction.proto";
import "google/type/latlng.proto";
import "google/type/money.proto";
import "google/type/month.proto";
import "google/type/postal_address.proto";
import "google/type/quaternion.proto";
import "google/type/timeofday.proto";
import "confluent/type/decimal.proto";
message Everything {
  google.type.CalendarPeriod period = 1; google.type.Color color = 2; google.type.Date date = 3;
  google.type.DateTime at = 4; google.type.DayOfWeek weekday = 5; google.type.Expr expr = 6;
  google.type.Fraction fraction = 7; google.type.LatLng where = 8; google.type.Money price = 9;
  google.type.Month month = 10; google.type.PostalAddress address = 11;
  google.type.Quaternion rotation = 12; google.type.TimeOfDay time = 13;
  confluent.type.Decimal amount = 14; google.type.TimeZone zone = 15;
}
""",
    },
    "confluent_meta": {
        "tagged.proto": """
syntax = "proto3";
package tagged;
import "confluent/meta.proto";
message Tagged {
  option (confluent.message_meta).doc = "a tagged message";
  string pii = 1 [(confluent.field_meta).tags = "PII"];
  int32 plain = 2;
}
""",
    },
}


@pytest.fixture(scope="module")
def tool() -> str:
    path = Path(wharf_binary()).parent / "src/schema/protobuf/protobuf_schema_tool"
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not built: run `bash scripts/build.sh release protobuf_schema_tool`")
    return str(path)


def ask(tool: str, requests: list[dict]) -> list[dict]:
    text = "".join(json.dumps(r) + "\n" for r in requests)
    done = subprocess.run([tool], input=text, capture_output=True, text=True, timeout=300,
                          check=True)
    return [json.loads(line) for line in done.stdout.rstrip("\n").split("\n")]


def builtin_descriptor_set(path: Path) -> Path:
    """The built-in imports (confluent/*, google/type/*) and theirs as protoc input: the
    Python packages ship them only as generated code."""
    import importlib

    from confluent_kafka.schema_registry.confluent import meta_pb2
    from confluent_kafka.schema_registry.confluent.type import decimal_pb2
    from google.protobuf import descriptor_pb2 as d
    from google.protobuf import duration_pb2, wrappers_pb2

    files = d.FileDescriptorSet()
    modules = [d, duration_pb2, wrappers_pb2, meta_pb2, decimal_pb2]
    modules += [importlib.import_module(f"google.type.{name}_pb2") for name in GOOGLE_TYPES]
    for module in modules:
        module.DESCRIPTOR.CopyToProto(files.file.add())
    out = path / "builtin.pb"
    out.write_bytes(files.SerializeToString())
    return out


def compile_schema(files: dict[str, str], workdir: Path) -> descriptor_pb2.FileDescriptorSet:
    for name, text in files.items():
        target = workdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    main = next(iter(files))
    args = ["protoc", f"-I{workdir}", "--include_imports",
            f"--descriptor_set_out={workdir / 'out.pb'}", main]
    if any("confluent/" in text or "google/type/" in text for text in files.values()):
        args.insert(1, f"--descriptor_set_in={builtin_descriptor_set(workdir)}")
    subprocess.run(args, cwd=workdir, check=True, capture_output=True)
    return descriptor_pb2.FileDescriptorSet.FromString((workdir / "out.pb").read_bytes())


def confluent_form(pool, main: str) -> tuple[str, list[dict]]:
    """The schema and references as confluent-kafka's ProtobufSerializer registers them."""
    from confluent_kafka.schema_registry.common.protobuf import _is_builtin, _schema_to_str

    references = []
    seen = set()

    def visit(file_desc):
        for dep in file_desc.dependencies:
            if _is_builtin(dep.name) or dep.name in seen:
                continue
            seen.add(dep.name)
            visit(dep)
            references.append({"name": dep.name, "schema": _schema_to_str(dep)})

    main_desc = pool.FindFileByName(main)
    visit(main_desc)
    return _schema_to_str(main_desc), references


def random_message(cls, rng: random.Random, depth: int = 0):
    msg = cls()
    for field in cls.DESCRIPTOR.fields:
        if field.containing_oneof is not None and msg.WhichOneof(field.containing_oneof.name):
            continue
        if rng.random() < 0.3:
            continue
        fill_field(msg, field, rng, depth)
    return msg


def scalar_value(field, rng: random.Random):
    t = field.type
    F = FieldDescriptor
    if t in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
        return rng.choice([0, 1, -1, 2**31 - 1, -(2**31), rng.randint(-(2**31), 2**31 - 1)])
    if t in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
        return rng.choice([0, -1, 2**63 - 1, -(2**63), rng.randint(-(2**63), 2**63 - 1)])
    if t in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return rng.choice([0, 2**32 - 1, rng.randint(0, 2**32 - 1)])
    if t in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return rng.choice([0, 2**64 - 1, rng.randint(0, 2**64 - 1)])
    if t == FieldDescriptor.TYPE_BOOL:
        return rng.random() < 0.5
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        # Values a float holds exactly, so that JSON's decimal text cannot round differently.
        return rng.choice([0.0, -1.5, 0.25, 1e10, rng.randint(-10**6, 10**6) / 64])
    if t == FieldDescriptor.TYPE_STRING:
        return rng.choice(["", "a", "héllo wörld", "\u2603 snow", "x" * rng.randint(0, 300)])
    if t == FieldDescriptor.TYPE_BYTES:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
    if t == FieldDescriptor.TYPE_ENUM:
        return rng.choice(field.enum_type.values).number
    raise AssertionError(f"unhandled type {t}")


def fill_message_value(target, field, rng: random.Random, depth: int) -> bool:
    """Fills a message-typed value in place; False to leave it out."""
    name = field.message_type.full_name
    if name == "google.protobuf.Timestamp":
        target.seconds = rng.randint(0, 4_000_000_000)
        target.nanos = rng.choice([0, 1000, rng.randint(0, 999_999_999)])
    elif name == "google.protobuf.Duration":
        seconds = rng.randint(-100_000, 100_000)
        target.seconds = seconds
        target.nanos = rng.randint(0, 999_999_999) * (-1 if seconds < 0 else 1)
    elif depth > 3:
        return False
    else:
        target.CopyFrom(random_message(type(target), rng, depth + 1))
    return True


def fill_field(msg, field, rng: random.Random, depth: int):
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        container = getattr(msg, field.name)
        # One entry: confluent-kafka serializes maps in insertion order, Wharf by key.
        for _ in range(rng.randint(0, 1)):
            key = scalar_value(key_field, rng)
            if value_field.message_type is not None:
                fill_message_value(container[key], value_field, rng, depth)
            else:
                container[key] = scalar_value(value_field, rng)
        return
    if field.is_repeated:
        container = getattr(msg, field.name)
        for _ in range(rng.randint(0, 4)):
            if field.message_type is not None:
                if not fill_message_value(container.add(), field, rng, depth):
                    del container[-1]
            else:
                container.append(scalar_value(field, rng))
        return
    if field.message_type is not None:
        if not fill_message_value(getattr(msg, field.name), field, rng, depth):
            msg.ClearField(field.name)
        return
    setattr(msg, field.name, scalar_value(field, rng))


def message_classes(pool, fds):
    main = fds.file[-1]
    out = []

    def walk(prefix, types):
        for t in types:
            if t.options.map_entry:
                continue
            full = f"{prefix}.{t.name}" if prefix else t.name
            out.append(message_factory.GetMessageClass(pool.FindMessageTypeByName(full)))
            walk(full, t.nested_type)

    walk(main.package, main.message_type)
    return out


@pytest.fixture(scope="module", params=list(SCHEMAS))
def compiled(request, tmp_path_factory):
    files = SCHEMAS[request.param]
    fds = compile_schema(files, tmp_path_factory.mktemp(request.param))
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    return request.param, files, fds, pool


def descriptors_equal(ours: descriptor_pb2.FileDescriptorProto,
                      theirs: descriptor_pb2.FileDescriptorProto) -> bool:
    """Same file, apart from what protoc records and descriptor copies drop: json_name
    (derived from the field name) and source locations."""
    def strip(fdp):
        fdp = descriptor_pb2.FileDescriptorProto.FromString(fdp.SerializeToString())
        fdp.ClearField("source_code_info")
        fdp.ClearField("name")

        def clear(messages):
            for m in messages:
                for f in m.field:
                    f.ClearField("json_name")
                clear(m.nested_type)
        clear(fdp.message_type)
        return fdp
    return strip(ours) == strip(theirs)


def test_schema_forms_parse_and_print_the_same_file(tool, compiled, tmp_path):
    name, files, fds, pool = compiled
    main = next(iter(files))
    schema, references = confluent_form(pool, main)
    text_references = [{"name": n, "schema": t} for n, t in files.items() if n != main]
    from_descriptor, from_text = ask(tool, [
        {"op": "parse", "schema": schema, "references": references},
        {"op": "parse", "schema": files[main], "references": text_references},
    ])
    assert "error" not in from_descriptor, from_descriptor
    assert "error" not in from_text, from_text
    assert from_descriptor["normalized"] == from_text["normalized"]
    protoc_file = fds.file[-1]
    ours = descriptor_pb2.FileDescriptorProto.FromString(
        __import__("base64").b64decode(from_descriptor["serialized"]))
    assert descriptors_equal(ours, protoc_file), (ours, protoc_file)
    # The printed .proto text compiles (protoc) to the same file.
    printed = dict(files)
    printed[main] = from_text["text"]
    again = compile_schema(printed, tmp_path)
    assert descriptors_equal(again.file[-1], protoc_file), from_text["text"]
    # Message indexes as confluent-kafka computes them.
    from confluent_kafka.schema_registry.common.protobuf import _create_index_array
    for cls in message_classes(pool, fds):
        assert from_descriptor["indexes"][cls.DESCRIPTOR.full_name] == \
            _create_index_array(cls.DESCRIPTOR)


def test_json_to_binary_agrees_with_python(tool, compiled):
    from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
        MockSchemaRegistryClient,
    )
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    name, files, fds, pool = compiled
    main = next(iter(files))
    schema, references = confluent_form(pool, main)
    rng = random.Random(f"protobuf-{name}")
    requests, expected = [], []
    for cls in message_classes(pool, fds):
        serializer = ProtobufSerializer(cls, MockSchemaRegistryClient({"url": "mock://"}),
                                        {"use.deprecated.format": False})
        for _ in range(MESSAGES_PER_TYPE):
            msg = random_message(cls, rng)
            if not msg.IsInitialized():  # proto2 required fields left out at random
                continue
            text = json_format.MessageToJson(msg)
            parsed = json_format.Parse(text, cls())
            framed = serializer(parsed, SerializationContext("t", MessageField.VALUE))
            requests.append({"op": "encode", "schema": schema, "references": references,
                             "message": cls.DESCRIPTOR.full_name, "json": text})
            expected.append((cls, parsed, framed[5:]))
    assert len(requests) >= MESSAGES_PER_TYPE // 2
    answers = ask(tool, requests)
    decode_requests = []
    for request, answer, (cls, parsed, framed_tail) in zip(requests, answers, expected):
        assert "error" not in answer, (request["json"], answer)
        assert answer["hex"] == parsed.SerializeToString(deterministic=True).hex(), request["json"]
        assert bytes.fromhex(answer["indexes_hex"] + answer["hex"]) == framed_tail, request["json"]
        decode = {"op": "decode", "schema": schema, "references": references,
                  "message": cls.DESCRIPTOR.full_name, "hex": answer["hex"]}
        # Only what is set, so the JSON says exactly which proto2 fields are present...
        decode_requests.append(dict(decode, defaults=False))
        # ... and as Confluent's REST Proxy prints: camelCase names, defaults included
        # (which for proto2 marks every optional field present).
        decode_requests.append(decode)
    decoded = ask(tool, decode_requests)
    proto3 = "proto2" not in name
    for exact, confluent_style, (cls, parsed, _) in zip(decoded[::2], decoded[1::2], expected):
        assert "error" not in exact, exact
        assert json_format.Parse(exact["json"], cls()) == parsed, exact["json"]
        assert "error" not in confluent_style, confluent_style
        assert "_" not in "".join(json.loads(confluent_style["json"]).keys())
        if proto3:
            assert json_format.Parse(confluent_style["json"], cls()) == parsed, confluent_style


def test_invalid_json_and_schemas_are_errors(tool):
    schema = SCHEMAS["scalars"]["scalars.proto"]
    answers = ask(tool, [
        {"op": "encode", "schema": schema, "json": '{"nope": 1}'},
        {"op": "encode", "schema": schema, "json": '{"i32": "many"}'},
        {"op": "parse", "schema": "syntax = \"proto3\";\nmessage A { B b = 1; }"},
        {"op": "parse", "schema": "syntax = \"proto3\";\nimport \"x.proto\";\nmessage A {}"},
        {"op": "encode", "schema": schema, "json": '{"i32": 7}'},
    ])
    assert "nope" in answers[0]["error"]
    assert "error" in answers[1]
    assert "2:" in answers[2]["error"] and '"B" is not defined' in answers[2]["error"]
    assert "x.proto" in answers[3]["error"]
    # The first message needs no name and is the single-zero index shortcut.
    assert answers[4] == {"message": "wharf.test.Scalars", "hex": "1807", "indexes_hex": "00"}
