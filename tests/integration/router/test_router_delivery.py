"""Events through rules to targets, on both backends: PutEvents -> rule -> Kafka topic,
HTTP endpoint with an input transformer, a failing endpoint's retries and dead letters,
plain Kafka topics as sources, and rules declared in the config file."""

from __future__ import annotations

import json
import time

import requests

from router_helpers import consume, produce


def put_rule(events, name: str, pattern: dict, **extra) -> str:
    return events.put_rule(Name=name, EventPattern=json.dumps(pattern), **extra)["RuleArn"]


def test_put_events_to_a_kafka_topic_target(router, name):
    events = router.client()
    arn = put_rule(events, name, {"source": ["shop"], "detail": {"total": [{"numeric": [">", 10]}]}})
    assert arn == f"arn:aws:events:us-east-1:000000000000:rule/{name}"
    out = events.put_targets(Rule=name, Targets=[
        {"Id": "whole", "Arn": f"arn:wharf:kafka:::topic/{name}-all"},
        {"Id": "detail", "Arn": f"arn:wharf:kafka:::topic/{name}-detail", "InputPath": "$.detail"},
        {"Id": "fixed", "Arn": f"arn:wharf:kafka:::topic/{name}-fixed", "Input": '{"fixed": 1}'},
    ])
    assert out["FailedEntryCount"] == 0
    put = events.put_events(Entries=[
        {"Source": "shop", "DetailType": "Order", "Detail": json.dumps({"total": 5, "n": 1})},
        {"Source": "shop", "DetailType": "Order", "Detail": json.dumps({"total": 50, "n": 2}),
         "Resources": ["arn:x"]},
        {"Source": "other", "DetailType": "Order", "Detail": json.dumps({"total": 99, "n": 3})},
    ])
    assert put["FailedEntryCount"] == 0
    ids = [e["EventId"] for e in put["Entries"]]
    whole = consume(router.bootstrap, f"{name}-all", 1)
    event = json.loads(whole[0]["value"])
    assert event["id"] == ids[1] and whole[0]["key"] == ids[1]
    assert event["version"] == "0" and event["source"] == "shop"
    assert event["detail-type"] == "Order" and event["resources"] == ["arn:x"]
    assert event["account"] == "000000000000" and event["region"] == "us-east-1"
    assert event["detail"] == {"total": 50, "n": 2}
    assert whole[0]["headers"]["RULE_ARN"] == arn
    assert json.loads(consume(router.bootstrap, f"{name}-detail", 1)[0]["value"]) == \
        {"total": 50, "n": 2}
    assert json.loads(consume(router.bootstrap, f"{name}-fixed", 1)[0]["value"]) == {"fixed": 1}
    # Only the one matching event went through (at least once: never the other two).
    assert len(consume(router.bootstrap, f"{name}-all", 1, timeout=3)) == 1


def test_http_target_with_an_input_transformer(router, http_sink, name):
    events = router.client()
    arn = put_rule(events, name, {"source": [name]})
    events.put_targets(Rule=name, Targets=[{
        "Id": "hook",
        "Arn": "arn:aws:events:us-east-1:000000000000:api-destination/hook",
        "HttpParameters": {"HeaderParameters": {"x-rule": name},
                           "QueryStringParameters": {"tag": name}},
        "InputTransformer": {
            "InputPathsMap": {"order": "$.detail.order", "items": "$.detail.items",
                              "missing": "$.detail.none"},
            "InputTemplate": '{"order": <order>, "items": <items>, "missing": <missing>, '
                             '"text": "order <order> by <aws.events.rule-name>", '
                             '"rule": <aws.events.rule-arn>, "event": <aws.events.event.json>}',
        },
    }])
    events.put_events(Entries=[{"Source": name, "DetailType": "t",
                                "Detail": json.dumps({"order": "o-1", "items": [1, 2]})}])
    got = http_sink.wait_for(f"/hook?tag={name}", 1)
    body = json.loads(got[0]["body"])
    assert body["order"] == "o-1" and body["items"] == [1, 2] and body["missing"] is None
    assert body["text"] == f"order o-1 by {name}"
    assert body["rule"] == arn
    assert body["event"]["detail"]["order"] == "o-1"
    headers = {k.lower(): v for k, v in got[0]["headers"].items()}
    assert headers["x-api-key"] == "secret-key" and headers["x-from"] == "wharf"
    assert headers["x-rule"] == name


def test_a_failing_target_is_retried_then_dead_lettered(router, http_sink, name):
    events = router.client()
    arn = put_rule(events, name, {"source": [name]})
    target_arn = "arn:aws:events:us-east-1:000000000000:api-destination/broken"
    events.put_targets(Rule=name, Targets=[{
        "Id": "broken", "Arn": target_arn,
        "HttpParameters": {"QueryStringParameters": {"tag": name}},
        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
        "DeadLetterConfig": {"Arn": f"arn:wharf:kafka:::topic/{name}-dlq"},
    }])
    put = events.put_events(Entries=[{"Source": name, "DetailType": "t", "Detail": '{"a": 1}'}])
    dead = consume(router.bootstrap, f"{name}-dlq", 1)
    assert len(http_sink.received(f"/fail?tag={name}")) == 3  # the first try and two retries
    assert json.loads(dead[0]["value"])["id"] == put["Entries"][0]["EventId"]
    h = dead[0]["headers"]
    assert h["RULE_ARN"] == arn and h["TARGET_ARN"] == target_arn
    assert h["ERROR_CODE"] == "HTTP_500" and "500" in h["ERROR_MESSAGE"]
    assert h["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert h["RETRY_ATTEMPTS"] == "2"
    labels = f'rule="default/{name}",target="broken"'
    dead_lettered = f"wharf_router_dead_lettered_events_total{{{labels}}} 1"
    # The counter moves once Kafka acknowledged the dead letter, a moment after it is readable.
    deadline = time.monotonic() + 10
    while dead_lettered not in (metrics := requests.get(router.url + "/metrics", timeout=10).text):
        assert time.monotonic() < deadline, metrics
        time.sleep(0.1)
    assert f"wharf_router_retries_total{{{labels}}} 2" in metrics
    assert f"wharf_router_invocations_total{{{labels}}} 3" in metrics


def test_rules_read_plain_kafka_topics(router, name):
    events = router.client()
    source = f"{name}-source"
    events.put_rule(Name=name, EventPattern=json.dumps(
        {"$or": [{"detail-type": ["Kafka Record"]}, {"kind": ["json"]}]}),
        Tags=[{"Key": "wharf:source-topic", "Value": source}])
    events.put_targets(Rule=name, Targets=[{"Id": "out", "Arn": f"arn:wharf:kafka:::topic/{name}-out"}])
    produce(router.bootstrap, source, b"plain text", key=b"k1")
    produce(router.bootstrap, source, json.dumps({"kind": "json", "n": 7}).encode())
    got = [json.loads(r["value"]) for r in consume(router.bootstrap, f"{name}-out", 2)]
    wrapped = next(e for e in got if e.get("source") == "wharf.kafka")
    assert wrapped["detail"]["value"] == "plain text" and wrapped["detail"]["key"] == "k1"
    assert wrapped["detail"]["topic"] == source
    assert {"kind": "json", "n": 7} in got


def test_events_forwarded_to_another_bus(router, name):
    events = router.client()
    events.create_event_bus(Name=name)
    put_rule(events, "fwd-" + name, {"source": [name]})
    events.put_targets(Rule="fwd-" + name, Targets=[
        {"Id": "bus", "Arn": f"arn:aws:events:us-east-1:000000000000:event-bus/{name}"}])
    put_rule(events, "on-" + name, {"source": [name]}, EventBusName=name)
    events.put_targets(Rule="on-" + name, EventBusName=name, Targets=[
        {"Id": "out", "Arn": f"arn:wharf:kafka:::topic/{name}-out"}])
    put = events.put_events(Entries=[{"Source": name, "DetailType": "t", "Detail": "{}"}])
    got = json.loads(consume(router.bootstrap, f"{name}-out", 1)[0]["value"])
    assert got["id"] == put["Entries"][0]["EventId"]


def test_rules_declared_in_the_config_file(router):
    events = router.client()
    rule = events.describe_rule(Name="declared")
    assert json.loads(rule["EventPattern"]) == {"source": ["declared.app"]}
    events.put_events(Entries=[{"Source": "declared.app", "DetailType": "t", "Detail": '{"x": 1}'}])
    got = [json.loads(r["value"]) for r in consume(router.bootstrap, "declared-out", 1)]
    assert got[0]["detail"] == {"x": 1}


def test_function_targets(router, name):
    events = router.client()
    put_rule(events, name, {"source": [name]})
    fn = "arn:aws:lambda:us-east-1:000000000000:function:"
    out = events.put_targets(Rule=name, Targets=[
        {"Id": "fn", "Arn": fn + "recorder", "InputPath": "$.detail"},
        {"Id": "nope", "Arn": fn + "no-such-function"}])
    assert out["FailedEntryCount"] == 1
    assert out["FailedEntries"][0]["TargetId"] == "nope"
    events.put_events(Entries=[{"Source": name, "DetailType": "t",
                                "Detail": json.dumps({"marker": name})}])
    calls = router.workdir / "function-calls.txt"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = calls.read_text().splitlines() if calls.exists() else []
        if any(name in line for line in lines):
            break
        time.sleep(0.1)
    assert {"marker": name} in [json.loads(line) for line in lines if line.strip()]


def test_a_disabled_rule_skips_what_was_put_meanwhile(router, name):
    events = router.client()
    put_rule(events, name, {"source": [name]})
    events.put_targets(Rule=name, Targets=[{"Id": "out", "Arn": f"arn:wharf:kafka:::topic/{name}-out"}])
    first = events.put_events(Entries=[{"Source": name, "DetailType": "t", "Detail": '{"n": 1}'}])
    consume(router.bootstrap, f"{name}-out", 1)
    events.disable_rule(Name=name)
    events.put_events(Entries=[{"Source": name, "DetailType": "t", "Detail": '{"n": 2}'}])
    time.sleep(1.5)  # beyond the second of slack a rule allows events put before it
    events.enable_rule(Name=name)
    third = events.put_events(Entries=[{"Source": name, "DetailType": "t", "Detail": '{"n": 3}'}])
    got = [json.loads(r["value"])["id"] for r in consume(router.bootstrap, f"{name}-out", 2)]
    assert got[:2] == [first["Entries"][0]["EventId"], third["Entries"][0]["EventId"]]
    assert len(consume(router.bootstrap, f"{name}-out", 2, timeout=3)) == 2


def _topic(bootstrap: str, name: str, config: dict | None = None) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1, 1, config=config or {})])[name].result(30)


def _produce_many(bootstrap: str, topic: str, values: list[bytes]) -> None:
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for v in values:
        p.produce(topic, value=v)
    assert p.flush(30) == 0


def test_a_backlog_reaches_a_kafka_target_in_order(router, name):
    # Records read in one poll are written to the target together: the order stays.
    events = router.client()
    source, out = f"{name}-source", f"{name}-out"
    _topic(router.bootstrap, source)
    _topic(router.bootstrap, out)
    _produce_many(router.bootstrap, source,
                  [json.dumps({"kind": "json", "n": i}).encode() for i in range(1500)])
    events.put_rule(Name=name, EventPattern=json.dumps({"n": [{"numeric": [">=", 0]}]}),
                    Tags=[{"Key": "wharf:source-topic", "Value": source}])
    events.put_targets(Rule=name, Targets=[
        {"Id": "out", "Arn": f"arn:wharf:kafka:::topic/{out}", "InputPath": "$.n"}])
    got = [int(r["value"]) for r in consume(router.bootstrap, out, 1500, timeout=60)]
    assert got == list(range(1500))


def test_a_write_the_target_topic_refuses_is_dead_lettered(router, name):
    # The target topic takes records up to 2,000 bytes; the one larger event goes to the
    # dead-letter topic with Kafka's error, its neighbours in the same poll still arrive.
    events = router.client()
    source, out, dlq = f"{name}-source", f"{name}-out", f"{name}-dlq"
    _topic(router.bootstrap, source)
    _topic(router.bootstrap, out, {"max.message.bytes": "2000"})
    events.put_rule(Name=name, EventPattern=json.dumps({"kind": ["json"]}),
                    Tags=[{"Key": "wharf:source-topic", "Value": source}])
    events.put_targets(Rule=name, Targets=[{
        "Id": "out", "Arn": f"arn:wharf:kafka:::topic/{out}",
        "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 600},
        "DeadLetterConfig": {"Arn": f"arn:wharf:kafka:::topic/{dlq}"}}])
    _produce_many(router.bootstrap, source, [
        json.dumps({"kind": "json", "n": i, "pad": "x" * (5000 if i == 20 else 10)}).encode()
        for i in range(50)])
    got = [json.loads(r["value"])["n"] for r in consume(router.bootstrap, out, 49, timeout=60)]
    assert sorted(got) == [i for i in range(50) if i != 20]
    dead = consume(router.bootstrap, dlq, 1)
    assert json.loads(dead[0]["value"])["n"] == 20
    assert dead[0]["headers"]["ERROR_CODE"].startswith("KAFKA_")
    assert "EXHAUSTED_RETRY_CONDITION" not in dead[0]["headers"]  # too large is final
    assert len(consume(router.bootstrap, out, 49, timeout=3)) == 49
