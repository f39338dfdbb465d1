"""Helpers for the DHCPv6 end-to-end tests: hakea-dhcp6 processes kept by PID, their Kea
configurations, and the commands they answer (over the UNIX control socket, or over HTTP at the
HA peer URL)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LEASE_CMDS, ctl
from tests.e2e.lab import VENV_BIN, Procs, post, wait_until

HAKEA_DHCP6 = str(VENV_BIN / "hakea-dhcp6")
HA_HOOK = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so"


def free_udp6_port(address: str = "::1") -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def dhcp6_config(workdir: Path, name: str, *, interfaces: list[str], subnets: list[dict[str, Any]],
                 control_socket: Path | None = None, hooks: list[dict[str, Any]] | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    config: dict[str, Any] = {
        "interfaces-config": {"interfaces": interfaces},
        # A fixed server DUID, not persisted (as running-kea.md advises for Kea in tests).
        "server-id": {
            "type": "LL",
            "htype": 1,
            "identifier": "0200000000" + f"{sum(name.encode()) % 256:02x}",
            "persist": False,
        },
        "lease-database": {
            "type": "memfile",
            "name": str(workdir / f"{name}-leases6.csv"),
            "lfc-interval": 0,
        },
        "hooks-libraries": [{"library": LEASE_CMDS}, *(hooks or [])],
        "preferred-lifetime": 3000,
        "valid-lifetime": 4000,
        "subnet6": subnets,
        **(extra or {}),
    }
    if control_socket is not None:
        config["control-socket"] = {"socket-type": "unix", "socket-name": str(control_socket)}
    return {"Dhcp6": config}


@dataclass
class Server6:
    """One hakea-dhcp6 process. `command` talks over the control socket when there is one, else
    over HTTP at `url` (the HA peer URL)."""

    name: str
    workdir: Path
    procs: Procs
    config: dict[str, Any]
    port: int | None = None
    url: str = ""
    control_socket: Path | None = None
    argv_prefix: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def config_path(self) -> Path:
        return self.workdir / f"{self.name}.json"

    @property
    def lease_file(self) -> Path:
        return Path(self.config["Dhcp6"]["lease-database"]["name"])

    def start(self, timeout: float = 10.0) -> Server6:
        self.config_path.write_text(json.dumps(self.config, indent=2))
        if self.control_socket is not None and self.control_socket.exists():
            self.control_socket.unlink()
        argv = [*self.argv_prefix, HAKEA_DHCP6, "-c", str(self.config_path), "-d"]
        if self.port is not None:
            argv += ["-p", str(self.port)]
        proc = self.procs.start(self.name, argv)
        self.proc = proc

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {proc.returncode}:\n{self.log()[-4000:]}")
            try:
                return self.command("status-get", timeout=1.0).get("result") == 0  # type: ignore[no-any-return]
            except Exception:
                return False

        wait_until(up, timeout, interval=0.05, what=f"{self.name} up")
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

    def command(self, command: str, arguments: dict[str, Any] | None = None, timeout: float = 5.0) -> Any:
        if self.control_socket is not None:
            return ctl(self.control_socket, command, arguments, timeout=timeout)
        return post(self.url, command, arguments, service="dhcp6", timeout=timeout)

    def lease(self, address: str, kind: str = "IA_NA") -> dict[str, Any] | None:
        answer = self.command("lease6-get", {"ip-address": address, "type": kind})
        if answer["result"] == 3:
            return None
        assert answer["result"] == 0, answer
        return answer["arguments"]  # type: ignore[no-any-return]

    def leases(self) -> list[dict[str, Any]]:
        answer = self.command("lease6-get-all")
        assert answer["result"] in (0, 3), answer
        return answer["arguments"]["leases"]  # type: ignore[no-any-return]

    def stat(self, name: str) -> int:
        answer = self.command("statistic-get", {"name": name})
        assert answer["result"] == 0, answer
        samples = answer["arguments"].get(name)
        return int(samples[0][0]) if samples else 0

    def ha_status(self) -> dict[str, Any]:
        """This server's entry of status-get's "high-availability" list."""
        answer = self.command("status-get")
        assert answer["result"] == 0, answer
        return answer["arguments"]["high-availability"][0]  # type: ignore[no-any-return]

    def ha_state(self) -> str | None:
        try:
            answer = self.command("ha-heartbeat", timeout=1.0)
        except Exception:
            return None
        state = (answer.get("arguments") or {}).get("state")
        return state if isinstance(state, str) else None

    def wait_state(self, *states: str, timeout: float = 15.0) -> str:
        return wait_until(  # type: ignore[no-any-return]
            lambda: (s := self.ha_state()) in states and s, timeout, interval=0.1,
            what=f"{self.name} in {'/'.join(states)} (log tail: {self.log()[-1500:]})",
        )  # fmt: skip


def duid_hex(duid: bytes) -> str:
    return duid.hex(":")
