"""A simulated HA deployment: N HACores, a fake network and a fake clock, all in one process.

The harness plays the I/O shell: it executes the cores' actions (requests to peers, DHCP service
holds, lease merges, parked responses), answers the non-HA commands a peer needs (dhcp-disable,
dhcp-enable, lease4-get-page, lease4-update, lease4-del) from each server's in-memory lease store,
and fires each core's timer at its deadline. Time is simulated: hours of HA life run in
milliseconds. Each server may run with a clock offset (for clock-skew scenarios).

Network model: every message takes `latency` seconds. A crashed server refuses connections (the
request fails after one latency); a partitioned link or a dropping link loses the request, which
fails after the request's timeout.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hakea.ha.actions import (
    Action,
    CommandReply,
    Log,
    MergeLeases,
    ReleaseParked,
    SendRequest,
    SetDhcpService,
    StateChanged,
)
from hakea.ha.config import HAConfig, parse_ha_config
from hakea.ha.core import HA_COMMANDS, HACore
from hakea.ha.query_filter import QueryInfo
from hakea.ha.sync import merge_leases4
from hakea.leases.json4 import lease4_from_json, lease4_to_json, parse_ipv4
from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.model import Lease4
from hakea.server.network_state import NetworkState

START_TIME = 1_800_000_000.0  # 2027-01-15, a plain wall-clock epoch time
DHCPDISCOVER = 1
DHCPREQUEST = 3


def make_configs(
    mode: str = "hot-standby",
    names: Iterable[str] = ("server1", "server2"),
    backups: Iterable[str] = (),
    params: Mapping[str, Any] | None = None,
) -> dict[str, HAConfig]:
    """One parsed HAConfig per server of a relationship (same peers, different this-server-name)."""
    names = list(names)
    second = "secondary" if mode == "load-balancing" else "standby"
    peers = [{"name": names[0], "url": f"http://192.0.2.1:{8000}/", "role": "primary"}]
    peers.append({"name": names[1], "url": f"http://192.0.2.2:{8000}/", "role": second})
    for i, b in enumerate(backups):
        peers.append({"name": b, "url": f"http://192.0.2.{10 + i}:8000/", "role": "backup"})
    out: dict[str, HAConfig] = {}
    for me in [*names, *backups]:
        entry = {"this-server-name": me, "mode": mode, "peers": peers, **(params or {})}
        out[me] = parse_ha_config({"high-availability": [entry]}, "Dhcp4/hooks-libraries[0]/parameters")[0]
    return out


@dataclass(slots=True)
class SimClient:
    mac: bytes
    client_id: bytes = b""

    def query(self, secs: int = 0, msg_type: int = DHCPDISCOVER) -> QueryInfo:
        return QueryInfo.v4(msg_type, self.mac, self.client_id, secs, label=f"[hwaddr={self.mac.hex(':')}]")


@dataclass(slots=True)
class SimServer:
    name: str
    config: HAConfig
    store: MemoryLeaseStore4 = field(default_factory=MemoryLeaseStore4)
    network: NetworkState = field(default_factory=NetworkState)
    clock_offset: float = 0.0
    alive: bool = False
    core: HACore | None = None
    logs: list[tuple[float, Log]] = field(default_factory=list)
    history: list[tuple[float, str]] = field(default_factory=list)
    replies: dict[int, dict[str, Any]] = field(default_factory=dict)
    parked: dict[int, str] = field(default_factory=dict)  # txn -> "pending" / "sent" / "dropped"
    received: list[dict[str, Any]] = field(default_factory=list)  # commands received from peers
    sent: list[dict[str, Any]] = field(default_factory=list)  # commands sent to peers

    @property
    def ha(self) -> HACore:
        assert self.core is not None, f"{self.name} is not running"
        return self.core

    @property
    def state(self) -> str:
        return self.ha.state.value

    def log_ids(self) -> list[str]:
        return [entry.message_id for _, entry in self.logs]

    def states(self) -> list[str]:
        return [s for _, s in self.history]


class Simulation:
    def __init__(
        self, configs: Mapping[str, HAConfig], latency: float = 0.001, start: float = START_TIME
    ) -> None:
        self.now = start
        self.latency = latency
        self.servers = {name: SimServer(name, cfg) for name, cfg in configs.items()}
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._tickets = itertools.count(1)
        self._cut: set[frozenset[str]] = set()
        self._dropping: set[tuple[str, str]] = set()
        self._refusing: set[tuple[str, str]] = set()
        self._addresses: dict[bytes, int] = {}

    # ------------------------------------------------------------------ control
    def local(self, name: str) -> float:
        return self.now + self.servers[name].clock_offset

    def __getitem__(self, name: str) -> SimServer:
        return self.servers[name]

    def start(self, *names: str) -> None:
        for name in names or tuple(self.servers):
            srv = self.servers[name]
            srv.alive = True
            srv.network = NetworkState()
            srv.core = HACore(srv.config, self.local(name))
            srv.history.append((self.now, srv.core.state.value))
            self._execute(srv, srv.core.start(self.local(name)))

    def crash(self, name: str) -> None:
        srv = self.servers[name]
        srv.alive = False
        srv.core = None

    def restart(self, name: str) -> None:
        """Start again with the same lease store (a persisted memfile)."""
        self.crash(name)
        self.start(name)

    def partition(self, a: str, b: str) -> None:
        self._cut.add(frozenset((a, b)))

    def heal(self, a: str, b: str) -> None:
        self._cut.discard(frozenset((a, b)))

    def drop(self, src: str, dst: str, on: bool = True) -> None:
        """Lose every request from src to dst (one-way)."""
        (self._dropping.add if on else self._dropping.discard)((src, dst))

    def refuse(self, server: str, command: str, on: bool = True) -> None:
        """Make `server` answer `command` with an error (result 1), e.g. a broken lease database."""
        (self._refusing.add if on else self._refusing.discard)((server, command))

    def _reachable(self, src: str, dst: str) -> bool:
        return frozenset((src, dst)) not in self._cut and (src, dst) not in self._dropping

    # ------------------------------------------------------------------ time
    def _at(self, when: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._seq), fn))

    def _next_timer(self) -> tuple[float, SimServer | None]:
        best: tuple[float, SimServer | None] = (
            (self._events[0][0], None) if self._events else (float("inf"), None)
        )
        for srv in self.servers.values():
            if srv.alive and srv.core is not None:
                d = srv.core.next_deadline()
                if d is not None and d - srv.clock_offset < best[0]:
                    best = (d - srv.clock_offset, srv)
        return best

    def run_until(self, end: float) -> None:
        guard = 0
        while True:
            when, srv = self._next_timer()
            if when > end:
                break
            self.now = max(self.now, when)
            if srv is not None:
                before = srv.ha.next_deadline()
                self._execute(srv, srv.ha.on_tick(self.local(srv.name)))
                guard = guard + 1 if srv.core is not None and srv.core.next_deadline() == before else 0
                if guard > 1000:
                    raise RuntimeError(f"{srv.name}: timer does not advance")
            else:
                _, _, fn = heapq.heappop(self._events)
                fn()
        self.now = max(self.now, end)

    def run_for(self, seconds: float) -> None:
        self.run_until(self.now + seconds)

    def run_until_true(self, predicate: Callable[[], bool], timeout: float, step: float = 0.5) -> bool:
        deadline = self.now + timeout
        while self.now < deadline:
            if predicate():
                return True
            self.run_until(min(deadline, self.now + step))
        return predicate()

    # ------------------------------------------------------------------ actions
    def _execute(self, srv: SimServer, actions: Iterable[Action]) -> None:
        for action in actions:
            if isinstance(action, SendRequest):
                self._send(srv, action)
            elif isinstance(action, SetDhcpService):
                if action.enabled:
                    srv.network.enable(action.origin)
                else:
                    srv.network.disable(action.origin, self.local(srv.name))
            elif isinstance(action, MergeLeases):
                merge_leases4(srv.store, action.leases)
            elif isinstance(action, ReleaseParked):
                srv.parked[action.txn] = "sent" if action.send else "dropped"
            elif isinstance(action, CommandReply):
                srv.replies[action.ticket] = action.answer
            elif isinstance(action, StateChanged):
                srv.history.append((self.now, action.current))
            elif isinstance(action, Log):
                srv.logs.append((self.now, action))

    def _send(self, src: SimServer, req: SendRequest) -> None:
        src.sent.append(req.command)
        src_name = src.name
        src_core = src.core

        def fail(reason: str) -> None:
            if src.alive and src.core is src_core and src_core is not None:
                self._execute(src, src_core.on_request_failed(req.request_id, reason, self.local(src_name)))

        def respond(body: Any) -> None:
            if src.alive and src.core is src_core and src_core is not None:
                self._execute(src, src_core.on_response(req.request_id, body, self.local(src_name)))

        def deliver() -> None:
            dst = self.servers.get(req.peer)
            if not self._reachable(src_name, req.peer):
                self._at(self.now + req.timeout - self.latency, lambda: fail("timeout"))
                return
            if dst is None or not dst.alive:
                self._at(self.now + self.latency, lambda: fail("Connection refused"))
                return
            body = self._serve(dst, req.command)
            self._at(self.now + self.latency, lambda: respond(body))

        self._at(self.now + self.latency, deliver)

    # ------------------------------------------------------------------ a peer's control channel
    def _serve(self, srv: SimServer, command: dict[str, Any]) -> list[dict[str, Any]]:
        srv.received.append(command)
        name = command["command"]
        raw_args = command.get("arguments")
        args: dict[str, Any] = raw_args if isinstance(raw_args, dict) else {}
        now = self.local(srv.name)
        if (srv.name, name) in self._refusing:
            return [{"result": 1, "text": f"{name} failed: database error"}]
        if name in HA_COMMANDS:
            ticket = next(self._tickets)
            self._execute(srv, srv.ha.on_command(name, raw_args, now, ticket))
            return [srv.replies.pop(ticket)]
        if name == "dhcp-disable":
            period = args.get("max-period")
            srv.network.disable(args.get("origin", "user"), now, period)
            return [{"result": 0, "text": f"DHCPv4 service disabled for {period} seconds"}]
        if name == "dhcp-enable":
            srv.network.enable(args.get("origin", "user"))
            return [{"result": 0, "text": "DHCP service successfully enabled"}]
        if name == "lease4-get-page":
            start = args["from"]
            after = None if start == "start" else parse_ipv4(start)
            leases = [lease4_to_json(x) for x in srv.store.page(after, args["limit"])]
            result = 0 if leases else 3
            return [
                {
                    "arguments": {"count": len(leases), "leases": leases},
                    "result": result,
                    "text": f"{len(leases)} IPv4 lease(s) found.",
                }
            ]
        if name == "lease4-update":
            lease = lease4_from_json(args)
            added = srv.store.get(lease.address) is None
            srv.store.upsert(lease)
            return [{"result": 0, "text": "IPv4 lease added." if added else "IPv4 lease updated."}]
        if name == "lease4-del":
            gone = srv.store.delete(parse_ipv4(args["ip-address"]))
            return [
                {
                    "result": 0 if gone else 3,
                    "text": "IPv4 lease deleted." if gone else "IPv4 lease not found.",
                }
            ]
        return [{"result": 2, "text": f"'{name}' command not supported."}]

    # ------------------------------------------------------------------ operator and clients
    def command(
        self, name: str, command: str, arguments: Any = None, timeout: float = 120.0
    ) -> dict[str, Any]:
        """Send an operator command to a server and run the simulation until it answers."""
        srv = self.servers[name]
        ticket = next(self._tickets)
        self._execute(srv, srv.ha.on_command(command, arguments, self.local(name), ticket))
        if not self.run_until_true(lambda: ticket in srv.replies, timeout, step=0.01):
            raise TimeoutError(f"{name}: no answer to {command}")
        return srv.replies.pop(ticket)

    def address_for(self, client: SimClient) -> int:
        return self._addresses.setdefault(client.mac, 0x0A000001 + len(self._addresses))

    def dhcp(
        self, client: SimClient, secs: int = 0, msg_type: int = DHCPDISCOVER, settle: float = 1.0
    ) -> dict[str, str]:
        """One client transaction seen by every running server; outcome per server:
        "ack" (answered), "dropped" (lease update failed), "out-of-scope", "disabled", "pending"."""
        outcomes: dict[str, str] = {}
        pending: dict[str, int] = {}
        for srv in self.servers.values():
            if not srv.alive:
                continue
            now = self.local(srv.name)
            query = client.query(secs, msg_type)
            decision = srv.ha.on_query(query, now)
            self._execute(srv, decision.actions)
            if not decision.in_scope:
                outcomes[srv.name] = "out-of-scope"
                continue
            if not srv.network.enabled(now):
                outcomes[srv.name] = "disabled"
                continue
            lease = Lease4(self.address_for(client), client.mac, client.client_id, 3600, int(now), 1)
            srv.store.upsert(lease)
            plan = srv.ha.on_leases_committed([lease], [], query, now)
            self._execute(srv, plan.actions)
            if plan.park:
                srv.parked.setdefault(plan.txn, "pending")
                pending[srv.name] = plan.txn
            outcomes[srv.name] = "ack"
        if pending:
            self.run_until_true(
                lambda: all(self.servers[n].parked.get(t) != "pending" for n, t in pending.items()),
                settle,
                0.001,
            )
            for n, t in pending.items():
                state = self.servers[n].parked.pop(t, "pending")
                outcomes[n] = {"sent": "ack", "dropped": "dropped"}.get(state, "pending")
        return outcomes

    def clients(self, count: int, start: int = 1) -> list[SimClient]:
        return [
            SimClient(bytes([2, 0, 0, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF]))
            for i in range(start, start + count)
        ]


def lease_addresses(store: MemoryLeaseStore4) -> set[int]:
    return {lease.address for lease in store.all()}


__all__ = [
    "DHCPDISCOVER",
    "DHCPREQUEST",
    "START_TIME",
    "SimClient",
    "SimServer",
    "Simulation",
    "lease_addresses",
    "make_configs",
]
