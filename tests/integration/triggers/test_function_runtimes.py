"""Wharf's Runtime API against AWS's own runtime interface clients, running unmodified
handlers: Python's awslambdaric (`python -m awslambdaric module.handler`) and the Java
RIC (`com.amazonaws.services.lambda.runtime.api.client.AWSLambda`) with a
RequestHandler<KafkaEvent, String>. Each receives a Lambda Kafka event through Wharf and
answers through it; errors they raise come back as function errors with the type the
runtime reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from function_tool import REPO_ROOT, invoke, kafka_event

PYTHON_HANDLER = textwrap.dedent("""
    import base64, os, time

    def handler(event, context):
        values = [base64.b64decode(r["value"]).decode()
                  for batch in event["records"].values() for r in batch]
        if "fail" in values:
            raise ValueError("refusing a record: fail")
        if "sleep" in values:
            time.sleep(30)
        print("python handler saw", len(values), "records")
        return {"values": values, "request_id": context.aws_request_id,
                "function_name": context.function_name,
                "memory": context.memory_limit_in_mb,
                "remaining_ms": context.get_remaining_time_in_millis(),
                "pid": os.getpid(), "task_root": os.environ["LAMBDA_TASK_ROOT"]}
""")


def python_spec(workdir: Path, name: str = "py-kafka", **extra) -> dict:
    (workdir / "kafka_handler.py").write_text(PYTHON_HANDLER)
    return {"name": name, "runtime": [sys.executable, "-m", "awslambdaric", "kafka_handler.handler"],
            "handler": "kafka_handler.handler", "working_directory": str(workdir),
            "timeout_ms": 10_000, "memory_mb": 512, **extra}


def test_awslambdaric_handler_gets_the_event_and_answers(tmp_path):
    run = invoke(python_spec(tmp_path), [
        kafka_event("orders", ["a", "b", "c"]),
        kafka_event("orders", ["ok", "fail"], first_offset=3),
        kafka_event("orders", ["d"], first_offset=5),
    ], request_id="py")
    first, failed, last = run.results
    assert first["outcome"] == "success", first
    payload = json.loads(first["payload"])
    assert payload["values"] == ["a", "b", "c"]
    assert payload["request_id"] == "py-0"
    assert payload["function_name"] == "py-kafka"
    assert payload["memory"] == "512" or payload["memory"] == 512
    assert 0 < payload["remaining_ms"] <= 10_000
    assert payload["task_root"] == str(tmp_path)

    assert failed["outcome"] == "function_error", failed
    assert failed["error_type"] == "ValueError"
    assert failed["error_message"] == "refusing a record: fail"
    assert json.loads(failed["payload"])["errorType"] == "ValueError"

    # The same warm process goes on after the handler's error.
    assert last["outcome"] == "success", last
    assert json.loads(last["payload"])["pid"] == payload["pid"]
    assert "python handler saw 3 records" in run.log
    # The tool shut the function down on its way out: the warm process is gone.
    with pytest.raises(ProcessLookupError):
        os.kill(payload["pid"], 0)


def test_awslambdaric_timeout_kills_and_a_fresh_process_answers(tmp_path):
    run = invoke(python_spec(tmp_path, timeout_ms=1500), [
        kafka_event("t", ["x"]),
        kafka_event("t", ["sleep"]),
        kafka_event("t", ["y"]),
    ])
    ok, slow, after = run.results
    assert ok["outcome"] == "success"
    assert slow["outcome"] == "timed_out", slow
    assert after["outcome"] == "success", after
    assert json.loads(after["payload"])["pid"] != json.loads(ok["payload"])["pid"]


def test_awslambdaric_concurrency_runs_one_warm_process_per_slot(tmp_path):
    (tmp_path / "nap.py").write_text(textwrap.dedent("""
        import os, time
        def handler(event, context):
            time.sleep(1)
            return os.getpid()
    """))
    spec = {"name": "py-parallel", "runtime": [sys.executable, "-m", "awslambdaric", "nap.handler"],
            "handler": "nap.handler", "working_directory": str(tmp_path), "concurrency": 3,
            "timeout_ms": 10_000}
    run = invoke(spec, [kafka_event("t", [str(i)]) for i in range(6)], threads=3)
    assert all(r["outcome"] == "success" for r in run.results), run.results
    pids = {json.loads(r["payload"]) for r in run.results}
    assert len(pids) == 3


def test_awslambdaric_missing_handler_module_is_a_function_error(tmp_path):
    spec = python_spec(tmp_path)
    spec["runtime"][-1] = spec["handler"] = "no_such_module.handler"
    run = invoke(spec, [kafka_event("t", ["x"])])
    (result,) = run.results
    assert result["outcome"] == "function_error", result
    assert result["error_type"] == "Runtime.ImportModuleError"


# --- Java ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lambda_java() -> Path:
    subprocess.run(["bash", str(REPO_ROOT / "tests" / "peers" / "fetch_lambda_java.sh")],
                   check=True, timeout=600)
    homes = sorted((REPO_ROOT / ".cache" / "peers").glob("lambda-java-*"))
    assert homes, "fetch_lambda_java.sh left no .cache/peers/lambda-java-*"
    return homes[-1]


def java_spec(home: Path, tmp_path: Path) -> dict:
    return {"name": "java-kafka",
            "runtime": ["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                        f"{home / 'handler.jar'}:{home / 'libs'}/*",
                        "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                        "example.Handler::handleRequest"],
            "handler": "example.Handler::handleRequest", "working_directory": str(tmp_path),
            "timeout_ms": 30_000}


def test_java_ric_handler_gets_the_kafka_event_and_answers(lambda_java, tmp_path):
    run = invoke(java_spec(lambda_java, tmp_path), [
        kafka_event("payments", ["p1", "p2"], first_offset=40),
        kafka_event("payments", ["fail"], first_offset=42),
        kafka_event("payments", ["p3"], first_offset=43),
    ], request_id="jv")
    ok, failed, again = run.results
    assert ok["outcome"] == "success", ok
    assert json.loads(ok["payload"]) == \
        "java java-kafka jv-0 SelfManagedKafka payments/0/40=p1,payments/0/41=p2"
    assert failed["outcome"] == "function_error", failed
    assert failed["error_type"] == "java.lang.IllegalStateException"
    assert failed["error_message"] == "refusing record payments-0@42"
    assert "stackTrace" in json.loads(failed["payload"])
    assert again["outcome"] == "success", again
    assert json.loads(again["payload"]).endswith("payments/0/43=p3")
    # The handler's context.getLogger() output reaches Wharf's log.
    assert "handled 2 records from SelfManagedKafka" in run.log
