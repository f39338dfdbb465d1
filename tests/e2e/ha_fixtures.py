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
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

from tests.e2e import dhcp_client as dc
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
class Daemon:
    """One hakea daemon process (hakea-dhcp4 here, hakea-dhcp6 in tests.e2e.dhcp6_fixtures) kept by
    PID. `command` talks to it over its UNIX control socket when it has one (a server in a namespace
    the test cannot reach), else over HTTP at its peer URL."""

    FAMILY: ClassVar[int] = 4
    PROGRAM: ClassVar[str] = HAKEA_DHCP4

    name: str
    workdir: Path
    procs: Procs
    config: dict[str, Any]
    port: int | None = None  # DHCP server port (-p); None: the standard one
    url: str = ""
    control_socket: Path | None = None
    argv_prefix: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def service(self) -> str:
        return f"dhcp{self.FAMILY}"

    @property
    def config_path(self) -> Path:
        return self.workdir / f"{self.name}.json"

    @property
    def lease_file(self) -> Path:
        return Path(self.config[f"Dhcp{self.FAMILY}"]["lease-database"]["name"])

    def write_config(self) -> None:
        self.config_path.write_text(json.dumps(self.config, indent=2))

    def argv(self) -> list[str]:
        argv = [*self.argv_prefix, self.PROGRAM, "-c", str(self.config_path), "-d"]
        return argv if self.port is None else [*argv, "-p", str(self.port)]

    def start(self, timeout: float = 10.0) -> Self:
        self.write_config()
        if self.control_socket is not None and self.control_socket.exists():
            self.control_socket.unlink()
        proc = self.procs.start(self.name, self.argv(), env=self.env)
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

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        """Send a signal without waiting (SIGSTOP / SIGCONT); by PID, never by name."""
        assert self.running and self.proc is not None
        os.kill(self.proc.pid, sig)

    def log(self) -> str:
        return self.procs.log(self.name)

    def log_count(self, message_id: str) -> int:
        return self.log().count(message_id)

    def stays(self, state: str, seconds: float) -> None:
        """Reports HA state `state` throughout `seconds` (several heartbeats)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.ha_state() == state, f"{self.name} left {state}"
            time.sleep(0.1)

    # ---- commands -------------------------------------------------------------------------------

    def command(self, command: str, arguments: dict[str, Any] | None = None, timeout: float = 5.0) -> Any:
        if self.control_socket is not None:
            return ctl(self.control_socket, command, arguments, timeout=timeout)
        return post(self.url, command, arguments, service=self.service, timeout=timeout)

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
        )

    def heartbeat(self) -> dict[str, Any]:
        """ha-heartbeat's arguments (state, scopes, unsent-update-count, date-time)."""
        answer = self.command("ha-heartbeat")
        assert answer["result"] == 0, answer
        return answer["arguments"]  # type: ignore[no-any-return]

    def leases(self) -> list[dict[str, Any]]:
        answer = self.command(f"lease{self.FAMILY}-get-all")
        assert answer["result"] in (0, 3), answer
        return answer["arguments"]["leases"]  # type: ignore[no-any-return]

    def lease_view(self) -> list[tuple[Any, ...]]:
        """Every lease, every field: what two partners must agree on."""
        return sorted(tuple(sorted(le.items())) for le in self.leases())

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


class HAServer(Daemon):
    """One hakea-dhcp4 process with the lease_cmds and HA "hooks" loaded."""

    def lease(self, address: str) -> dict[str, Any] | None:
        answer = self.command("lease4-get", {"ip-address": address})
        if answer["result"] == 3:
            return None
        assert answer["result"] == 0, answer
        return answer["arguments"]  # type: ignore[no-any-return]


def start_fresh(servers: Iterable[Daemon]) -> None:
    """Start each server, with an empty lease file."""
    for s in servers:
        s.lease_file.unlink(missing_ok=True)
        s.start()


def stop_all(servers: Iterable[Daemon]) -> None:
    for s in servers:
        if s.running:
            s.signal(signal.SIGCONT)  # a failed SIGSTOP test must not leave it frozen
        s.stop()


@contextmanager
def running(*servers: Daemon) -> Iterator[None]:
    """The servers started (start_fresh) for the block, stopped after it."""
    try:
        start_fresh(servers)
        yield
    finally:
        stop_all(servers)


class RelayedServer4(HAServer):
    """hakea-dhcp4 alone on loopback (its own 127.0.0.x, a port of its own), the test its relay
    agent: `relay` (see relayed)."""

    relay: dc.Relay

    @property
    def sock(self) -> Path:
        assert self.control_socket is not None
        return self.control_socket


@contextmanager
def relayed(server: RelayedServer4, relay: str) -> Iterator[RelayedServer4]:
    """`server` running, and `server.relay` a relay agent with giaddr `relay` (a socket on `relay`
    at the server's port: the server answers a relay there)."""
    address = server.config["Dhcp4"]["interfaces-config"]["interfaces"][0].split("/")[1]
    assert server.port is not None
    with running(server), dc.Relay(relay, address, server.port) as server.relay:
        yield server


# ------------------------------------------------------------------------------------ HA on loopback

D = TypeVar("D", bound=Daemon)


class LoopbackHA(Generic[D]):
    """The servers of one HA relationship on loopback, `peers` naming each server's role and its own
    127.0.0.x (its peer URL's address, all on one TCP port). Server NAME is "LABEL-NAME" (its log,
    configuration and lease file); every server gets `ha_extra` in its HA entry. Servers not added
    with `add` before `with` are run by `kind`; `with` starts them all (empty lease files) -- and,
    given `normal` (name -> HA state), waits until each is in its state -- and stops them at the end
    (waking any a test left stopped with SIGSTOP). LoopbackHA4 and tests.e2e.dhcp6_fixtures'
    LoopbackHA6 write the configurations."""

    def __init__(self, kind: type[D], workdir: Path, procs: Procs, label: str, mode: str,
                 peers: dict[str, tuple[str, str]], *, ha_extra: dict[str, Any] | None = None,
                 normal: dict[str, str] | None = None) -> None:  # fmt: skip
        self.kind, self.workdir, self.procs, self.label, self.mode = kind, workdir, procs, label, mode
        self.ha_extra, self.normal = ha_extra or {}, normal or {}
        self.addresses = {name: address for name, (_, address) in peers.items()}
        http = free_port_on(*self.addresses.values(), kind=socket.SOCK_STREAM)
        self.peers = [Peer(n, f"http://{address}:{http}/", role) for n, (role, address) in peers.items()]
        self.servers: dict[str, D] = {}

    def hook(self, name: str, **ha_extra: Any) -> dict[str, Any]:
        """NAME's HA hook entry; `ha_extra` on top of the relationship's."""
        return ha_hook(name, self.mode, self.peers, **{**self.ha_extra, **ha_extra})

    def config(self, name: str, **ha_extra: Any) -> dict[str, Any]:
        raise NotImplementedError

    def dhcp_port(self) -> int:
        """The DHCP port (-p) of the next server."""
        raise NotImplementedError

    def add(self, name: str, kind: type[D] | None = None, *, argv_prefix: list[str] | None = None,
            env: dict[str, str] | None = None, ha_extra: dict[str, Any] | None = None) -> D:  # fmt: skip
        """Server NAME run by `kind` (with `argv_prefix` and `env`), `ha_extra` in its HA entry."""
        url = next(p.url for p in self.peers if p.name == name)
        config = self.config(name, **(ha_extra or {}))
        self.servers[name] = (kind or self.kind)(
            f"{self.label}-{name}", self.workdir, self.procs, config, port=self.dhcp_port(), url=url,
            argv_prefix=argv_prefix or [], env=env or {},
        )  # fmt: skip
        return self.servers[name]

    def __enter__(self) -> dict[str, D]:
        for p in self.peers:
            if p.name not in self.servers:
                self.add(p.name)
        try:
            start_fresh(self.servers.values())
            for name, state in self.normal.items():
                self.servers[name].wait_state(state)
        except BaseException:
            self.__exit__()
            raise
        return self.servers

    def __exit__(self, *exc: object) -> None:
        stop_all(self.servers.values())


def subnet4(relay: str, **extra: Any) -> dict[str, Any]:
    """192.0.2.0/24 behind the relay agent `relay` (its giaddr), the pool for HA_server1 (the
    hot-standby primary's scope); `extra` on top."""
    pools = [{"pool": "192.0.2.100 - 192.0.2.200", "client-class": "HA_server1"}]
    return {"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": [relay]}, "pools": pools, **extra}


class LoopbackHA4(LoopbackHA[HAServer]):
    """hakea-dhcp4 servers on loopback: each on "lo/ITS-ADDRESS", all on one DHCP port (`port`,
    free on the relay agent's address `relay` too: one relay socket gets every answer), serving
    `subnet` (subnet4 by default). `relay_to` is the test's relay agent."""

    def __init__(self, workdir: Path, procs: Procs, label: str, mode: str,
                 peers: dict[str, tuple[str, str]], *, relay: str, subnet: dict[str, Any] | None = None,
                 ha_extra: dict[str, Any] | None = None,
                 normal: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(HAServer, workdir, procs, label, mode, peers, ha_extra=ha_extra, normal=normal)
        self.subnet = subnet or subnet4(relay)
        self.relay = relay
        self.port = free_port_on(relay, *self.addresses.values())
        self._relay: dc.Relay | None = None

    def relay_to(self, server: HAServer) -> dc.Relay:
        """The relay agent (one socket, RELAY:port), pointed at `server`'s DHCP address."""
        if self._relay is None:
            self._relay = dc.Relay(self.relay, self.address(server), self.port)
        self._relay.server = (self.address(server), self.port)
        return self._relay

    def __exit__(self, *exc: object) -> None:
        if self._relay is not None:
            self._relay.close()
        super().__exit__()

    def config(self, name: str, **ha_extra: Any) -> dict[str, Any]:
        return dhcp4_config(interfaces=[f"lo/{self.addresses[name]}"], subnet=self.subnet,
                            lease_file=self.workdir / f"{self.label}-{name}-leases4.csv",
                            ha=self.hook(name, **ha_extra))  # fmt: skip

    def dhcp_port(self) -> int:
        return self.port

    def address(self, server: HAServer) -> str:
        """`server`'s DHCP address."""
        return self.addresses[server.name.removeprefix(f"{self.label}-")]


CONTINUES = {"result": 0, "text": "HA state machine continues."}
NOT_PAUSED = {"result": 0, "text": "HA state machine is not paused."}


def paused_in(server: Daemon, state: str) -> None:
    """Until `server` ("state-machine": waiting paused once, ready always) is paused in `state`:
    "waiting" once, at its start; "ready" after ha-continue from waiting (sent here unless it has
    paused in ready before). A test of the pause tests starts where the previous one left the
    server, or on the way there when it runs alone."""
    line = f"state machine paused in state {state.upper()}"
    if state == "ready" and line not in server.log():
        paused_in(server, "waiting")
        assert server.command("ha-continue") == CONTINUES
    server.wait_state(state, timeout=5.0)
    wait_until(lambda: line in server.log(), 3.0, what=f"{server.name} paused in {state.upper()}")


def past_the_pauses(server: Daemon, normal: str) -> None:
    """Until `server` (as for paused_in) is in `normal`: continued from each pause on the way."""
    if server.ha_state() != normal:
        paused_in(server, "ready")
        assert server.command("ha-continue") == CONTINUES
    server.wait_state(normal, timeout=5.0)


def wait_log(server: Daemon, message_id: str, timeout: float, after: int = 0) -> None:
    """Until the server's log holds more than `after` lines with `message_id`."""
    wait_until(lambda: server.log_count(message_id) > after, timeout, interval=0.1,
               what=f"{message_id} in {server.name}'s log")


def same_leases(a: Daemon, b: Daemon) -> Callable[[], bool]:
    """A predicate for wait_until: both hold the same leases, field for field."""

    def check() -> bool:
        return a.lease_view() == b.lease_view()

    return check
