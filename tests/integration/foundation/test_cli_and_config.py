"""The `wharf` command line and its configuration, as a user meets them."""

import subprocess

import pytest


def run(wharf_bin, *args, env=None, timeout=10):
    return subprocess.run([wharf_bin, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, stdin=subprocess.DEVNULL)


def test_version(wharf_bin):
    out = run(wharf_bin, "version")
    assert out.returncode == 0
    assert out.stdout.startswith("wharf ")
    assert run(wharf_bin, "--version").returncode == 0


@pytest.mark.parametrize("verb", [[], ["serve"], ["version"], ["config"], ["config", "check"],
                                  ["config", "show"], ["config", "reference"]])
def test_help_on_every_verb(wharf_bin, verb):
    out = run(wharf_bin, *verb, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage:" in out.stdout


def test_unknown_verb_fails(wharf_bin):
    out = run(wharf_bin, "frobnicate")
    assert out.returncode != 0


BAD_CONFIGS = [
    # (file text, key, line, words the message must contain)
    ("admin:\n  host: 127.0.0.1\n  prot: 9000\n", "admin.prot", 3, "unknown key"),
    ("broker:\n  port: 123456\n", "broker.port", 2, "not a valid port"),
    ("admin:\n  port: eighty\n", "admin.port", 2, "not a valid port"),
    ("http:\n  read_timeout: 5s\n  max_body_size: large\n", "http.max_body_size", 3, "not a size"),
    ("log:\n  max_file_size: 12 parsecs\n", "log.max_file_size", 2, "not a size"),
    ("log:\n  level: loud\n", "log.level", 2, "not one of"),
    ("server:\n  shutdown_grace_period: 10\n", "server.shutdown_grace_period", 2, "not a duration"),
    ("nonsense: 1\n", "nonsense", 1, "unknown key"),
]


@pytest.mark.parametrize("text,key,line,words", BAD_CONFIGS)
def test_config_check_names_key_file_and_line(wharf_bin, tmp_path, text, key, line, words):
    path = tmp_path / "wharf.yaml"
    path.write_text(text)
    out = run(wharf_bin, "config", "check", str(path))
    assert out.returncode == 2
    assert f"{path}:{line}: {key}:" in out.stderr
    assert words in out.stderr


@pytest.mark.parametrize("text,key,line,words", BAD_CONFIGS[:4])
def test_serve_refuses_bad_config_with_exit_2(wharf_bin, tmp_path, text, key, line, words):
    path = tmp_path / "wharf.yaml"
    path.write_text(text)
    out = run(wharf_bin, "serve", "--config", str(path))
    assert out.returncode == 2
    assert f"{path}:{line}: {key}:" in out.stderr


def test_invalid_yaml_is_exit_2_with_line(wharf_bin, tmp_path):
    path = tmp_path / "wharf.yaml"
    path.write_text("admin:\n  port: [8080\n")
    out = run(wharf_bin, "config", "check", str(path))
    assert out.returncode == 2
    assert "invalid YAML" in out.stderr and str(path) in out.stderr


def test_missing_file_is_exit_2(wharf_bin, tmp_path):
    out = run(wharf_bin, "serve", "--config", str(tmp_path / "absent.yaml"))
    assert out.returncode == 2
    assert "cannot read" in out.stderr


def test_good_config_checks_ok(wharf_bin, tmp_path):
    path = tmp_path / "wharf.yaml"
    path.write_text("admin:\n  port: 18080\nlog:\n  format: json\n  max_file_size: 10MiB\n")
    out = run(wharf_bin, "config", "check", str(path))
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout


def test_show_applies_file_then_environment_then_flags(wharf_bin, tmp_path):
    import yaml
    path = tmp_path / "wharf.yaml"
    path.write_text("admin:\n  port: 9001\nbroker:\n  port: 9100\nlog:\n  level: warn\n")
    env = {"WHARF_ADMIN_PORT": "9002", "WHARF_BROKER_PORT": "9101", "PATH": "/usr/bin:/bin"}
    out = run(wharf_bin, "config", "show", "--config", str(path), "--set", "admin.port=9003",
              env=env)
    assert out.returncode == 0, out.stderr
    shown = yaml.safe_load(out.stdout)
    assert shown["admin"]["port"] == 9003      # flag beats environment
    assert shown["broker"]["port"] == 9101     # environment beats file
    assert shown["log"]["level"] == "warn"     # file beats default
    assert shown["rest_proxy"]["port"] == 8082  # default


def test_bad_environment_override_is_exit_2(wharf_bin):
    out = run(wharf_bin, "serve", env={"WHARF_ADMIN_PORT": "not-a-port", "PATH": "/usr/bin"})
    assert out.returncode == 2
    assert "WHARF_ADMIN_PORT" in out.stderr and "admin.port" in out.stderr


def test_defaults_are_loopback_and_usual_ports(wharf_bin):
    import yaml
    out = run(wharf_bin, "config", "show", env={"PATH": "/usr/bin"})
    shown = yaml.safe_load(out.stdout)
    expected = {"broker": 9092, "admin": 8080, "schema_registry": 8081, "rest_proxy": 8082,
                "connect": 8083}
    for section, port in expected.items():
        assert shown[section]["port"] == port
        assert shown[section]["host"] == "127.0.0.1"


def test_reference_lists_every_option_with_its_variable(wharf_bin):
    out = run(wharf_bin, "config", "reference")
    assert out.returncode == 0
    assert "| `admin.port` | port | `8080` | `WHARF_ADMIN_PORT` |" in out.stdout


def test_configuration_doc_matches_the_binary(wharf_bin):
    from wharf_fixture import REPO_ROOT
    doc = (REPO_ROOT / "docs" / "configuration.md").read_text()
    table = doc[doc.index("| key | type |"):]
    out = run(wharf_bin, "config", "reference", env={"PATH": "/usr/bin"})
    assert table == out.stdout, "docs/configuration.md is stale: run scripts/update_config_docs.sh"
