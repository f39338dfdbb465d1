"""Helpers for the HA end-to-end tests: Kea HA configurations, hakea-dhcp4 servers kept by PID, and
their HTTP peer listeners (the same URL the partner uses carries the test's commands).

A server here is one real hakea-dhcp4 process with the lease_cmds and HA "hooks" loaded. On
loopback each server has its own 127.0.0.x address for DHCP (all on one UDP port, so a single test
relay socket receives every server's replies) and its peer URL on that address.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.conftest import HAKEA_DHCP4, LEASE_CMDS, ctl
from tests.e2e.lab import Procs, post, wait_until

HA_HOOK = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so"

# Short HA timers (the brief: heartbeat 500-1000 ms, max-response-delay 2000-3000, max-ack 1000).
FAST_TIMERS: dict[str, Any] = {
    "heartbeat-delay": 500,
    "max-response-delay": 2000,
    "max-ack-delay": 1000,
    "max-unacked-clients": 10,
}


@dataclass(frozen=True)
class Peer:
    name: str
    url: str
    role: str


def free_port_on(*addresses: str, kind: int = socket.SOCK_DGRAM) -> int:
    """A port free (UDP or TCP) on every one of `addresses` at once."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind((addresses[0], 0))
            port = int(s.getsockname()[1])
        ok = True
        for other in addresses[1:]:
            try:
                with socket.socket(socket.AF_INET, kind) as t:
                    t.bind((other, port))
            except OSError:
                ok = False
                break
        if ok:
            return port
    raise RuntimeError("no free port")


def ha_hook(name: str, mode: str, peers: list[Peer], **extra: Any) -> dict[str, Any]:
    relationship: dict[str, Any] = {"this-server-name": name, "mode": mode, **FAST_TIMERS}
    relationship.update(extra)
    relationship["peers"] = [{"name": p.name, "url": p.url, "role": p.role} for p in peers]
    return {"library": HA_HOOK, "parameters": {"high-availability": [relationship]}}


def dhcp4_config(
    *,
    interfaces: list[str],
    lease_file: Path,
    ha: dict[str, Any],
    subnet: dict[str, Any],
    control_socket: Path | None = None,
    socket_type: str = "udp",
    valid_lifetime: int = 600,
    renew_timer: int = 150,
    rebind_timer: int = 300,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "interfaces-config": {"interfaces": interfaces, "dhcp-socket-type": socket_type},
        "lease-database": {"type": "memfile", "name": str(lease_file), "lfc-interval": 0},
        "hooks-libraries": [{"library": LEASE_CMDS}, ha],
        "valid-lifetime": valid_lifetime,
        "renew-timer": renew_timer,
        "rebind-timer": rebind_timer,
        "subnet4": [subnet],
    }
    if control_socket is not None:
        config["control-socket"] = {"socket-type": "unix", "socket-name": str(control_socket)}
    return {"Dhcp4": config}


@dataclass
class HAServer:
    """One hakea-dhcp4 process. `command` talks to it: over HTTP at its peer URL by default, over
    its UNIX control socket when it has one and lives in a namespace the test cannot reach."""

    name: str
    url: str
    workdir: Path
    procs: Procs
    config: dict[str, Any]
    port: int | None = None  # DHCP server port (-p); None: 67
    argv_prefix: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    control_socket: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def config_path(self) -> Path:
        return self.workdir / f"{self.name}.json"

    @property
    def lease_file(self) -> Path:
        return Path(self.config["Dhcp4"]["lease-database"]["name"])

    def write_config(self) -> None:
        self.config_path.write_text(json.dumps(self.config, indent=2))

    def start(self, timeout: float = 10.0) -> HAServer:
        self.write_config()
        if self.control_socket is not None and self.control_socket.exists():
            self.control_socket.unlink()
        argv = [*self.argv_prefix, HAKEA_DHCP4, "-c", str(self.config_path), "-d"]
        if self.port is not None:
            argv += ["-p", str(self.port)]
        proc = self.procs.start(self.name, argv, env=self.env)
        self.proc = proc

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {proc.returncode}:\n{self.log()[-4000:]}")
            try:
                return self.command("status-get", timeout=1.0).get("result") == 0  # type: ignore[no-any-return]
            except Exception:
                return False

        wait_until(up, timeout, interval=0.05, what=f"{self.name} listening")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            self.procs.kill(self.proc, sig)

    def signal(self, sig: int) -> None:
        """Send a signal without waiting (SIGSTOP / SIGCONT); by PID, never by name."""
        assert self.proc is not None and self.proc.poll() is None
        os.kill(self.proc.pid, sig)

    def log(self) -> str:
        return self.procs.log(self.name)

    def log_count(self, message_id: str) -> int:
        return self.log().count(message_id)

    # ---- commands -------------------------------------------------------------------------------

    def command(self, command: str, arguments: dict[str, Any] | None = None, timeout: float = 5.0) -> Any:
        if self.control_socket is not None:
            return ctl(self.control_socket, command, arguments, timeout=timeout)
        return post(self.url, command, arguments, timeout=timeout)

    def ha_state(self) -> str | None:
        try:
            answer = self.command("ha-heartbeat", timeout=1.0)
        except Exception:
            return None
        args = answer.get("arguments") or {}
        state = args.get("state")
        return state if isinstance(state, str) else None

    def wait_state(self, *states: str, timeout: float = 15.0) -> str:
        return wait_until(  # type: ignore[no-any-return]
            lambda: (s := self.ha_state()) in states and s, timeout, interval=0.1,
            what=f"{self.name} in {'/'.join(states)} (log tail: {self.log()[-1500:]})",
        )

    def lease(self, address: str) -> dict[str, Any] | None:
        answer = self.command("lease4-get", {"ip-address": address})
        if answer["result"] == 3:
            return None
        assert answer["result"] == 0, answer
        return answer["arguments"]  # type: ignore[no-any-return]

    def leases(self) -> list[dict[str, Any]]:
        answer = self.command("lease4-get-all")
        assert answer["result"] in (0, 3), answer
        return answer["arguments"]["leases"]  # type: ignore[no-any-return]

    def ha_status(self) -> dict[str, Any]:
        answer = self.command("status-get")
        assert answer["result"] == 0, answer
        return answer["arguments"]["high-availability"][0]  # type: ignore[no-any-return]


def wait_log(server: HAServer, message_id: str, timeout: float, after: int = 0) -> None:
    """Until the server's log holds more than `after` lines with `message_id`."""
    wait_until(lambda: server.log_count(message_id) > after, timeout, interval=0.1,
               what=f"{message_id} in {server.name}'s log")


def all_in(servers: list[HAServer], state: str, timeout: float = 15.0) -> None:
    for s in servers:
        s.wait_state(state, timeout=timeout)


def lease_key(lease: dict[str, Any]) -> tuple[Any, ...]:
    """What two servers must agree on for a lease (everything Kea's lease4 JSON carries)."""
    return tuple(sorted(lease.items()))


def same_leases(a: HAServer, b: HAServer) -> Callable[[], bool]:
    def check() -> bool:
        return sorted(map(lease_key, a.leases())) == sorted(map(lease_key, b.leases()))

    return check
