"""Handlers for bench/triggers_bench.py, run under awslambdaric: `noop` returns at once;
`latency` appends "<handler start ns> <record produce ns>" for each record to
$BENCH_OUT/latency-<function>.txt (the record's value is its produce time in ns)."""

import base64
import os
import time


def noop(event, context):
    return None


def latency(event, context):
    started = time.time_ns()
    lines = [f"{started} {base64.b64decode(r['value']).decode()}\n"
             for records in event["records"].values() for r in records]
    path = os.path.join(os.environ["BENCH_OUT"],
                        f"latency-{os.environ['AWS_LAMBDA_FUNCTION_NAME']}.txt")
    with open(path, "a") as f:
        f.write("".join(lines))
    return None
