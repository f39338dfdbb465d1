"""Kea 2.2 "Control-agent" configurations (refusals checked against kea-ctrl-agent 2.2.0 -t)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hakea.config.ctrl_agent import BasicAuthClient, load_ctrl_agent, load_ctrl_agent_file
from hakea.config.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_manual_example() -> None:
    config = load_ctrl_agent_file(str(CONFIGS / "manual-ctrl-agent.json"))
    assert (config.http_host, config.http_port) == ("192.168.56.33", 8080)
    assert {k: (s.socket_type, s.socket_name) for k, s in config.control_sockets.items()} == {
        "dhcp4": ("unix", "/tmp/kea-dhcp4-ctrl.sock"),
        "dhcp6": ("unix", "/tmp/kea-dhcp6-ctrl.sock"),
    }
    assert config.authentication is None and not config.tls and config.cert_required


def test_defaults() -> None:
    config = load_ctrl_agent({"Control-agent": {}})
    assert (config.http_host, config.http_port, config.control_sockets) == ("127.0.0.1", 8000, {})


def test_full_configuration(tmp_path: Path) -> None:
    (tmp_path / "user2").write_text("bob")
    (tmp_path / "pass2").write_text("secret2")
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    text = """
    # Kea style, with comments
    {
      "Control-agent": {
        "http-host": "10.0.0.1", "http-port": 8001,
        "trust-anchor": "%(d)s/ca.pem", "cert-file": "%(d)s/cert.pem", "key-file": "%(d)s/key.pem",
        "cert-required": false,
        "authentication": {
          "type": "basic", "realm": "kea", "directory": "%(d)s",
          "clients": [
            {"user": "alice", "password": "secret1", "comment": "ops"},
            {"user-file": "user2", "password-file": "pass2"}
          ]
        },
        "control-sockets": {"d2": {"socket-type": "unix", "socket-name": "/tmp/d2.sock", "comment": "x"}},
        "hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_rbac.so", "parameters": {"a": 1}}],
        "loggers": [{"name": "kea-ctrl-agent", "severity": "INFO", "output_options": [{"output": "stdout"}]}],
        "user-context": {"site": "lab"}, "comment": "agent"
      },
      "Dhcp4": {"valid-lifetime": 10}
    }
    """.replace("%(d)s", str(tmp_path))
    warnings: list[str] = []
    config = load_ctrl_agent(text, warnings=warnings)
    assert (config.http_host, config.http_port, config.cert_required, config.tls) == (
        "10.0.0.1",
        8001,
        False,
        True,
    )
    assert config.authentication is not None
    assert (config.authentication.realm, config.authentication.directory) == ("kea", str(tmp_path))
    assert config.authentication.clients == (
        BasicAuthClient(user="alice", password="secret1"),
        BasicAuthClient(user_file="user2", password_file="pass2"),
    )
    assert config.control_sockets["d2"].socket_name == "/tmp/d2.sock"
    assert config.hooks_libraries[0].parameters == {"a": 1}
    assert config.raw["Control-agent"]["comment"] == "agent"
    assert warnings == ['Dhcp4: ignored (this daemon reads only "Control-agent")']


def test_default_realm() -> None:
    config = load_ctrl_agent(
        {"Control-agent": {"authentication": {"type": "basic", "clients": [{"user": "u"}]}}}
    )
    assert config.authentication is not None and config.authentication.realm == "kea-control-agent"


AUTH = "Control-agent/authentication"
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown key", {"foo": 1}, "Control-agent/foo: unsupported parameter"),
    ("port range", {"http-port": 70000}, "Control-agent/http-port: 70000 is out of range 0..65535"),
    ("port type", {"http-port": "8000"}, "Control-agent/http-port: expected an integer, got string"),
    (
        "socket type",
        {"control-sockets": {"dhcp4": {"socket-type": "tcp", "socket-name": "/tmp/s"}}},
        "Control-agent/control-sockets/dhcp4/socket-type: 'tcp' is not one of: unix",
    ),
    (
        "unknown service",
        {"control-sockets": {"dhcp5": {"socket-type": "unix", "socket-name": "/tmp/s"}}},
        "Control-agent/control-sockets/dhcp5: unsupported parameter",
    ),
    ("auth type", {"authentication": {"type": "digest"}}, f"{AUTH}/type: 'digest' is not one of: basic"),
    ("auth type missing", {"authentication": {"realm": "x"}}, f"{AUTH}/type: missing mandatory parameter"),
    (
        "colon in user",
        {"authentication": {"type": "basic", "clients": [{"user": "a:b", "password": "p"}]}},
        f"{AUTH}/clients[0]/user: user must not contain a ':': 'a:b'",
    ),
    (
        "empty user",
        {"authentication": {"type": "basic", "clients": [{"user": "", "password": "p"}]}},
        f"{AUTH}/clients[0]/user: user must not be empty",
    ),
    (
        "no user",
        {"authentication": {"type": "basic", "clients": [{"password": "p"}]}},
        f"{AUTH}/clients[0]: user is required in clients items",
    ),
    (
        "user and user-file",
        {"authentication": {"type": "basic", "clients": [{"user": "u", "user-file": "f"}]}},
        f"{AUTH}/clients[0]/user-file: user and user-file are mutually exclusive",
    ),
    (
        "password and password-file",
        {
            "authentication": {
                "type": "basic",
                "clients": [{"user": "u", "password": "p", "password-file": "f"}],
            }
        },
        f"{AUTH}/clients[0]/password-file: password and password-file are mutually exclusive",
    ),
    (
        "unreadable user-file",
        {"authentication": {"type": "basic", "clients": [{"user-file": "/nonexistent/u"}]}},
        f"{AUTH}/clients[0]/user-file: can't open file '/nonexistent/u'",
    ),
    (
        "half a TLS setup",
        {"trust-anchor": "/tmp/ca.pem"},
        "Control-agent/cert-file: missing or empty: all or none of the TLS parameters must be set",
    ),
    (
        "hook entry key",
        {"hooks-libraries": [{"library": "/x.so", "user-context": {}}]},
        "Control-agent/hooks-libraries[0]/user-context: unsupported parameter",
    ),
    (
        "logger name",
        {"loggers": [{"severity": "INFO"}]},
        "Control-agent/loggers[0]/name: missing mandatory parameter",
    ),
]


@pytest.mark.parametrize(("agent", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_with_path(agent: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_ctrl_agent({"Control-agent": agent})
    assert str(err.value) == expected


def test_missing_section() -> None:
    with pytest.raises(
        ConfigError, match=r'^Control-agent: the configuration has no "Control-agent" object$'
    ):
        load_ctrl_agent({"Dhcp4": {}})
