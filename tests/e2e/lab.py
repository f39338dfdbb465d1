"""Test lab: network namespaces made and removed by the test, and real processes kept by PID.

Nothing here touches the host's interfaces: every address lives inside namespaces this module
creates (198.51.100.0/24, 2001:db8:1::/64, the documentation ranges) or on loopback.
"""

from __future__ import annotations

import contextlib
import itertools
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


_dirs = itertools.count(1)


def short_dir(parent: Path, prefix: str) -> Path:
    """A new directory below `parent`, with a short name: a UNIX socket path must fit in 108 bytes."""
    d = parent / f"{prefix}{next(_dirs)}"
    d.mkdir()
    return d


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

    def wait_dad(self, *shorts: str, timeout: float = 10.0) -> None:
        """Until eth0 of each of these namespaces has its link-local address and none is tentative
        any more (duplicate address detection done): a tentative address cannot be bound, and
        kea-dhcp6 opens its sockets once, at start."""

        def settled(short: str) -> bool:
            out = sh("ip", "-n", self.ns(short), "-6", "addr", "show", "dev", "eth0", check=False).stdout
            return "fe80::" in out and "tentative" not in out

        wait_until(lambda: all(settled(h) for h in shorts), timeout, interval=0.1,
                   what=f"DAD done in {', '.join(shorts)}")  # fmt: skip

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


# ------------------------------------------------------------------------------------ dhclient

_DHCLIENT_SCRIPT = r"""#!/bin/bash
# dhclient-script for the tests: record what happened, apply the address to eth0, nothing else.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "$reason @FIELDS@" >> "@LOG@"
case "$reason" in
@APPLY@
esac
exit 0
"""
_RECORD = {  # what the script records, as name=$variable
    4: "ip=$new_ip_address mask=$new_subnet_mask routers=$new_routers server=$new_dhcp_server_identifier",
    6: "ip6=$new_ip6_address plen=$new_ip6_prefixlen prefix=$new_ip6_prefix sid=$new_dhcp6_server_id"
       " dns=$new_dhcp6_name_servers",
}
_APPLY = {
    4: r"""  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
      ip -4 addr flush dev "$interface"
    fi
    ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
    for r in $new_routers; do ip -4 route replace default via "$r" dev "$interface"; break; done ;;
  RELEASE|EXPIRE|FAIL|STOP) ip -4 addr flush dev "$interface" ;;""",
    6: r"""  BOUND6|RENEW6|REBIND6|REBOOT6)
    if [ -n "$new_ip6_address" ]; then ip -6 addr replace "$new_ip6_address/128" dev "$interface" nodad; fi ;;
  RELEASE6|EXPIRE6|STOP6)
    if [ -n "$old_ip6_address" ]; then ip -6 addr del "$old_ip6_address/128" dev "$interface"; fi ;;""",
}


class Dhclient:
    """ISC dhclient (-4 or -6) on eth0 of namespace "cli" of `lab`, its files in `workdir` named
    after `prefix`: configuration `conf`, and a script that records each call (the reason and the
    variables of _RECORD) and applies the address. Several clients can run at once under different
    names (their lease and PID files)."""

    def __init__(self, lab: Lab, workdir: Path, prefix: str, family: int, conf: str = "") -> None:
        self.lab, self.workdir, self.prefix, self.family = lab, workdir, prefix, family
        self.events_file = workdir / f"{prefix}-events.log"
        script = _DHCLIENT_SCRIPT.replace("@FIELDS@", _RECORD[family]).replace("@APPLY@", _APPLY[family])
        self.script = workdir / f"{prefix}-script.sh"
        self.script.write_text(script.replace("@LOG@", str(self.events_file)))
        self.script.chmod(0o755)
        self.conf = workdir / f"{prefix}.conf"
        self.conf.write_text(conf)

    def _base(self, name: str) -> str:
        return f"{self.prefix}-{name}" if name else self.prefix

    def pid_file(self, name: str = "") -> Path:
        return self.workdir / f"{self._base(name)}.pid"

    def argv(self, *options: str, name: str = "") -> list[str]:
        """dhclient's command line (the client `name`), in the client namespace."""
        w, p = self.workdir, self._base(name)
        return self.lab.exec_argv("cli", [
            "dhclient", f"-{self.family}", *options, "-v", "-cf", str(self.conf),
            "-lf", str(w / f"{p}.leases"), "-pf", str(self.pid_file(name)), "-sf", str(self.script), "eth0",
        ])  # fmt: skip

    def events(self) -> list[tuple[str, dict[str, str]]]:
        """Each call of the script: the reason, and the variables that had a value."""
        if not self.events_file.exists():
            return []
        found = []
        for line in self.events_file.read_text().splitlines():
            reason, *fields = line.split()
            found.append((reason, {k: v for k, _, v in (f.partition("=") for f in fields) if v}))
        return found

    def __enter__(self) -> Dhclient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def calls(self, reason: str, having: str = "") -> list[dict[str, str]]:
        """The variables of each call for `reason` (those where `having` has a value)."""
        return [f for r, f in self.events() if r == reason and (not having or f.get(having))]

    def stop_all(self) -> None:
        """Stop every client still running (a test that failed), by the PIDs in their PID files."""
        for pid_file in self.workdir.glob(f"{self.prefix}*.pid"):
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


def post_all(url: str, command: str, arguments: dict[str, Any] | None = None, service: str | None = "dhcp4",
             timeout: float = 2.0) -> Any:
    """One command POSTed to `url`; the whole answer (Kea's list, or a single map)."""
    body: dict[str, Any] = {"command": command}
    if service:
        body["service"] = [service]
    if arguments is not None:
        body["arguments"] = arguments
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def post(url: str, command: str, arguments: dict[str, Any] | None = None, service: str | None = "dhcp4",
         timeout: float = 2.0) -> Any:
    """post_all's first answer."""
    answer = post_all(url, command, arguments, service, timeout)
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
