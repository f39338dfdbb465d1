"""Shared fixtures for the end-to-end tests: real processes, kept by PID, stopped by PID."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.lab import VENV_BIN, Lab, Procs, short_dir, wait_until

if TYPE_CHECKING:
    from tests.e2e.kea import Netns

HAKEA_DHCP4 = str(VENV_BIN / "hakea-dhcp4")
LEASE_CMDS = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath) and os.geteuid() != 0:
            item.add_marker(pytest.mark.skip(reason="end-to-end tests need root (namespaces, port 67)"))


def free_udp_port(address: str = "127.0.0.2") -> int:
    """A UDP port free on `address` (and on 127.0.0.3, where the test relay binds)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((address, 0))
            port = int(s.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as t:
                t.bind(("127.0.0.3", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free UDP port")


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ctl(sock_path: str | Path, command: str, arguments: dict[str, Any] | None = None,
        timeout: float = 5.0) -> Any:
    """One command over a Kea-style UNIX control socket (hakea's or Kea's)."""
    from hakea.control.unix_client import send_unix_command

    body: dict[str, Any] = {"command": command}
    if arguments is not None:
        body["arguments"] = arguments
    answer = asyncio.run(send_unix_command(str(sock_path), body, timeout))
    return answer[0] if isinstance(answer, list) else answer


def ctl_ready(sock_path: str | Path) -> bool:
    try:
        return ctl(sock_path, "status-get", timeout=1.0).get("result") == 0  # type: ignore[no-any-return]
    except Exception:
        return False


def stat(sock_path: str | Path, name: str) -> int:
    answer = ctl(sock_path, "statistic-get", {"name": name})
    assert answer["result"] == 0, answer
    samples = answer["arguments"].get(name)
    return int(samples[0][0]) if samples else 0


def write_config(path: Path, dhcp4: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"Dhcp4": dhcp4}, indent=2))
    return path


def start_hakea(procs: Procs, name: str, config: Path, sock_path: Path, *, port: int | None = None,
                argv_prefix: list[str] | None = None, timeout: float = 10.0) -> subprocess.Popen[bytes]:
    """Start hakea-dhcp4 and wait until its control socket answers (a socket file left by a
    killed server is the daemon's to replace: until then connecting to it is refused)."""
    argv = [*(argv_prefix or []), HAKEA_DHCP4, "-c", str(config), "-d"]
    if port is not None:
        argv += ["-p", str(port)]
    p = procs.start(name, argv)

    def ready() -> bool:
        if p.poll() is not None:
            raise AssertionError(f"{name} exited with {p.returncode}:\n{procs.log(name)}")
        return ctl_ready(sock_path)

    wait_until(ready, timeout, what=f"{name} control socket")
    return p


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Short paths: a UNIX socket path must fit in 108 bytes.
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture
def pair_dir(workdir: Path) -> Path:
    """A directory of its own for each test's servers (their files keep their usual names)."""
    return short_dir(workdir, "p")


@pytest.fixture(scope="module")
def cl(net: Lab) -> Iterator[Netns]:
    """A thread in the client namespace "cl" of the module's lab `net` (tests.e2e.kea.Netns)."""
    from tests.e2e.kea import Netns  # tests.e2e.kea imports this module

    with Netns(net.ns("cl")) as ns:
        yield ns


@pytest.fixture(scope="module")
def procs(workdir: Path) -> Iterator[Procs]:
    p = Procs(workdir)
    try:
        yield p
    finally:
        p.stop_all()


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
