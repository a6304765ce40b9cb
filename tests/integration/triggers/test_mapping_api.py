"""The event source mapping API driven by the aws CLI (and boto3 where the CLI adds
nothing): create, list with filters and pagination, get, update, delete, Lambda's errors,
pausing and resuming a mapping, and mappings declared in the config file."""

from __future__ import annotations

import json
import time

import pytest

from trigger_helpers import declared_uuid, esm, wait_until  # noqa: F401

DECLARED_TOPIC = "esm-declared-orders"
# A mapping declared in the config file, under a UUID derived from its name.
ESM_EXTRA_CONFIG = {"triggers": {"mappings": {"declared-orders": {
    "FunctionName": "sh", "Topics": [DECLARED_TOPIC], "StartingPosition": "TRIM_HORIZON",
    "MaximumBatchingWindowInSeconds": 0, "BatchSize": 7}}}}


def aws_error(proc) -> str:
    assert proc.returncode != 0, f"the aws CLI succeeded: {proc.stdout}"
    return proc.stderr


def test_cli_create_get_update_delete(esm, unique_topic):
    esm.create_topic(unique_topic)
    created = esm.aws_json("create-event-source-mapping", "--function-name", "sh",
                           "--topics", unique_topic, "--event-source-arn", esm.cluster_arn,
                           "--starting-position", "TRIM_HORIZON", "--batch-size", "10",
                           "--maximum-batching-window-in-seconds", "0")
    uuid_ = created["UUID"]
    assert created["State"] == "Creating"
    assert created["BatchSize"] == 10
    assert created["Topics"] == [unique_topic]
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:sh"
    assert created["EventSourceArn"] == esm.cluster_arn
    assert created["AmazonManagedKafkaEventSourceConfig"]["ConsumerGroupId"] == uuid_

    got = wait_until(lambda: (lambda m: m if m["State"] == "Enabled" else None)(
        esm.aws_json("get-event-source-mapping", "--uuid", uuid_)), what="Enabled")
    assert got["UUID"] == uuid_ and got["BatchSize"] == 10

    updated = esm.aws_json("update-event-source-mapping", "--uuid", uuid_, "--batch-size", "3")
    assert updated["BatchSize"] == 3 and updated["State"] == "Updating"
    assert esm.aws_json("get-event-source-mapping", "--uuid", uuid_)["BatchSize"] == 3
    # The new batch size is the one the runner uses.
    esm.produce(unique_topic, [{"value": f"v{i}".encode()} for i in range(9)])
    esm.wait_seen("sh", unique_topic, 9)
    assert max(len(inv["records"]) for inv in esm.invocations("sh", unique_topic)) <= 3

    deleted = esm.aws_json("delete-event-source-mapping", "--uuid", uuid_)
    assert deleted["UUID"] == uuid_ and deleted["State"] == "Deleting"
    err = aws_error(esm.aws("get-event-source-mapping", "--uuid", uuid_, check=False))
    assert "ResourceNotFoundException" in err
    listed = esm.aws_json("list-event-source-mappings", "--function-name", "sh")
    assert uuid_ not in [m["UUID"] for m in listed["EventSourceMappings"]]
    # A deleted mapping invokes no more.
    before = len(esm.records_seen("sh", unique_topic))
    esm.produce(unique_topic, [{"value": b"after-delete"}])
    time.sleep(2)
    assert len(esm.records_seen("sh", unique_topic)) == before


def test_cli_list_filters_and_pagination(esm, unique_topic):
    topics = [esm.create_topic(f"{unique_topic}-{i}") for i in range(3)]
    uuids = [esm.aws_json("create-event-source-mapping", "--function-name", "http",
                          "--topics", t, "--event-source-arn", esm.cluster_arn,
                          "--starting-position", "LATEST")["UUID"] for t in topics]
    other = esm.aws_json("create-event-source-mapping", "--function-name", "py",
                         "--topics", topics[0], "--event-source-arn", esm.cluster_arn,
                         "--starting-position", "LATEST")["UUID"]

    mine = esm.aws_json("list-event-source-mappings", "--function-name", "http")
    listed = [m["UUID"] for m in mine["EventSourceMappings"]]
    assert set(uuids) <= set(listed) and other not in listed
    assert all(m["FunctionArn"].endswith(":function:http") for m in mine["EventSourceMappings"])
    # A function ARN filters as the name does.
    by_arn = esm.aws_json("list-event-source-mappings", "--function-name",
                          "arn:aws:lambda:us-east-1:000000000000:function:http")
    assert [m["UUID"] for m in by_arn["EventSourceMappings"]] == listed

    by_source = esm.aws_json("list-event-source-mappings", "--event-source-arn", esm.cluster_arn)
    assert set(uuids + [other]) <= {m["UUID"] for m in by_source["EventSourceMappings"]}
    nothing = esm.aws_json("list-event-source-mappings", "--event-source-arn",
                           esm.cluster_arn.rsplit("/", 1)[0] + "/another-cluster-id")
    assert nothing["EventSourceMappings"] == []

    # Pagination: the CLI's --max-items hands back a NextToken; --starting-token resumes.
    page1 = esm.aws_json("list-event-source-mappings", "--function-name", "http",
                         "--max-items", "2")
    assert len(page1["EventSourceMappings"]) == 2 and page1.get("NextToken")
    page2 = esm.aws_json("list-event-source-mappings", "--function-name", "http",
                         "--max-items", "2", "--starting-token", page1["NextToken"])
    paged = [m["UUID"] for m in page1["EventSourceMappings"] + page2["EventSourceMappings"]]
    assert len(paged) == len(set(paged)), "a mapping was listed on two pages"
    assert set(uuids) <= set(paged)
    # Server-side pages of one item each (--page-size sends MaxItems) still list them all.
    small_pages = esm.aws_json("list-event-source-mappings", "--function-name", "http",
                               "--page-size", "1")
    assert sorted(m["UUID"] for m in small_pages["EventSourceMappings"]) == sorted(listed)

    for u in uuids + [other]:
        esm.aws_json("delete-event-source-mapping", "--uuid", u)


def test_cli_errors(esm, unique_topic):
    esm.create_topic(unique_topic)
    missing = "11111111-2222-4333-8444-555555555555"
    for op in ("get-event-source-mapping", "delete-event-source-mapping"):
        err = aws_error(esm.aws(op, "--uuid", missing, check=False))
        assert "ResourceNotFoundException" in err and "does not exist" in err
    err = aws_error(esm.aws("update-event-source-mapping", "--uuid", missing, "--batch-size", "5",
                            check=False))
    assert "ResourceNotFoundException" in err

    base = ["create-event-source-mapping", "--topics", unique_topic, "--event-source-arn",
            esm.cluster_arn, "--starting-position", "LATEST"]
    err = aws_error(esm.aws(*base, "--function-name", "no-such-function", check=False))
    assert "InvalidParameterValueException" in err and "Function does not exist" in err

    err = aws_error(esm.aws(*base, "--function-name", "sh", "--batch-size", "20000", check=False))
    assert "ValidationException" in err and "batchSize" in err

    err = aws_error(esm.aws(*base, "--function-name", "sh", "--destination-config",
                            json.dumps({"OnSuccess": {"Destination": "kafka://somewhere"}}),
                            check=False))
    assert "InvalidParameterValueException" in err and "Unsupported DestinationConfig" in err

    first = esm.aws_json(*base, "--function-name", "sh")
    err = aws_error(esm.aws(*base, "--function-name", "sh", check=False))
    assert "ResourceConflictException" in err and first["UUID"] in err

    # A refused update leaves the mapping as it was.
    err = aws_error(esm.aws("update-event-source-mapping", "--uuid", first["UUID"],
                            "--batch-size", "10001", check=False))
    assert "ValidationException" in err
    assert esm.aws_json("get-event-source-mapping", "--uuid", first["UUID"])["BatchSize"] == 100

    # boto3 sees the same errors as modeled exceptions.
    client = esm.lambda_client()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_event_source_mapping(UUID=missing)
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.create_event_source_mapping(FunctionName="nope", Topics=[unique_topic],
                                           EventSourceArn=esm.cluster_arn,
                                           StartingPosition="LATEST")
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.create_event_source_mapping(FunctionName="sh", Topics=[unique_topic],
                                           EventSourceArn=esm.cluster_arn,
                                           StartingPosition="LATEST")
    esm.aws_json("delete-event-source-mapping", "--uuid", first["UUID"])


def test_disable_stops_invocations_and_enable_resumes_without_loss(esm, unique_topic):
    esm.create_topic(unique_topic)
    first = esm.produce(unique_topic, [{"value": f"a{i}".encode()} for i in range(5)])
    uuid_ = esm.aws_json("create-event-source-mapping", "--function-name", "py", "--topics",
                         unique_topic, "--event-source-arn", esm.cluster_arn,
                         "--starting-position", "TRIM_HORIZON",
                         "--maximum-batching-window-in-seconds", "0")["UUID"]
    esm.wait_seen("py", unique_topic, 5)
    wait_until(lambda: esm.committed(uuid_, unique_topic, 1) == [5], timeout=15,
               what="the first records' offsets to be committed")

    disabled = esm.aws_json("update-event-source-mapping", "--uuid", uuid_, "--no-enabled")
    assert disabled["State"] == "Updating"
    assert esm.aws_json("get-event-source-mapping", "--uuid", uuid_)["State"] == "Disabled"
    time.sleep(1)  # the runner stops on the reconciler's next pass
    seen_before = len(esm.records_seen("py", unique_topic))
    second = esm.produce(unique_topic, [{"value": f"b{i}".encode()} for i in range(5)])
    time.sleep(3)
    assert len(esm.records_seen("py", unique_topic)) == seen_before, \
        "a disabled mapping invoked its function"
    assert esm.committed(uuid_, unique_topic, 1) == [5]

    esm.aws_json("update-event-source-mapping", "--uuid", uuid_, "--enabled")
    assert esm.aws_json("get-event-source-mapping", "--uuid", uuid_)["State"] == "Enabled"
    seen = esm.wait_seen("py", unique_topic, 10)
    values = [bytes.fromhex(r["value"]) for r in seen]
    assert values == [r["value"] for r in first + second], \
        "resuming lost, repeated or reordered records"
    wait_until(lambda: esm.committed(uuid_, unique_topic, 1) == [10], timeout=15,
               what="the offsets to be committed after resuming")
    esm.aws_json("delete-event-source-mapping", "--uuid", uuid_)


def test_declared_mapping_is_listed_under_a_stable_uuid(esm):
    listed = esm.aws_json("list-event-source-mappings", "--function-name", "sh")
    declared = [m for m in listed["EventSourceMappings"] if m["Topics"] == [DECLARED_TOPIC]]
    assert len(declared) == 1
    m = declared[0]
    assert m["EventSourceArn"] == esm.cluster_arn
    assert m["BatchSize"] == 7
    # The UUID is derived from the mapping's name: the same on every Wharf and every start.
    assert m["UUID"] == declared_uuid("declared-orders")
    by_arn = esm.aws_json("list-event-source-mappings", "--event-source-arn", esm.cluster_arn)
    assert m["UUID"] in [x["UUID"] for x in by_arn["EventSourceMappings"]]


def test_update_function_filters_and_destination(esm, unique_topic):
    esm.create_topic(unique_topic)
    client = esm.lambda_client()
    m = esm.create_mapping("sh", unique_topic, DestinationConfig={
        "OnFailure": {"Destination": f"kafka://{unique_topic}-dlq"}})
    esm.produce(unique_topic, [{"value": b"to-sh"}])
    esm.wait_seen("sh", unique_topic, 1)

    # Another function: later records go to it, from the committed offset.
    updated = esm.aws_json("update-event-source-mapping", "--uuid", m["UUID"],
                           "--function-name", "http")
    assert updated["FunctionArn"].endswith(":function:http")
    time.sleep(1)
    esm.produce(unique_topic, [{"value": b"to-http"}])
    seen = esm.wait_seen("http", unique_topic, 1)
    assert [bytes.fromhex(r["value"]) for r in seen] == [b"to-http"]
    assert len(esm.records_seen("sh", unique_topic)) == 1

    # A filter added by an update applies to later records.
    esm.aws_json("update-event-source-mapping", "--uuid", m["UUID"], "--filter-criteria",
                 json.dumps({"Filters": [{"Pattern": json.dumps({"value": [{"prefix": "k"}]})}]}))
    time.sleep(1)
    esm.produce(unique_topic, [{"value": b"skip-me"}, {"value": b"keep-me"}])
    wait_until(lambda: esm.committed(m["UUID"], unique_topic, 1) == [4], timeout=30,
               what="the filtered records to be committed")
    assert [bytes.fromhex(r["value"]) for r in esm.records_seen("http", unique_topic)] == [
        b"to-http", b"keep-me"]

    # An empty destination removes it.
    cleared = esm.aws_json("update-event-source-mapping", "--uuid", m["UUID"],
                           "--destination-config", json.dumps({"OnFailure": {"Destination": ""}}))
    assert "DestinationConfig" not in cleared or not cleared["DestinationConfig"].get(
        "OnFailure", {}).get("Destination")
    # An update with an invalid pattern is refused whole: the batch size stays too.
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.update_event_source_mapping(UUID=m["UUID"], FunctionName="sh", BatchSize=5,
                                           FilterCriteria={"Filters": [{"Pattern": "{"}]})
    assert client.get_event_source_mapping(UUID=m["UUID"])["BatchSize"] == 100

    # Deleted, the same function and topic can be mapped again.
    esm.aws_json("delete-event-source-mapping", "--uuid", m["UUID"])
    again = esm.create_mapping("http", unique_topic)
    assert again["UUID"] != m["UUID"]
    esm.aws_json("delete-event-source-mapping", "--uuid", again["UUID"])
