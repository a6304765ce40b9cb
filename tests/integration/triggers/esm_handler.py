"""The Lambda handler that the event source mapping tests run in every function kind: under
the real awslambdaric runtime client (`esm_handler.handler`), as an `exec` command
(`python esm_handler.py`, event on stdin) and behind the tests' HTTP endpoint (`handle`).

Each invocation appends one JSON line to $ESM_OUT/<function name>.jsonl: when it started,
the process id, the event's own fields and every record decoded. What a record's value
says decides how it fares:
  - contains "fail-always": the record fails every time;
  - contains "fail-once": the record fails the first time this function sees it;
  - contains "hang-once": the first time, the handler sleeps 60 s (past any test timeout);
  - contains "sleep-ms:N": the handler sleeps N ms;
  - contains "bogus-once" (report mode): the first time, the answer names an offset that
    is in no record of the batch.
A failing record raises (runtime), exits 1 (exec) or answers 500 (HTTP); with
ESM_MODE=report the handler instead answers Lambda's partial batch response naming the
failed records.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import time


class RecordFailed(Exception):
    pass


def _out_dir() -> str:
    return os.environ.get("ESM_OUT", ".")


def _seen_before(function: str, marker: str) -> bool:
    """True if this function already saw marker (kept as a file, across processes)."""
    path = os.path.join(_out_dir(), "seen", f"{function}-{marker}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.close(fd)
        return False
    except FileExistsError:
        return True


def _decode(text):
    return None if text is None else base64.b64decode(text)


def handle(event: dict, function: str) -> dict | None:
    """Logs the invocation and returns the partial batch response (report mode) or None;
    raises RecordFailed when a record fails (other modes)."""
    started = time.time()
    records = []
    for group_key, items in event.get("records", {}).items():
        for r in items:
            key, value = _decode(r.get("key")), _decode(r.get("value"))
            records.append({
                "group": group_key, "topic": r["topic"], "partition": r["partition"],
                "offset": r["offset"], "timestamp": r["timestamp"],
                "timestampType": r["timestampType"],
                "has_key": "key" in r, "has_value": "value" in r,
                "key": None if key is None else key.hex(),
                "value": None if value is None else value.hex(),
                "headers": [[k, v] for h in r["headers"] for k, v in h.items()],
            })
    line = {"start": started, "pid": os.getpid(), "function": function,
            "instance": os.environ.get("ESM_INSTANCE", ""),
            "eventSource": event.get("eventSource"), "has_arn": "eventSourceArn" in event,
            "eventSourceArn": event.get("eventSourceArn"),
            "bootstrapServers": event.get("bootstrapServers"), "records": records}
    fd = os.open(os.path.join(_out_dir(), f"{function}.jsonl"),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)

    failed, bogus = [], []
    for r in records:
        value = bytes.fromhex(r["value"]) if r["value"] else b""
        marker = f"{r['topic']}-{r['partition']}-{r['offset']}"
        m = re.search(rb"sleep-ms:(\d+)", value)
        if m:
            time.sleep(int(m.group(1)) / 1000)
        if b"hang-once" in value and not _seen_before(function, marker + "-hang"):
            time.sleep(60)
        if b"fail-always" in value or (b"fail-once" in value
                                        and not _seen_before(function, marker)):
            failed.append(r)
        if b"bogus-once" in value and not _seen_before(function, marker + "-bogus"):
            bogus.append({"itemIdentifier": {"partition": r["group"], "offset": 10**12}})
    if not failed and not bogus:
        return None
    if os.environ.get("ESM_MODE") == "report":
        return {"batchItemFailures": bogus + [
            {"itemIdentifier": {"partition": r["group"], "offset": r["offset"]}} for r in failed]}
    raise RecordFailed(f"{len(failed)} records failed, first at offset {failed[0]['offset']}")


def handler(event, context):
    """The awslambdaric entry point."""
    return handle(event, os.environ["AWS_LAMBDA_FUNCTION_NAME"])


if __name__ == "__main__":  # the exec function: the event on stdin
    try:
        answer = handle(json.load(sys.stdin), os.environ["AWS_LAMBDA_FUNCTION_NAME"])
    except RecordFailed as e:
        print(e, file=sys.stderr)
        sys.exit(1)
    print(json.dumps(answer))
