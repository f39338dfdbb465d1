"""Test lab: network namespaces made and removed by the test, and real processes kept by PID.

Nothing here touches the host's interfaces: every address lives inside namespaces this module
creates (198.51.100.0/24, 2001:db8:1::/64, the documentation ranges) or on loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), check=check, capture_output=True, text=True)


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}: last={last!r}")


class Lab:
    """A bridge namespace plus host namespaces attached to it with veth pairs."""

    def __init__(self, prefix: str) -> None:
        self.prefix = f"{prefix}{os.getpid() % 10000}"
        self.switch = f"{self.prefix}_sw"
        self.hosts: list[str] = []
        self.down()
        sh("ip", "netns", "add", self.switch)
        sh("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.switch, "link", "set", "br0", "up")
        sh("ip", "-n", self.switch, "link", "set", "lo", "up")

    def ns(self, short: str) -> str:
        return f"{self.prefix}_{short}"

    def add_host(self, short: str, v4: str | None = None, v6: str | None = None) -> str:
        ns = self.ns(short)
        sh("ip", "netns", "add", ns)
        # resolv.conf inside the namespace, so a DHCP client script never edits the host's file
        etc = Path("/etc/netns") / ns
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text("")
        veth = f"v{len(self.hosts)}{self.prefix}"[:15]
        port = f"p{short}"[:15]
        sh("ip", "link", "add", veth, "netns", ns, "type", "veth", "peer", "name", port, "netns", self.switch)
        sh("ip", "-n", self.switch, "link", "set", port, "master", "br0")
        sh("ip", "-n", self.switch, "link", "set", port, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "link", "set", veth, "name", "eth0")
        if v4:
            sh("ip", "-n", ns, "addr", "add", v4, "dev", "eth0")
        if v6:
            sh("ip", "-n", ns, "addr", "add", v6, "dev", "eth0", "nodad")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        self.hosts.append(ns)
        return ns

    def exec_argv(self, short: str, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.ns(short), *argv]

    def down(self) -> None:
        out = sh("ip", "netns", "list", check=False).stdout
        for line in out.splitlines():
            name = line.split()[0] if line.strip() else ""
            if name.startswith(self.prefix + "_"):
                sh("ip", "netns", "del", name, check=False)
                with contextlib.suppress(OSError):
                    for f in (Path("/etc/netns") / name).iterdir():
                        f.unlink()
                    (Path("/etc/netns") / name).rmdir()


class Procs:
    """Processes started by a test, stopped by PID (process group) at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the process
        p = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
            start_new_session=True, cwd=self.workdir,
        )
        log.close()
        self.procs.append(p)
        return p

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def kill(p: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, sig)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def stop_all(self) -> None:
        for p in self.procs:
            self.kill(p, signal.SIGTERM)


def post(url: str, command: str, arguments: dict[str, Any] | None = None, service: str | None = "dhcp4",
         timeout: float = 2.0) -> Any:
    body: dict[str, Any] = {"command": command}
    if service:
        body["service"] = [service]
    if arguments is not None:
        body["arguments"] = arguments
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        answer = json.loads(r.read())
    return answer[0] if isinstance(answer, list) else answer


def post_in_ns(lab: Lab, short: str, url: str, command: str, arguments: dict[str, Any] | None = None,
               service: str = "dhcp4") -> Any:
    """post() from inside a namespace (the URL's address lives there)."""
    code = (
        "import json,sys,urllib.request as u;"
        "b=json.loads(sys.argv[2]);"
        "r=u.urlopen(u.Request(sys.argv[1],data=json.dumps(b).encode(),"
        "headers={'Content-Type':'application/json'}),timeout=3);print(r.read().decode())"
    )
    body: dict[str, Any] = {"command": command, "service": [service]}
    if arguments is not None:
        body["arguments"] = arguments
    r = sh(*lab.exec_argv(short, [sys.executable, "-c", code, url, json.dumps(body)]), check=False)
    if r.returncode != 0:
        return None
    answer = json.loads(r.stdout)
    return answer[0] if isinstance(answer, list) else answer


@contextlib.contextmanager
def lab(prefix: str) -> Iterator[Lab]:
    the_lab = Lab(prefix)
    try:
        yield the_lab
    finally:
        the_lab.down()
