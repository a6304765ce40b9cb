"""Functions declared through the admin API: Lambda's function API driven by boto3 and the
aws CLI (CreateFunction with a zip run by awslambdaric, ListFunctions, GetFunction,
Invoke, DeleteFunction), Wharf's own /wharf/functions and `wharf function` verbs, event
source mappings on API functions (also across a restart), and the refusals: command
functions while triggers.api_functions.allow_commands is off, zip-slip archives,
deleting a function in use, changing a config-file function."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import time
import uuid
import zipfile

import boto3
import botocore.config
import botocore.exceptions
import pytest
import requests

from backends import launch_wharf, wharf_binary
from trigger_helpers import AWS_ENV, VENV_BIN, esm, wait_until  # noqa: F401

# The fixture's Wharf may run commands and zips created through the API.
ESM_EXTRA_CONFIG = {"triggers": {"api_functions": {"allow_commands": True}}}

HANDLER_SOURCE = """\
import os

def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"echo": event, "name": context.function_name,
            "arn": context.invoked_function_arn, "level": os.environ.get("LEVEL")}
"""


@pytest.fixture(scope="module", autouse=True)
def venv_python_on_path():
    """A zip's python3.x runtime runs `python3 -m awslambdaric`: the test venv's python,
    which has awslambdaric, must come first on the PATH Wharf inherits."""
    before = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{before}"
    yield
    os.environ["PATH"] = before


def zip_bytes(members: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in members.items():
            z.writestr(name, text)
    return out.getvalue()


def http_endpoint(esm) -> str:
    """The fixture's HTTP endpoint: POST /<name> logs the event under <name>."""
    return esm.config["functions"]["http"]["url"].rsplit("/", 1)[0]


def put_url_function(esm, name: str) -> requests.Response:
    return requests.put(f"{esm.admin_url}/wharf/functions/{name}",
                        json={"url": f"{http_endpoint(esm)}/{name}", "timeout_s": 20},
                        timeout=30)


def error_type(res: requests.Response) -> str:
    return res.headers.get("X-Amzn-ErrorType", "")


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_url_function_through_the_api_feeds_a_mapping(esm, unique_topic):
    name = unique_name("apiurl")
    created = put_url_function(esm, name)
    assert created.status_code == 201, created.text
    assert created.json()["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created.json()["WharfKind"] == "url" and created.json()["WharfOrigin"] == "api"

    esm.create_topic(unique_topic)
    mapping = esm.create_mapping(name, unique_topic)
    esm.wait_state(mapping["UUID"], "Enabled")
    esm.produce(unique_topic, [{"value": f"v{i}".encode()} for i in range(5)])
    esm.wait_seen(name, unique_topic, 5)

    # Replacing the function moves the mapping onto the new instance.
    replaced = requests.put(f"{esm.admin_url}/wharf/functions/{name}",
                            json={"url": f"{http_endpoint(esm)}/{name}-v2", "timeout_s": 20},
                            timeout=30)
    assert replaced.status_code == 200, replaced.text
    esm.produce(unique_topic, [{"value": f"w{i}".encode()} for i in range(3)])
    esm.wait_seen(f"{name}-v2", unique_topic, 3)

    # In use by the mapping: refused, naming it.
    refused = requests.delete(f"{esm.admin_url}/2015-03-31/functions/{name}", timeout=30)
    assert refused.status_code == 409 and error_type(refused) == "ResourceConflictException"
    assert mapping["UUID"] in refused.json()["message"]

    esm.lambda_client().delete_event_source_mapping(UUID=mapping["UUID"])
    gone = requests.delete(f"{esm.admin_url}/2015-03-31/functions/{name}", timeout=30)
    assert gone.status_code == 204, gone.text
    missing = requests.get(f"{esm.admin_url}/2015-03-31/functions/{name}", timeout=30)
    assert missing.status_code == 404 and error_type(missing) == "ResourceNotFoundException"


def test_boto3_and_aws_cli_zip_function(esm, tmp_path):
    name = unique_name("pyzip")
    zip_path = tmp_path / "f.zip"
    zip_path.write_bytes(zip_bytes({"app.py": HANDLER_SOURCE}))
    created = esm.aws_json("create-function", "--function-name", name, "--runtime", "python3.11",
                           "--handler", "app.handler", "--role",
                           "arn:aws:iam::000000000000:role/x", "--zip-file",
                           f"fileb://{zip_path}", "--timeout", "20", "--environment",
                           "Variables={LEVEL=debug}")
    assert created["FunctionName"] == name
    assert created["Runtime"] == "python3.11" and created["Handler"] == "app.handler"
    assert created["State"] == "Active" and created["Version"] == "$LATEST"
    assert created["Timeout"] == 20 and created["PackageType"] == "Zip"
    assert created["Environment"] == {"Variables": {"LEVEL": "debug"}}

    listed = esm.aws_json("list-functions")
    assert name in [f["FunctionName"] for f in listed["Functions"]]
    assert "sh" in [f["FunctionName"] for f in listed["Functions"]]  # the config file's too
    got = esm.aws_json("get-function", "--function-name", name)
    assert got["Configuration"]["CodeSha256"] == created["CodeSha256"]

    out = tmp_path / "out.json"
    invoked = esm.aws_json("invoke", "--function-name", name, "--payload", '{"k": 1}', str(out))
    assert invoked["StatusCode"] == 200 and invoked["ExecutedVersion"] == "$LATEST"
    answer = json.loads(out.read_text())
    assert answer == {"echo": {"k": 1}, "name": name, "level": "debug",
                      "arn": f"arn:aws:lambda:us-east-1:000000000000:function:{name}"}

    client = esm.lambda_client()
    # A function ARN names it too.
    arn = created["FunctionArn"]
    res = client.invoke(FunctionName=arn, Payload=b'{"fail": true}')
    assert res["FunctionError"] == "Unhandled"
    doc = json.loads(res["Payload"].read())
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "asked to fail"
    assert client.invoke(FunctionName=name, InvocationType="Event",
                         Payload=b"{}")["StatusCode"] == 202
    assert client.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        client.invoke(FunctionName=name, Payload=b"not json")
    assert bad.value.response["Error"]["Code"] == "InvalidRequestContentException"

    # UpdateFunctionConfiguration and UpdateFunctionCode replace it.
    updated = client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"LEVEL": "info"}})
    assert updated["Environment"]["Variables"] == {"LEVEL": "info"}
    assert json.loads(client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())[
        "level"] == "info"
    new_code = zip_bytes({"app.py": HANDLER_SOURCE.replace('"echo"', '"echo2"')})
    recoded = client.update_function_code(FunctionName=name, ZipFile=new_code)
    assert recoded["CodeSha256"] != created["CodeSha256"]
    assert "echo2" in json.loads(client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())

    esm.aws("delete-function", "--function-name", arn)
    proc = esm.aws("get-function", "--function-name", name, check=False)
    assert proc.returncode != 0 and "ResourceNotFoundException" in proc.stderr
    # Its code directory goes with it.
    wait_until(lambda: not (esm.workdir / "data" / "functions" / name).exists()
               or not any((esm.workdir / "data" / "functions" / name).iterdir()),
               timeout=10, what="the code directory to go")


BOOTSTRAP = """\
#!/usr/bin/env python3
# A custom runtime (Lambda's provided.al2023 contract): the Runtime API loop itself.
import json, os, urllib.request
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    with urllib.request.urlopen(f"http://{api}/2018-06-01/runtime/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    body = json.dumps({"custom": event, "handler": os.environ["_HANDLER"]}).encode()
    urllib.request.urlopen(urllib.request.Request(
        f"http://{api}/2018-06-01/runtime/invocation/{request_id}/response", data=body,
        method="POST")).read()
"""


def test_custom_runtime_runs_the_zips_bootstrap(esm):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.create_system = 3  # Unix: external_attr holds the mode
        info.external_attr = 0o100755 << 16
        z.writestr(info, BOOTSTRAP)
    name = unique_name("custom")
    client = esm.lambda_client()
    client.create_function(FunctionName=name, Runtime="provided.al2023", Handler="my.handler",
                           Role="arn:aws:iam::000000000000:role/x", Timeout=20,
                           Code={"ZipFile": out.getvalue()})
    res = client.invoke(FunctionName=name, Payload=b'{"n": 7}')
    assert "FunctionError" not in res, res["Payload"].read()
    assert json.loads(res["Payload"].read()) == {"custom": {"n": 7}, "handler": "my.handler"}
    # Without an executable bootstrap the package is refused.
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        client.create_function(FunctionName=unique_name("nobootstrap"), Runtime="provided.al2",
                               Role="arn:aws:iam::000000000000:role/x",
                               Code={"ZipFile": zip_bytes({"main.py": "x"})})
    assert "bootstrap" in str(refused.value)
    client.delete_function(FunctionName=name)


def test_zip_slip_refused(esm):
    client = esm.lambda_client()
    name = unique_name("slip")
    for evil in ({"app.py": "x", "../../evil.py": "import os"},
                 {"/tmp/evil-wharf.py": "x"}):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            client.create_function(FunctionName=name, Runtime="python3.11",
                                   Handler="app.handler",
                                   Role="arn:aws:iam::000000000000:role/x",
                                   Code={"ZipFile": zip_bytes(evil)})
        assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert "leaves the archive" in str(refused.value) or "absolute" in str(refused.value)
    assert not (esm.workdir / "evil.py").exists()
    assert not (esm.workdir / "data" / "evil.py").exists()
    with pytest.raises(botocore.exceptions.ClientError) as nodejs:
        client.create_function(FunctionName=name, Runtime="nodejs20.x", Handler="index.handler",
                               Role="arn:aws:iam::000000000000:role/x",
                               Code={"ZipFile": zip_bytes({"index.js": "x"})})
    assert nodejs.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(botocore.exceptions.ClientError):
        client.get_function(FunctionName=name)


def test_config_file_function_is_read_only(esm):
    deleted = requests.delete(f"{esm.admin_url}/2015-03-31/functions/sh", timeout=30)
    assert deleted.status_code == 409 and error_type(deleted) == "ResourceConflictException"
    assert "config file" in deleted.json()["message"]
    replaced = requests.put(f"{esm.admin_url}/wharf/functions/sh",
                            json={"url": "http://127.0.0.1:9/x"}, timeout=30)
    assert replaced.status_code == 409 and "config file" in replaced.json()["message"]
    with pytest.raises(botocore.exceptions.ClientError) as updated:
        esm.lambda_client().update_function_configuration(FunctionName="sh", Timeout=5)
    assert updated.value.response["Error"]["Code"] == "ResourceConflictException"
    # boto3 drops members its model lacks: read Wharf's own with requests.
    conf = requests.get(f"{esm.admin_url}/2015-03-31/functions/sh/configuration",
                        timeout=30).json()
    assert conf["WharfOrigin"] == "config" and conf["WharfKind"] == "exec"


def test_wharf_function_cli(esm):
    name = unique_name("cli")
    env = {**os.environ, "WHARF_ADMIN_URL": esm.admin_url}

    def wharf(*args):
        return subprocess.run([wharf_binary(), "function", *args], capture_output=True,
                              text=True, timeout=60, env=env)

    made = wharf("create", name, "--url", f"{http_endpoint(esm)}/{name}", "--timeout", "7")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["Timeout"] == 7
    listed = json.loads(wharf("list").stdout)
    assert name in [f["name"] for f in listed["Functions"]]
    got = json.loads(wharf("get", name).stdout)
    assert got["Configuration"]["FunctionName"] == name
    invoked = wharf("invoke", name, "--payload", json.dumps({"Records": {}}))
    assert invoked.returncode == 0, invoked.stderr
    refused = wharf("delete", "sh")
    assert refused.returncode == 1 and "config file" in refused.stderr
    assert wharf("delete", name).returncode == 0
    assert wharf("get", name).returncode == 1


def test_delete_refused_while_a_router_rule_targets_it(esm):
    name = unique_name("ruled")
    assert put_url_function(esm, name).status_code == 201
    eb = boto3.client("events", endpoint_url=esm.admin_url, region_name="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="x",
                      config=botocore.config.Config(retries={"max_attempts": 1}))
    rule = unique_name("rule")
    eb.put_rule(Name=rule, EventPattern=json.dumps({"source": ["x"]}))
    eb.put_targets(Rule=rule, Targets=[{"Id": "1", "Arn":
                   f"arn:aws:lambda:us-east-1:000000000000:function:{name}"}])
    refused = requests.delete(f"{esm.admin_url}/wharf/functions/{name}", timeout=30)
    assert refused.status_code == 409, refused.text
    assert f"default/{rule}" in refused.json()["message"]
    eb.remove_targets(Rule=rule, Ids=["1"])
    eb.delete_rule(Name=rule)
    # A pipe enriching with it holds it too.
    pipes = boto3.client("pipes", endpoint_url=esm.admin_url, region_name="us-east-1",
                         aws_access_key_id="x", aws_secret_access_key="x",
                         config=botocore.config.Config(retries={"max_attempts": 1}))
    pipe = unique_name("pipe")
    pipes.create_pipe(Name=pipe, RoleArn="arn:aws:iam::000000000000:role/p",
                      Source=f"arn:wharf:kafka:::topic/{pipe}-in",
                      Enrichment=f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
                      Target=f"arn:wharf:kafka:::topic/{pipe}-out")
    refused = requests.delete(f"{esm.admin_url}/wharf/functions/{name}", timeout=30)
    assert refused.status_code == 409, refused.text
    assert f"pipe {pipe}" in refused.json()["message"]
    pipes.delete_pipe(Name=pipe)
    deadline = time.monotonic() + 30
    while (status := requests.delete(f"{esm.admin_url}/wharf/functions/{name}",
                                     timeout=30).status_code) == 409:
        assert time.monotonic() < deadline, "the deleted pipe still holds the function"
        time.sleep(0.2)
    assert status == 204


def test_api_functions_survive_a_restart(esm, unique_topic, tmp_path):
    url_name = unique_name("keepurl")
    assert put_url_function(esm, url_name).status_code == 201
    zip_name = unique_name("keepzip")
    # Incompressible filler, so the code takes several 512 KiB records in the topic.
    esm.lambda_client().create_function(
        FunctionName=zip_name, Runtime="python3.12", Handler="app.handler",
        Role="arn:aws:iam::000000000000:role/x", Timeout=20,
        Code={"ZipFile": zip_bytes({"app.py": HANDLER_SOURCE,
                                    "filler.txt": base64.b64encode(os.urandom(1_200_000))})})
    esm.create_topic(unique_topic)
    mapping = esm.create_mapping(url_name, unique_topic)
    esm.wait_state(mapping["UUID"], "Enabled")
    esm.produce(unique_topic, [{"value": b"before"}])
    esm.wait_seen(url_name, unique_topic, 1)

    # The code comes back from the triggers topic, even with the unpacked copy gone.
    esm.stop()
    shutil.rmtree(esm.workdir / "data" / "functions")
    esm.start()
    names = [f["FunctionName"] for f in esm.lambda_client().list_functions()["Functions"]]
    assert url_name in names and zip_name in names
    esm.produce(unique_topic, [{"value": b"after"}])
    esm.wait_seen(url_name, unique_topic, 2)
    res = esm.lambda_client().invoke(FunctionName=zip_name, Payload=b'{"after": 1}')
    assert "FunctionError" not in res
    assert json.loads(res["Payload"].read())["echo"] == {"after": 1}
    esm.lambda_client().delete_event_source_mapping(UUID=mapping["UUID"])


# --- the default: no command functions through the API ---------------------------------

@pytest.fixture()
def locked_wharf(tmp_path):
    w = launch_wharf(tmp_path, {"schema_registry": {"enabled": False},
                                "rest_proxy": {"enabled": False},
                                "connect": {"enabled": False},
                                "triggers": {"topic": f"_wharf_triggers-{uuid.uuid4().hex[:8]}"}})
    wait_until(lambda: requests.get(w.admin_url + "/2015-03-31/functions",
                                    timeout=5).status_code == 200, timeout=60,
               what="the function API")
    yield w
    w.stop()


def test_command_functions_refused_by_default(locked_wharf, tmp_path):
    url = locked_wharf.admin_url
    zip_path = tmp_path / "f.zip"
    zip_path.write_bytes(zip_bytes({"app.py": HANDLER_SOURCE}))
    proc = subprocess.run(
        [str(VENV_BIN / "aws"), "lambda", "create-function", "--endpoint-url", url,
         "--function-name", "f", "--runtime", "python3.11", "--handler", "app.handler",
         "--role", "arn:aws:iam::000000000000:role/x", "--zip-file", f"fileb://{zip_path}"],
        capture_output=True, text=True, timeout=60, env={**os.environ, **AWS_ENV})
    assert proc.returncode != 0
    assert "AccessDeniedException" in proc.stderr
    assert "triggers.api_functions.allow_commands" in proc.stderr
    for kind in ({"exec": ["sh", "-c", "touch /tmp/wharf-pwned"]},
                 {"runtime": ["python3", "-m", "awslambdaric", "a.b"]}):
        res = requests.put(f"{url}/wharf/functions/cmd", json=kind, timeout=30)
        assert res.status_code == 403 and error_type(res) == "AccessDeniedException"
        assert "triggers.api_functions.allow_commands" in res.json()["message"]
    assert requests.get(f"{url}/2015-03-31/functions/cmd", timeout=30).status_code == 404
    # URL functions are fine, within the concurrency cap.
    ok = requests.put(f"{url}/wharf/functions/web", json={"url": "http://127.0.0.1:9/x"},
                      timeout=30)
    assert ok.status_code == 201, ok.text
    capped = requests.put(f"{url}/wharf/functions/web2",
                          json={"url": "http://127.0.0.1:9/x", "concurrency": 500}, timeout=30)
    assert capped.status_code == 400
    assert "triggers.api_functions.max_concurrency" in capped.json()["message"]
    time.sleep(0.2)
    assert not os.path.exists("/tmp/wharf-pwned")
