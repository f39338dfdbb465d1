"""hakea-shell and the hakea operator CLI against a registry served from a background thread."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hakea.cli import operator, shell
from hakea.control.auth import BasicAuth
from hakea.control.http_server import HttpCommandServer, registry_handler
from hakea.control.registry import CommandError, CommandRequest
from hakea.control.unix_server import UnixCommandServer

from .conftest import make_registry

LEASES: list[dict[str, Any]] = [
    {
        "client-id": f"01:00:0c:01:02:03:0{i}",
        "cltt": 1795558763,
        "fqdn-fwd": False,
        "fqdn-rev": False,
        "hostname": f"host{i}",
        "hw-address": f"00:0c:01:02:03:0{i}",
        "ip-address": f"10.0.0.{i}",
        "state": 0,
        "subnet-id": 2,
        "valid-lft": 4000,
    }
    for i in range(1, 6)
]

HA_STATUS = {
    "multi-threading-enabled": False,
    "pid": 4242,
    "reload": 7,
    "sockets": {"status": "ready"},
    "uptime": 9,
    "high-availability": [
        {
            "ha-mode": "hot-standby",
            "ha-servers": {
                "local": {"role": "primary", "scopes": ["server1"], "state": "hot-standby"},
                "remote": {
                    "age": 3,
                    "in-touch": True,
                    "last-scopes": [],
                    "last-state": "hot-standby",
                    "role": "standby",
                    "unacked-clients": 0,
                },
            },
        }
    ],
}


class Daemon:
    """A fake daemon's registry served on HTTP and a UNIX socket from its own thread and loop."""

    def __init__(self, socket_path: str, auth: BasicAuth | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.registry = make_registry()
        self.socket_path = socket_path
        self.auth = auth
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._main(),), daemon=True
        )
        self._register()

    def _register(self) -> None:
        def record(
            name: str, answer: dict[str, Any] | None = None, error: CommandError | None = None
        ) -> None:
            async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
                self.calls.append((name, arguments))
                if error is not None:
                    raise error
                return answer if answer is not None else {"result": 0, "text": f"{name} done"}

            self.registry.register(name, handler)

        async def get_page(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
            assert arguments is not None
            self.calls.append(("lease4-get-page", arguments))
            start = arguments["from"]
            after = [
                x
                for x in LEASES
                if start == "start" or int(x["ip-address"].split(".")[-1]) > int(start.split(".")[-1])
            ]
            page = after[: arguments["limit"]]
            result = 0 if page else 3
            return {
                "arguments": {"count": len(page), "leases": page},
                "result": result,
                "text": f"{len(page)} IPv4 lease(s) found.",
            }

        self.registry.register("lease4-get-page", get_page)
        record("status-get", {"arguments": HA_STATUS, "result": 0})
        record("lease4-get", {"arguments": LEASES[0], "result": 0, "text": "IPv4 lease found."})
        record(
            "lease4-get-all",
            {"arguments": {"count": 1, "leases": LEASES[:1]}, "result": 0, "text": "1 IPv4 lease(s) found."},
        )
        record("lease4-add", {"result": 0, "text": "Lease for address 10.0.0.9, subnet-id 2 added."})
        record("lease4-del", error=CommandError("IPv4 lease not found.", result=3))
        record("ha-sync")
        record("ha-scopes", {"result": 0, "text": "New HA scopes configured."})
        record("ha-continue", {"result": 0, "text": "HA state machine continues."})

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        http = HttpCommandServer(registry_handler(self.registry), auth=self.auth)
        await http.start("127.0.0.1", 0)
        unix = UnixCommandServer(self.registry)
        await unix.start(self.socket_path)
        self.port = http.port
        self._ready.set()
        await self._stop.wait()
        await http.close()
        await unix.close()

    def __enter__(self) -> Daemon:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    with Daemon(str(tmp_path / "d.sock")) as d:
        yield d


def run_hakea(daemon: Daemon, *args: str, via_socket: bool = False) -> Any:
    target = ["--socket", daemon.socket_path] if via_socket else ["--url", daemon.url]
    return CliRunner().invoke(operator.main, [*target, *args])


# hakea-shell


def test_shell_body_is_kea_shells() -> None:
    assert shell.build_body("list-commands", [], "") == '{ "command": "list-commands" }'
    assert shell.build_body("lease4-get", ["dhcp4", ""], '"ip-address": "10.0.0.1"\n') == (
        '{ "command": "lease4-get", "service": ["dhcp4"], "arguments": { "ip-address": "10.0.0.1"\n } }'
    )
    assert (
        shell.build_body("x", ["dhcp4", "dhcp6"], "\n") == '{ "command": "x", "service": ["dhcp4","dhcp6"] }'
    )


def test_shell_sends_stdin_arguments_and_prints_the_answer(daemon: Daemon) -> None:
    result = CliRunner().invoke(
        shell.main,
        ["--port", str(daemon.port), "--service", "dhcp4", "echo"],
        input='"ip-address": "10.0.0.1"\n',
    )
    assert result.exit_code == 0, result.output
    [answer] = json.loads(result.output)
    assert answer["arguments"]["echo"] == {"ip-address": "10.0.0.1"}
    assert answer["arguments"]["service"] == ["dhcp4"]


def test_shell_default_command_and_auth(tmp_path: Path) -> None:
    with Daemon(str(tmp_path / "a.sock"), auth=BasicAuth.from_clients([("admin", "1234")])) as d:
        result = CliRunner().invoke(shell.main, ["--port", str(d.port)], input="")
        assert result.exit_code == 1 and result.output == "Failed to run: HTTP Error 401: Unauthorized\n"
        result = CliRunner().invoke(
            shell.main, ["--port", str(d.port), "--auth-user", "admin", "--auth-password", "1234"], input=""
        )
        assert result.exit_code == 0
        assert "list-commands" in json.loads(result.output)[0]["arguments"]


def test_shell_option_errors_like_kea_shell() -> None:
    result = CliRunner().invoke(shell.main, ["--cert", "c"], input="")
    assert result.exit_code == 1 and result.output == "--cert and --key must be used together\n"
    result = CliRunner().invoke(shell.main, ["--cert", "c", "--key", "k"], input="")
    assert result.output == "--cert and --key with HTTPS disabled (no --ca)\n"
    assert CliRunner().invoke(shell.main, ["-v"]).output.strip()


def test_shell_connection_refused() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    result = CliRunner().invoke(shell.main, ["--port", str(port)], input="")
    assert result.exit_code == 1 and result.output.startswith("Failed to run: ")


# hakea operator CLI


def test_status_table_and_json(daemon: Daemon) -> None:
    result = run_hakea(daemon, "status")
    assert result.exit_code == 0, result.output
    assert "pid " in result.output and "4242" in result.output and "ready" in result.output
    assert "hot-standby" in result.output and "primary" in result.output and "in touch" in result.output
    result = run_hakea(daemon, "--json", "status")
    assert json.loads(result.output)["arguments"]["pid"] == 4242


def test_leases_list_pages_through_everything(daemon: Daemon) -> None:
    result = run_hakea(daemon, "leases", "list", "--page-size", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["address", "hw-address", "client-id"]
    assert [line.split()[0] for line in lines[2:7]] == [f"10.0.0.{i}" for i in range(1, 6)]
    assert lines[-1] == "5 lease(s)"
    froms = [args["from"] for name, args in daemon.calls if name == "lease4-get-page"]
    assert froms == ["start", "10.0.0.2", "10.0.0.4"]


def test_leases_list_limit_json_and_subnet(daemon: Daemon) -> None:
    result = run_hakea(daemon, "--json", "leases", "list", "--limit", "3", "--page-size", "2")
    answer = json.loads(result.output)
    assert [x["ip-address"] for x in answer["arguments"]["leases"]] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    result = run_hakea(daemon, "leases", "list", "--subnet-id", "2")
    assert result.exit_code == 0 and ("lease4-get-all", {"subnets": [2]}) in daemon.calls


def test_leases_get_add_del(daemon: Daemon) -> None:
    result = run_hakea(daemon, "leases", "get", "10.0.0.1")
    assert result.exit_code == 0 and "hw-address" in result.output and "00:0c:01:02:03:01" in result.output
    result = run_hakea(
        daemon, "leases", "add", "10.0.0.9", "--hw-address", "00:01:02:03:04:05", "--subnet-id", "2"
    )
    assert result.output == "Lease for address 10.0.0.9, subnet-id 2 added.\n"
    assert (
        "lease4-add",
        {"ip-address": "10.0.0.9", "subnet-id": 2, "hw-address": "00:01:02:03:04:05"},
    ) in daemon.calls
    result = run_hakea(daemon, "leases", "del", "10.0.0.9", via_socket=True)
    assert result.exit_code == 3 and result.output == "IPv4 lease not found.\n"  # exit status = result code
    result = run_hakea(daemon, "leases", "add", "10.0.0.9")
    assert result.exit_code == 2 and "--hw-address is required" in result.output


def test_v6_switches_commands_and_service(daemon: Daemon) -> None:
    result = run_hakea(daemon, "-6", "--json", "leases", "get", "2001:db8::1")
    answer = json.loads(result.output)
    assert answer["result"] == 2 and answer["text"] == "'lease6-get' command not supported."


def test_ha_commands(daemon: Daemon) -> None:
    result = run_hakea(daemon, "ha", "status")
    assert result.exit_code == 0 and "standby" in result.output and "server1" in result.output
    assert run_hakea(daemon, "ha", "sync", "--server", "server2", "--max-period", "30").exit_code == 0
    assert ("ha-sync", {"server-name": "server2", "max-period": 30}) in daemon.calls
    result = run_hakea(daemon, "ha", "scopes", "server1", "server2")
    assert result.output == "New HA scopes configured.\n"
    assert ("ha-scopes", {"scopes": ["server1", "server2"]}) in daemon.calls
    assert run_hakea(daemon, "ha", "continue", via_socket=True).output == "HA state machine continues.\n"


def test_transport_error_is_reported() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    result = CliRunner().invoke(operator.main, ["--url", f"http://127.0.0.1:{port}/", "status"])
    assert result.exit_code == 1 and "Connection refused" in result.output


def test_table_formatting() -> None:
    assert operator.format_table([[1, None], ["long", "x"]], ["a", "b"]) == "a     b\n----  -\n1\nlong  x"
