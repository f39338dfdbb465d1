"""Wire compatibility with real Kea 2.2 processes on loopback (kea-shell, kea-ctrl-agent, kea-dhcp4).

Each test starts real programs, so they carry the e2e mark; each takes well under a second. They
are skipped where Kea is not installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hakea.control.agent import ControlAgent, load_agent_config
from hakea.control.http_client import HttpCommandClient
from hakea.control.unix_server import UnixCommandServer, start_unix_listener

from .conftest import TlsFiles, make_registry

pytestmark = pytest.mark.e2e

KEA_SHELL = shutil.which("kea-shell") or "/usr/sbin/kea-shell"
KEA_CTRL_AGENT = shutil.which("kea-ctrl-agent") or "/usr/sbin/kea-ctrl-agent"
KEA_DHCP4 = shutil.which("kea-dhcp4") or "/usr/sbin/kea-dhcp4"
HAKEA_BIN = Path(sys.executable).parent


def need(path: str) -> None:
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(*argv: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin), 10)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def wait_until(check: Any, timeout: float = 5.0) -> None:
    """Poll until a started process is ready (bounded; processes take a few 100 ms to start)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError("process did not become ready")
        await asyncio.sleep(0.02)


async def port_open(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


def kea_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "KEA_PIDFILE_DIR": str(tmp_path), "KEA_LOCKFILE_DIR": str(tmp_path)}


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[UnixCommandServer]:
    server = await start_unix_listener(make_registry(), str(tmp_path / "d4.sock"))
    yield server
    await server.close()


async def start_agent(raw: dict[str, Any]) -> ControlAgent:
    agent = ControlAgent(load_agent_config(raw))
    await agent.start()
    return agent


async def test_kea_shell_through_hakea_agent(daemon: UnixCommandServer) -> None:
    need(KEA_SHELL)
    agent = await start_agent(
        {"Control-agent": {"http-port": 0, "control-sockets": {"dhcp4": {"socket-name": daemon.path}}}}
    )
    assert agent.server is not None
    port = str(agent.server.port)
    code, out = await run(
        KEA_SHELL, "--port", port, "--service", "dhcp4", "echo", stdin=b'"ip-address": "10.0.0.1"'
    )
    assert code == 0, out
    [answer] = json.loads(out)
    assert answer["arguments"]["echo"] == {"ip-address": "10.0.0.1"}
    assert answer["arguments"]["remote"] == "127.0.0.1"
    code, out = await run(KEA_SHELL, "--port", port)  # default: list-commands to the agent itself
    assert code == 0 and "config-get" in json.loads(out)[0]["arguments"]
    code, out = await run(KEA_SHELL, "--port", port, "--service", "dhcp6", "list-commands")
    assert json.loads(out) == [
        {"result": 1, "text": "forwarding socket is not configured for the server type dhcp6"}
    ]
    await agent.stop()


async def test_kea_shell_with_basic_auth_and_mutual_tls(
    daemon: UnixCommandServer, tls_files: TlsFiles
) -> None:
    need(KEA_SHELL)
    agent = await start_agent(
        {
            "Control-agent": {
                "http-port": 0,
                "control-sockets": {"dhcp4": {"socket-name": daemon.path}},
                "authentication": {"type": "basic", "clients": [{"user": "admin", "password": "1234"}]},
                "trust-anchor": str(tls_files.ca),
                "cert-file": str(tls_files.server_cert),
                "key-file": str(tls_files.server_key),
                "cert-required": True,
            }
        }
    )
    assert agent.server is not None
    common = ["--port", str(agent.server.port), "--ca", str(tls_files.ca)]
    client_cert = ["--cert", str(tls_files.client_cert), "--key", str(tls_files.client_key)]
    auth = ["--auth-user", "admin", "--auth-password", "1234"]
    code, out = await run(KEA_SHELL, *common, *client_cert, *auth, "--service", "dhcp4", "echo")
    assert code == 0, out
    assert json.loads(out)[0]["arguments"]["transport"] == "unix"
    code, out = await run(KEA_SHELL, *common, *client_cert, "version-get")
    assert code == 1 and "401" in out  # no credentials
    code, out = await run(KEA_SHELL, *common, *auth, "version-get")
    assert code == 1 and out.startswith("Failed to run")  # no client certificate
    # hakea-shell takes the same options and prints the same answer.
    code, out2 = await run(
        str(HAKEA_BIN / "hakea-shell"), *common, *client_cert, *auth, "--service", "dhcp4", "echo"
    )
    assert code == 0 and json.loads(out2)[0]["arguments"]["echo"] is None
    await agent.stop()


async def test_hakea_ctrl_agent_process(daemon: UnixCommandServer, tmp_path: Path) -> None:
    need(KEA_SHELL)
    port = free_port()
    config = tmp_path / "kea-ctrl-agent.conf"
    config.write_text(
        "// Kea-style comments are allowed\n"
        + json.dumps(
            {
                "Control-agent": {
                    "http-host": "127.0.0.1",
                    "http-port": port,
                    "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": daemon.path}},
                }
            }
        )
    )
    code, out = await run(str(HAKEA_BIN / "hakea-ctrl-agent"), "-t", str(config))
    assert code == 0, out
    proc = await asyncio.create_subprocess_exec(
        str(HAKEA_BIN / "hakea-ctrl-agent"), "-c", str(config), stderr=asyncio.subprocess.PIPE
    )
    try:
        await wait_until(lambda: port_open(port))
        code, out = await run(KEA_SHELL, "--port", str(port), "--service", "dhcp4", "echo", stdin=b'"a": 1')
        assert code == 0 and json.loads(out)[0]["arguments"]["echo"] == {"a": 1}
        code, out = await run(KEA_SHELL, "--port", str(port), "shutdown")
        assert json.loads(out) == [{"result": 0, "text": "Control Agent is shutting down"}]
        assert await asyncio.wait_for(proc.wait(), 5) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_hakea_ctrl_agent_rejects_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.conf"
    config.write_text('{"Control-agent": {"http-port": "x"}}')
    code, out = await run(str(HAKEA_BIN / "hakea-ctrl-agent"), "-t", str(config))
    assert code == 1 and "Control-agent/http-port" in out


@pytest.fixture
async def kea_ctrl_agent(daemon: UnixCommandServer, tmp_path: Path) -> AsyncIterator[int]:
    """Debian's kea-ctrl-agent forwarding dhcp4 commands to hakea's UNIX socket."""
    need(KEA_CTRL_AGENT)
    port = free_port()
    config = tmp_path / "kea-ca.json"
    config.write_text(
        json.dumps(
            {
                "Control-agent": {
                    "http-host": "127.0.0.1",
                    "http-port": port,
                    "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": daemon.path}},
                    "loggers": [
                        {
                            "name": "kea-ctrl-agent",
                            "severity": "WARN",
                            "output_options": [{"output": str(tmp_path / "ca.log")}],
                        }
                    ],
                }
            }
        )
    )
    proc = await asyncio.create_subprocess_exec(
        KEA_CTRL_AGENT,
        "-c",
        str(config),
        env=kea_env(tmp_path),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_until(lambda: port_open(port))
        yield port
    finally:
        proc.terminate()
        await proc.wait()


async def test_kea_ctrl_agent_forwards_to_hakea_unix_socket(kea_ctrl_agent: int) -> None:
    url = f"http://127.0.0.1:{kea_ctrl_agent}/"
    async with HttpCommandClient(pool_size=4) as client:
        [answer] = await client.post_command(
            url, {"command": "echo", "service": ["dhcp4"], "arguments": {"x": 1}}, 5
        )
        assert answer["text"] == "echoed" and answer["arguments"]["echo"] == {"x": 1}
        assert answer["arguments"]["remote"] == "127.0.0.1"  # Kea's agent adds remote-address; we accept it
        # Several requests in flight over a pool of connections, one request per connection at a time.
        answers = await asyncio.gather(
            *(client.post_command(url, {"command": "foo", "service": ["dhcp4"]}, 5) for _ in range(8))
        )
        assert all(a == [{"result": 2, "text": "'foo' command not supported."}] for a in answers)


async def test_hakea_shell_against_kea_ctrl_agent(kea_ctrl_agent: int) -> None:
    code, out = await run(
        str(HAKEA_BIN / "hakea-shell"),
        "--port",
        str(kea_ctrl_agent),
        "--service",
        "dhcp4",
        "echo",
        stdin=b'"y": 2',
    )
    assert code == 0, out
    assert json.loads(out)[0]["arguments"]["echo"] == {"y": 2}


async def test_hakea_agent_forwards_to_kea_dhcp4(tmp_path: Path) -> None:
    need(KEA_DHCP4)
    sock = str(tmp_path / "kea4.sock")
    config = tmp_path / "kea-dhcp4.json"
    config.write_text(
        json.dumps(
            {
                "Dhcp4": {
                    "interfaces-config": {"interfaces": []},
                    "control-socket": {"socket-type": "unix", "socket-name": sock},
                    "lease-database": {"type": "memfile", "persist": False},
                    "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}],
                    "loggers": [
                        {
                            "name": "kea-dhcp4",
                            "severity": "WARN",
                            "output_options": [{"output": str(tmp_path / "d4.log")}],
                        }
                    ],
                }
            }
        )
    )
    proc = await asyncio.create_subprocess_exec(
        KEA_DHCP4,
        "-c",
        str(config),
        env=kea_env(tmp_path),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )

    async def socket_ready() -> bool:
        return os.path.exists(sock)

    try:
        await wait_until(socket_ready)
        agent = await start_agent(
            {"Control-agent": {"http-port": 0, "control-sockets": {"dhcp4": {"socket-name": sock}}}}
        )
        assert agent.server is not None
        async with HttpCommandClient() as client:
            [answer] = await client.post_command(
                agent.server.url, {"command": "version-get", "service": ["dhcp4"]}, 5
            )
            assert answer["result"] == 0 and answer["text"].startswith("2.")
            [answer] = await client.post_command(
                agent.server.url, {"command": "foo", "service": ["dhcp4"]}, 5
            )
            assert answer == {"result": 2, "text": "'foo' command not supported."}
        await agent.stop()
    finally:
        proc.terminate()
        await proc.wait()
