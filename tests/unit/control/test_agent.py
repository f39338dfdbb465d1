"""The control agent: Kea's Control-agent config, forwarding to real UNIX sockets, its own commands."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hakea.config.errors import ConfigError
from hakea.control.agent import AgentConfig, ControlAgent, load_agent_config, load_agent_config_file
from hakea.control.auth import AuthConfigError, parse_basic_auth
from hakea.control.errors import HttpStatusError
from hakea.control.http_client import HttpCommandClient
from hakea.control.unix_server import UnixCommandServer, start_unix_listener

from .conftest import make_registry

KEA_SAMPLE = "/etc/kea/kea-ctrl-agent.conf"


# configuration


def test_parses_debians_sample_config_with_comments() -> None:
    if not os.path.exists(KEA_SAMPLE):
        pytest.skip("Debian's kea-ctrl-agent.conf is not installed")
    with open(KEA_SAMPLE) as f:
        config = load_agent_config(f.read())
    assert (config.http_host, config.http_port) == ("127.0.0.1", 8000)
    assert config.control_sockets["dhcp4"] == "/run/kea/kea4-ctrl-socket"
    assert set(config.control_sockets) == {"dhcp4", "dhcp6", "d2"}
    assert config.auth is None and config.tls is None


def test_comment_styles_and_strings() -> None:
    text = """
    # hash
    { "Control-agent": { // slash
        /* block
           comment */ "http-host": "10.0.0.1", "http-port": 8080,
        "comment": "not // a comment, nor # this, nor /* this */"
    } }"""
    config = load_agent_config(text)
    assert config.http_host == "10.0.0.1" and config.http_port == 8080
    assert config.raw["Control-agent"]["comment"] == "not // a comment, nor # this, nor /* this */"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, 'Control-agent: the configuration has no "Control-agent" object'),
        ({"Control-agent": {"http-port": "x"}}, "Control-agent/http-port: expected an integer"),
        ({"Control-agent": {"http-port": 70000}}, "Control-agent/http-port: 70000 is out of range"),
        ({"Control-agent": {"http-host": ""}}, "Control-agent/http-host: must not be empty"),
        ({"Control-agent": {"http-prot": 1}}, "Control-agent/http-prot: unsupported parameter"),
        (
            {"Control-agent": {"control-sockets": {"dhcp5": {}}}},
            "control-sockets/dhcp5: unsupported parameter",
        ),
        (
            {"Control-agent": {"control-sockets": {"dhcp4": {"socket-type": "tcp", "socket-name": "x"}}}},
            "control-sockets/dhcp4/socket-type: 'tcp' is not one of: unix",
        ),
        ({"Control-agent": {"control-sockets": {"dhcp4": {}}}}, "dhcp4/socket-name: missing mandatory"),
        ({"Control-agent": {"authentication": {"type": "digest"}}}, "authentication/type: 'digest' is not"),
        ({"Control-agent": {"trust-anchor": "ca.pem"}}, "all or none of the TLS parameters must be set"),
    ],
)
def test_config_errors_name_the_path(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_agent_config(config)
    assert message in str(info.value)


def test_invalid_json_reports_line() -> None:
    with pytest.raises(ConfigError, match=":2:"):
        load_agent_config('{ "Control-agent":\n { "http-port": , } }')


def test_config_file_with_auth_files_relative_to_directory(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("admin:s3cret")
    conf = tmp_path / "ca.conf"
    auth = {"type": "basic", "directory": str(tmp_path), "clients": [{"password-file": "pw"}]}
    conf.write_text(json.dumps({"Control-agent": {"authentication": auth}}))
    config = load_agent_config_file(str(conf))
    assert config.auth is not None and config.auth.users == ["admin"]
    (tmp_path / "pw").write_text("no colon here")
    with pytest.raises(ConfigError, match="expected 'user:password'"):
        load_agent_config_file(str(conf))


def test_auth_clients_inline_and_from_files(tmp_path: Path) -> None:
    (tmp_path / "user").write_text("bob")
    (tmp_path / "pass").write_text("secret\n")  # Kea keeps the newline
    (tmp_path / "both").write_text("carol:pw:with:colons")
    auth = parse_basic_auth(
        {
            "type": "basic",
            "realm": "r",
            "directory": str(tmp_path),
            "clients": [
                {"user": "admin", "password": "1234", "comment": "ops"},
                {"user-file": "user", "password-file": "pass"},
                {"password-file": "both"},
                {"user": "nopass"},
            ],
        }
    )
    assert auth.realm == "r"
    assert auth.users == ["admin", "bob", "carol", "nopass"]
    from hakea.control.auth import authorization_header

    assert auth.check(authorization_header("bob", "secret\n")) == "bob"
    assert auth.check(authorization_header("bob", "secret")) is None
    assert auth.check(authorization_header("carol", "pw:with:colons")) == "carol"
    assert auth.check(authorization_header("nopass", "")) == "nopass"
    assert auth.check("Basic !!!notbase64") is None
    assert auth.check(None) is None


@pytest.mark.parametrize(
    ("client", "message"),
    [
        ({"password": "x"}, "'user' or 'user-file' is required"),
        ({"user": "a:b", "password": "x"}, "must not contain a ':'"),
        ({"user": "a", "user-file": "f"}, "exclusive"),
        ({"user": "a", "password": "p", "password-file": "f"}, "exclusive"),
        ({"user": 5}, "user: must be a string"),
        ({"user-file": "missing"}, "cannot read"),
        ({"user": ""}, "the user name is empty"),
    ],
)
def test_auth_client_errors(client: dict[str, Any], message: str, tmp_path: Path) -> None:
    with pytest.raises(AuthConfigError, match=message):
        parse_basic_auth({"type": "basic", "directory": str(tmp_path), "clients": [client]})


def test_default_realm_is_keas() -> None:
    assert parse_basic_auth({"type": "basic"}).challenge() == 'Basic realm="kea-control-agent"'


# forwarding and the agent's own commands


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[UnixCommandServer]:
    """A real registry on a real UNIX socket, standing in for kea-dhcp4 / hakea-dhcp4."""
    server = await start_unix_listener(make_registry(), str(tmp_path / "dhcp4.sock"))
    yield server
    await server.close()


@pytest.fixture
async def agent(daemon: UnixCommandServer, tmp_path: Path) -> AsyncIterator[ControlAgent]:
    config_file = tmp_path / "ca.json"
    raw = {
        "Control-agent": {
            "http-host": "127.0.0.1",
            "http-port": 0,
            "control-sockets": {
                "dhcp4": {"socket-type": "unix", "socket-name": daemon.path},
                "dhcp6": {"socket-type": "unix", "socket-name": str(tmp_path / "dhcp6-not-running.sock")},
            },
        }
    }
    config_file.write_text(json.dumps(raw))
    agent = ControlAgent(load_agent_config(raw), config_file=str(config_file))
    await agent.start()
    yield agent
    await agent.stop()


async def send(agent: ControlAgent, command: dict[str, Any], **client_args: Any) -> Any:
    assert agent.server is not None
    async with HttpCommandClient(**client_args) as client:
        return await client.post_command(agent.server.url, command, 5)


async def test_forwards_to_the_daemon_with_remote_address(agent: ControlAgent) -> None:
    [answer] = await send(
        agent, {"command": "echo", "service": ["dhcp4"], "arguments": {"ip-address": "10.0.0.1"}}
    )
    assert answer["text"] == "echoed"
    assert answer["arguments"]["echo"] == {"ip-address": "10.0.0.1"}
    assert answer["arguments"]["transport"] == "unix"
    assert answer["arguments"]["remote"] == "127.0.0.1"  # Kea's agent adds "remote-address"
    assert answer["arguments"]["service"] == ["dhcp4"]  # and keeps "service"


async def test_one_answer_per_service_in_order(agent: ControlAgent) -> None:
    answers = await send(agent, {"command": "foo", "service": ["dhcp4", "dhcp6", "d2"]})
    assert answers == [
        {"result": 2, "text": "'foo' command not supported."},
        {
            "result": 1,
            "text": "unable to forward command to the dhcp6 service: No such file or directory."
            " The server is likely to be offline",
        },
        {"result": 1, "text": "forwarding socket is not configured for the server type d2"},
    ]


async def test_daemon_socket_refusing(agent: ControlAgent, tmp_path: Path) -> None:
    import socket

    dead = str(tmp_path / "dhcp6-not-running.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(dead)  # the file exists, nobody listens
    try:
        [answer] = await send(agent, {"command": "x", "service": ["dhcp6"]})
    finally:
        s.close()
    assert answer["text"] == (
        "unable to forward command to the dhcp6 service: Connection refused."
        " The server is likely to be offline"
    )


async def test_unreadable_daemon_answers(agent: ControlAgent, tmp_path: Path) -> None:
    replies = iter([b"garbage", b"", b'[{"result": 0, "text": "a"}]'])

    async def fake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1000)
        writer.write(next(replies))
        writer.close()

    path = str(tmp_path / "fake.sock")
    server = await asyncio.start_unix_server(fake, path)
    agent.config = replace(agent.config, control_sockets={"dhcp4": path})
    [first] = await send(agent, {"command": "x", "service": ["dhcp4"]})
    assert first["result"] == 1
    assert first["text"].startswith(
        "internal server error: unable to parse server's answer to the forwarded message: invalid JSON"
    )
    [second] = await send(agent, {"command": "x", "service": ["dhcp4"]})
    assert second == {
        "result": 1,
        "text": "internal server error: unable to parse server's answer to the forwarded message:"
        " nothing read",
    }
    # Kea puts a daemon's answer into the list as it came, a list included.
    assert await send(agent, {"command": "x", "service": ["dhcp4"]}) == [[{"result": 0, "text": "a"}]]
    server.close()


async def test_no_service_is_handled_by_the_agent(agent: ControlAgent) -> None:
    [answer] = await send(agent, {"command": "list-commands"})
    assert answer == {
        "arguments": [
            "build-report",
            "config-get",
            "config-reload",
            "config-set",
            "config-test",
            "config-write",
            "list-commands",
            "shutdown",
            "status-get",
            "version-get",
        ],
        "result": 0,
    }
    assert (await send(agent, {"command": "version-get", "service": []}))[0]["result"] == 0


async def test_unknown_agent_command_gets_keas_hint(agent: ControlAgent) -> None:
    [answer] = await send(agent, {"command": "foo"})
    assert answer["result"] == 2
    assert answer["text"].startswith("'foo' command not supported. You did not include \"service\" parameter")
    assert answer["text"].endswith("to forward it to DHCPv4, DHCPv6 and D2 servers etc.")


async def test_invalid_command_to_agent(agent: ControlAgent) -> None:
    assert await send(agent, {"arguments": {}}) == [
        {"result": 1, "text": (
            "Error during command processing: Invalid answer specified, does not contain mandatory 'command'"
        )}
    ]


async def test_config_get_test_set(agent: ControlAgent, tmp_path: Path) -> None:
    [got] = await send(agent, {"command": "config-get"})
    ca = got["arguments"]["Control-agent"]
    assert ca["http-host"] == "127.0.0.1" and "dhcp4" in ca["control-sockets"]
    assert ca["hooks-libraries"] == []

    assert await send(
        agent, {"command": "config-test", "arguments": {"Control-agent": {"http-port": 8001}}}
    ) == [{"result": 0, "text": "Configuration check successful"}]
    assert await send(agent, {"command": "config-test"}) == [
        {"result": 1, "text": "Missing mandatory 'arguments' parameter."}
    ]
    assert await send(agent, {"command": "config-test", "arguments": {"Dhcp4": {}}}) == [
        {"result": 1, "text": "Missing mandatory 'Control-agent' parameter."}
    ]
    [bad] = await send(agent, {"command": "config-test", "arguments": {"Control-agent": {"http-port": "x"}}})
    assert bad["result"] == 1 and "http-port" in bad["text"]

    # config-set, same listener address: the listener is kept, the sockets change.
    assert agent.server is not None
    server = agent.server
    new = {"Control-agent": {"http-host": "127.0.0.1", "http-port": 0, "control-sockets": {}}}
    assert await send(agent, {"command": "config-set", "arguments": new}) == [
        {"result": 0, "text": "Configuration applied successfully."}
    ]
    assert agent.server is server
    [answer] = await send(agent, {"command": "x", "service": ["dhcp4"]})
    assert answer["text"] == "forwarding socket is not configured for the server type dhcp4"


async def test_config_set_moves_the_listener_after_answering(agent: ControlAgent) -> None:
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    free_port = probe.getsockname()[1]
    probe.close()
    new = {"Control-agent": {"http-host": "127.0.0.1", "http-port": free_port}}
    # The answer comes back on the old listener's connection before it closes.
    assert await send(agent, {"command": "config-set", "arguments": new}) == [
        {"result": 0, "text": "Configuration applied successfully."}
    ]
    assert agent.server is not None and agent.server.port == free_port
    assert (await send(agent, {"command": "status-get"}))[0]["result"] == 0


async def test_config_set_to_a_busy_port_keeps_the_old_config(agent: ControlAgent) -> None:
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    old = agent.config
    new = {"Control-agent": {"http-host": "127.0.0.1", "http-port": busy.getsockname()[1]}}
    [answer] = await send(agent, {"command": "config-set", "arguments": new})
    busy.close()
    assert answer["result"] == 1 and answer["text"].startswith(
        "Config set failed: cannot listen on 127.0.0.1:"
    )
    assert agent.config is old


async def test_config_write_and_reload(agent: ControlAgent, tmp_path: Path) -> None:
    out = tmp_path / "written.json"
    [answer] = await send(agent, {"command": "config-write", "arguments": {"filename": str(out)}})
    assert answer["result"] == 0 and answer["text"] == f"Configuration written to {out} successful"
    assert answer["arguments"] == {"filename": str(out), "size": len(out.read_text())}
    assert load_agent_config(out.read_text()).control_sockets == agent.config.control_sockets

    # config-reload re-reads the file the agent started from.
    assert agent.config_file is not None
    raw = json.loads(Path(agent.config_file).read_text())
    del raw["Control-agent"]["control-sockets"]["dhcp6"]
    Path(agent.config_file).write_text(json.dumps(raw))
    assert await send(agent, {"command": "config-reload"}) == [
        {"result": 0, "text": "Configuration applied successfully."}
    ]
    assert set(agent.config.control_sockets) == {"dhcp4"}
    Path(agent.config_file).write_text("{ broken")
    [failed] = await send(agent, {"command": "config-reload"})
    assert failed["result"] == 1 and failed["text"].startswith("Config reload failed: ")
    assert set(agent.config.control_sockets) == {"dhcp4"}  # the running config is kept


async def test_status_get_and_shutdown(agent: ControlAgent) -> None:
    [status] = await send(agent, {"command": "status-get"})
    assert status["result"] == 0 and status["arguments"]["pid"] == os.getpid()
    assert set(status["arguments"]) == {"pid", "reload", "uptime"}
    assert await send(agent, {"command": "shutdown"}) == [
        {"result": 0, "text": "Control Agent is shutting down"}
    ]
    await asyncio.wait_for(agent.stopped.wait(), 2)


async def test_agent_with_basic_auth(daemon: UnixCommandServer) -> None:
    config = load_agent_config(
        {
            "Control-agent": {
                "http-port": 0,
                "authentication": {"type": "basic", "clients": [{"user": "admin", "password": "1234"}]},
                "control-sockets": {"dhcp4": {"socket-name": daemon.path}},
            }
        }
    )
    agent = ControlAgent(config)
    await agent.start()
    with pytest.raises(HttpStatusError) as info:
        await send(agent, {"command": "echo", "service": ["dhcp4"]})
    assert info.value.status == 401
    [answer] = await send(agent, {"command": "echo", "service": ["dhcp4"]}, auth=("admin", "1234"))
    assert answer["result"] == 0
    await agent.stop()


def test_agent_config_defaults() -> None:
    config = load_agent_config({"Control-agent": {}})
    assert config == AgentConfig(raw={"Control-agent": {}})
