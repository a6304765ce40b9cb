"""The two other kinds of function, from outside Wharf: a command per batch (a Python
script reading the event on stdin) and an HTTP endpoint speaking the Lambda Runtime
Interface Emulator's invoke API (a Python server in this test, standing in for a
container running the RIE)."""

from __future__ import annotations

import json
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from function_tool import invoke, kafka_event

EXEC_SCRIPT = textwrap.dedent("""
    import base64, json, os, sys, time
    event = json.load(sys.stdin)
    values = [base64.b64decode(r["value"]).decode()
              for batch in event["records"].values() for r in batch]
    print("exec function got", len(values), "records", file=sys.stderr)
    if "fail" in values:
        print("cannot handle record 'fail'", file=sys.stderr)
        sys.exit(4)
    if "sleep" in values:
        time.sleep(30)
    json.dump({"values": values, "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}, sys.stdout)
""")


def test_command_per_batch(tmp_path):
    script = tmp_path / "handler.py"
    script.write_text(EXEC_SCRIPT)
    spec = {"name": "exec-kafka", "exec": [sys.executable, str(script)], "timeout_ms": 1500}
    run = invoke(spec, [kafka_event("t", ["a", "b"]), kafka_event("t", ["fail"]),
                        kafka_event("t", ["sleep"])])
    ok, failed, slow = run.results
    assert ok["outcome"] == "success", ok
    assert json.loads(ok["payload"]) == {"values": ["a", "b"], "function": "exec-kafka"}
    assert failed["outcome"] == "function_error"
    assert failed["error_type"] == "Runtime.ExitError"
    assert "cannot handle record 'fail'" in failed["error_message"]
    assert slow["outcome"] == "timed_out"
    assert slow["duration_us"] < 10_000_000
    assert "exec function got 2 records" in run.log


class EmulatorHandler(BaseHTTPRequestHandler):
    """The RIE's invoke route: the event in, the handler's result (or its error
    document) out."""

    protocol_version = "HTTP/1.1"
    connections: set[tuple] = set()

    def do_POST(self):  # noqa: N802 (the http.server API)
        EmulatorHandler.connections.add(self.client_address)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path != "/2015-03-31/functions/function/invocations":
            return self.answer(404, b"not found")
        event = json.loads(body)
        values = [r["value"] for batch in event["records"].values() for r in batch]
        if values == ["c2xvdw=="]:  # "slow"
            time.sleep(5)
        if values == ["ZmFpbA=="]:  # "fail"
            return self.answer(200, json.dumps({"errorMessage": "bad record",
                                                "errorType": "RecordError",
                                                "stackTrace": []}).encode())
        if values == ["NTAw"]:  # "500"
            return self.answer(500, b"internal trouble")
        self.answer(200, json.dumps({"count": len(values),
                                     "request_id": self.headers.get(
                                         "Lambda-Runtime-Aws-Request-Id")}).encode())

    def answer(self, status: int, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def emulator():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EmulatorHandler)
    EmulatorHandler.connections = set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_endpoint(emulator):
    spec = {"name": "http-kafka", "url": emulator + "/2015-03-31/functions/function/invocations",
            "timeout_ms": 1000}
    run = invoke(spec, [kafka_event("t", ["a", "b", "c"]), kafka_event("t", ["fail"]),
                        kafka_event("t", ["500"]), kafka_event("t", ["slow"]),
                        kafka_event("t", ["d"])], request_id="h")
    ok, failed, status_500, slow, after = run.results
    assert ok["outcome"] == "success", ok
    assert json.loads(ok["payload"]) == {"count": 3, "request_id": "h-0"}
    assert failed["outcome"] == "function_error"
    assert failed["error_type"] == "RecordError"
    assert failed["error_message"] == "bad record"
    assert status_500["outcome"] == "function_error"
    assert status_500["error_type"] == "HTTP 500"
    assert slow["outcome"] == "timed_out"
    assert after["outcome"] == "success", after


def test_http_endpoint_reuses_its_connection(emulator):
    spec = {"name": "http-reuse", "url": emulator + "/2015-03-31/functions/function/invocations"}
    run = invoke(spec, [kafka_event("t", [str(i)]) for i in range(20)])
    assert all(r["outcome"] == "success" for r in run.results)
    assert len(EmulatorHandler.connections) == 1


def test_http_endpoint_that_is_not_there_fails_to_start():
    spec = {"name": "http-gone", "url": "http://127.0.0.1:9/2015-03-31/functions/function/invocations"}
    (result,) = invoke(spec, [kafka_event("t", ["x"])]).results
    assert result["outcome"] == "failed_to_start", result
