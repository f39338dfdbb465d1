"""Mixed HA pairs in network namespaces: one Kea 2.2 configuration, run by kea-dhcp4 or hakea-dhcp4.

The lab (tests.e2e.lab) has a client namespace "cl" (198.51.100.10, the relay address perfdhcp and
the scripted clients use as giaddr) and server namespaces "s1"/"s2" (198.51.100.1/.2) on a bridge.
Each server gets the very same kind of configuration file whichever program runs it (hakea reads
Kea's files unchanged): HA over Kea's own dedicated HTTP listener on the peer URL, with
multi-threading on, as shared/lab/bench4.py runs a working Kea pair -- or, with `agent`, Kea
single-threaded behind kea-ctrl-agent on the peer URL.

Kea runs with KEA_PIDFILE_DIR / KEA_LOCKFILE_DIR in the test's directory; every process is kept by
PID and stopped by PID (tests.e2e.lab.Procs). Commands go either over the UNIX control socket (a
file: reachable from the host namespace) or over HTTP from a thread that has entered a namespace
(`Netns`), so no helper process is needed per request.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import pytest

from tests.e2e.conftest import HAKEA_DHCP4, LEASE_CMDS, ctl, ctl_ready
from tests.e2e.ha_fixtures import HA_HOOK
from tests.e2e.lab import Lab, Procs, post_all, wait_until

RELAY = "198.51.100.10"  # the client namespace's address: perfdhcp's giaddr
PEER_PORT = 8001
SUBNET = "10.1.0.0/16"
SUBNET_ID = 1
POOL_HS = "10.1.0.10 - 10.1.255.250"
POOLS_LB = ("10.1.0.10 - 10.1.127.250", "10.1.128.10 - 10.1.255.250")
VALID_LIFETIME = 4000

T = TypeVar("T")

# ------------------------------------------------------------------------------------ namespaces

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _enter_netns(name: str) -> None:
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


class Netns:
    """Run callables in a thread that lives in network namespace `name` (setns(2) is per thread:
    sockets it opens belong to that namespace)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"netns-{name}",
                                        initializer=_enter_netns, initargs=(name,))

    def run(self, fn: Callable[..., T], *args: Any, timeout: float = 60.0) -> T:
        return self._pool.submit(fn, *args).result(timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Netns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def http_command(url: str, command: str, arguments: dict[str, Any] | None = None,
                 timeout: float = 3.0, service: str = "dhcp4") -> dict[str, Any]:
    """One command over HTTP (a Kea or hakea HA listener); the single answer of the list."""
    answer = post_all(url, command, arguments, service, timeout)
    assert isinstance(answer, list) and len(answer) == 1, answer  # Kea answers a list of one
    assert isinstance(answer[0], dict)
    return answer[0]


# ------------------------------------------------------------------------------------ configs


def dhcp4_config(name: str, mode: str | None, workdir: Path, *, agent: bool = False,
                 heartbeat_delay: int = 1000, max_response_delay: int = 3000,
                 sync_page_limit: int = 10) -> dict[str, Any]:
    """The Kea 2.2 "Dhcp4" map for server NAME ("server1" or "server2") in MODE ("hot-standby",
    "load-balancing" or None for a standalone server). server1 is the primary.

    By default HA runs multi-threaded over Kea's dedicated listener on the peer URL; with `agent`
    multi-threading is off and Kea's HA talks through kea-ctrl-agent, which then owns the peer URL
    (Kea 2.2's classic layout). hakea serves its peer URL itself either way."""
    pools: list[dict[str, Any]]
    if mode == "load-balancing":
        pools = [{"pool": POOLS_LB[0], "client-class": "HA_server1"},
                 {"pool": POOLS_LB[1], "client-class": "HA_server2"}]
    elif mode == "hot-standby":
        pools = [{"pool": POOL_HS, "client-class": "HA_server1"}]
    else:
        pools = [{"pool": POOL_HS}]
    d: dict[str, Any] = {
        "interfaces-config": {"interfaces": ["eth0"], "dhcp-socket-type": "raw"},
        "lease-database": {"type": "memfile", "persist": True, "lfc-interval": 0,
                           "name": str(workdir / f"{name}-leases4.csv")},
        "control-socket": {"socket-type": "unix", "socket-name": str(workdir / f"{name}.sock")},
        "valid-lifetime": VALID_LIFETIME, "renew-timer": 1000, "rebind-timer": 2000,
        "subnet4": [{"id": SUBNET_ID, "subnet": SUBNET, "relay": {"ip-addresses": [RELAY]},
                     "pools": pools, "option-data": [{"name": "routers", "data": "10.1.0.1"}]}],
        "hooks-libraries": [{"library": LEASE_CMDS}],
        "loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}],
    }
    if mode is not None:
        add_ha(d, name, mode, agent=agent, heartbeat_delay=heartbeat_delay,
               max_response_delay=max_response_delay, sync_page_limit=sync_page_limit)  # fmt: skip
    return d


def add_ha(d: dict[str, Any], name: str, mode: str, *, agent: bool, heartbeat_delay: int,
           max_response_delay: int, sync_page_limit: int,
           ha_extra: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Add to the DhcpN map `d` the HA hook (server1 primary, server2 the standby or secondary,
    peer URLs on 198.51.100.N:PEER_PORT; `ha_extra` in the HA entry) and the multi-threading it
    needs: on, over Kea's dedicated listener, or off with `agent` (kea-ctrl-agent)."""
    ha: dict[str, Any] = {
        "this-server-name": name, "mode": mode,
        "heartbeat-delay": heartbeat_delay, "max-response-delay": max_response_delay,
        "max-ack-delay": 1000, "max-unacked-clients": 0, "sync-page-limit": sync_page_limit,
        **(ha_extra or {}),
    }
    if agent:
        d["multi-threading"] = {"enable-multi-threading": False}
        ha["multi-threading"] = {"enable-multi-threading": False}
    else:
        d["multi-threading"] = {"enable-multi-threading": True, "thread-pool-size": 2,
                                "packet-queue-size": 64}
        ha["multi-threading"] = {"enable-multi-threading": True, "http-dedicated-listener": True,
                                 "http-listener-threads": 2, "http-client-threads": 2}
    second = "standby" if mode == "hot-standby" else "secondary"
    d["hooks-libraries"].append({"library": HA_HOOK, "parameters": {"high-availability": [{
        **ha,
        "peers": [
            {"name": "server1", "url": f"http://198.51.100.1:{PEER_PORT}/", "role": "primary"},
            {"name": "server2", "url": f"http://198.51.100.2:{PEER_PORT}/", "role": second},
        ]}]}})


# ------------------------------------------------------------------------------------ servers


@dataclass(eq=False)
class Server:
    """One DHCPv4 server of the lab: server1 in namespace s1 (198.51.100.1), server2 in s2.
    tests.e2e.kea6.Server6 is its DHCPv6 counterpart: FAMILY, HAKEA, SUFFIX and config_map."""

    FAMILY: ClassVar[int] = 4
    HAKEA: ClassVar[str] = HAKEA_DHCP4  # the hakea program; Kea's is kea-dhcpN
    SUFFIX: ClassVar[str] = ""  # in file and log names

    name: str  # "server1" / "server2"
    flavor: str  # "kea" / "hakea"
    lab: Lab
    procs: Procs
    workdir: Path
    mode: str | None
    agent: bool = False  # Kea: HA through kea-ctrl-agent instead of the dedicated listener
    proc: subprocess.Popen[bytes] | None = None
    agent_proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _ns: Netns | None = field(default=None, repr=False)

    @property
    def index(self) -> int:
        return int(self.name[-1])

    @property
    def address(self) -> str:
        return f"198.51.100.{self.index}"

    @property
    def url(self) -> str:
        return f"http://{self.address}:{PEER_PORT}/"

    @property
    def sock(self) -> Path:
        return self.workdir / f"{self.name}.sock"

    @property
    def service(self) -> str:
        return f"dhcp{self.FAMILY}"

    @property
    def lease_file(self) -> Path:
        return self.workdir / f"{self.name}-leases{self.FAMILY}.csv"

    @property
    def config_file(self) -> Path:
        return self.workdir / f"{self.name}{self.SUFFIX}.json"

    @property
    def agent_file(self) -> Path:
        return self.workdir / f"{self.name}-agent{self.SUFFIX}.json"

    @property
    def log_name(self) -> str:
        return f"{self.workdir.name}-{self.name}-{self.flavor}{self.SUFFIX}"

    @property
    def ns(self) -> Netns:
        """A thread in this server's namespace (its HA listener is reachable from there)."""
        if self._ns is None:
            self._ns = Netns(self.lab.ns(f"s{self.index}"))
        return self._ns

    def log(self) -> str:
        return self.procs.log(self.log_name)

    def config_map(self, **kw: Any) -> dict[str, Any]:
        """The configuration file's contents: {"Dhcp4": dhcp4_config(...)}."""
        return {"Dhcp4": dhcp4_config(self.name, self.mode, self.workdir, agent=self.agent, **kw)}

    def write_config(self, **kw: Any) -> None:
        self.config_file.write_text(json.dumps(self.config_map(**kw), indent=1))
        if self.agent and self.flavor == "kea":
            self.agent_file.write_text(json.dumps({"Control-agent": {
                "http-host": self.address, "http-port": PEER_PORT,
                "control-sockets": {self.service: {"socket-type": "unix", "socket-name": str(self.sock)}},
                "loggers": [{"name": "kea-ctrl-agent", "severity": "INFO",
                             "output_options": [{"output": "stdout"}]}],
            }}, indent=1))

    def start(self, *, empty: bool = False, timeout: float = 15.0) -> None:
        """Start the server (the configuration must be written); `empty` removes its lease files."""
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} is running"
        if empty:
            for old in self.workdir.glob(f"{self.lease_file.name}*"):
                old.unlink()
        with contextlib.suppress(FileNotFoundError):
            self.sock.unlink()
        self.starts += 1
        with open(self.procs.workdir / f"{self.log_name}.log", "a") as f:
            f.write(f"\n===== start #{self.starts} at {time.strftime('%H:%M:%S')} =====\n")
        if self.flavor == "kea":
            lock = self.workdir / f"lock-{self.name}"
            lock.mkdir(exist_ok=True)
            env = {"KEA_PIDFILE_DIR": str(self.workdir), "KEA_LOCKFILE_DIR": str(lock)}
            argv = [f"kea-dhcp{self.FAMILY}", "-c", str(self.config_file)]
        else:
            env = {}
            argv = [self.HAKEA, "-c", str(self.config_file), "-d"]
        self.proc = self.procs.start(self.log_name, self.lab.exec_argv(f"s{self.index}", argv), env)

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} ({self.flavor}) exited with {self.proc.returncode}:\n"
                                     f"{self.log()[-4000:]}")
            return ctl_ready(self.sock)

        wait_until(ready, timeout, interval=0.1, what=f"{self.name} ({self.flavor}) control socket")
        agent_down = self.agent_proc is None or self.agent_proc.poll() is not None
        if self.agent and self.flavor == "kea" and agent_down:
            argv = ["kea-ctrl-agent", "-c", str(self.agent_file)]
            self.agent_proc = self.procs.start(f"{self.log_name}-agent",
                                               self.lab.exec_argv(f"s{self.index}", argv), env)

            def listening() -> bool:
                assert self.agent_proc is not None
                if self.agent_proc.poll() is not None:
                    agent_log = self.procs.log(f"{self.log_name}-agent")
                    raise AssertionError(f"kea-ctrl-agent exited:\n{agent_log}")
                try:
                    return bool(self.http("version-get", timeout=1.0)["result"] == 0)
                except (OSError, urllib.error.URLError):
                    return False

            wait_until(listening, timeout, interval=0.1, what=f"{self.name}'s kea-ctrl-agent")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Stop the DHCP server (a kea-ctrl-agent in front of Kea keeps running, as it would when
        only kea-dhcp4 crashes)."""
        if self.proc is not None:
            self.procs.kill(self.proc, sig)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        self.kill(signal.SIGTERM)
        if self.agent_proc is not None:
            self.procs.kill(self.agent_proc, signal.SIGTERM)
        if self._ns is not None:
            self._ns.close()

    # ---- commands ------------------------------------------------------------------------------

    def ctl(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command over the UNIX control socket."""
        answer = ctl(self.sock, command, arguments)
        assert isinstance(answer, dict)
        return answer

    def http(self, command: str, arguments: dict[str, Any] | None = None,
             timeout: float = 3.0) -> dict[str, Any]:
        """A command over this server's HA listener (its peer URL, or the kea-ctrl-agent in front of
        Kea), sent from its namespace."""
        return self.ns.run(http_command, self.url, command, arguments, timeout, self.service,
                           timeout=timeout + 5)  # fmt: skip

    def ha_state(self) -> str | None:
        try:
            answer = self.http("ha-heartbeat", timeout=1.0)
        except (OSError, urllib.error.URLError, AssertionError):
            return None
        args = answer.get("arguments")
        return args.get("state") if isinstance(args, dict) else None

    def heartbeat(self) -> dict[str, Any]:
        answer = self.http("ha-heartbeat")
        assert answer["result"] == 0, answer
        args = answer["arguments"]
        assert isinstance(args, dict)
        return args

    def leases(self, over_http: bool = False) -> list[dict[str, Any]]:
        """leaseN-get-all, over the control socket or the HA listener."""
        command = f"lease{self.FAMILY}-get-all"
        answer = self.http(command) if over_http else self.ctl(command)
        assert answer["result"] in (0, 3), answer
        leases = (answer.get("arguments") or {}).get("leases", [])
        assert isinstance(leases, list)
        return leases

    def lease_keys(self, over_http: bool = True) -> set[Any]:
        """The leases as the partners must agree on them (lease_key)."""
        return lease_set(self.leases(over_http))


def wait_states(want: dict[Server, str], timeout: float) -> float:
    """Wait until each server reports its wanted HA state; returns the seconds it took."""
    t0 = time.monotonic()
    seen: dict[str, str | None] = {}

    def check() -> bool:
        for server in want:
            seen[server.name] = server.ha_state()
        return all(seen[s.name] == state for s, state in want.items())

    try:
        wait_until(check, timeout, interval=0.2, what=f"states {[(s.name, st) for s, st in want.items()]}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; seen {seen}") from None
    return time.monotonic() - t0


# ------------------------------------------------------------------------------------ leases


def lease_key(lease: dict[str, Any]) -> tuple[Any, ...]:
    """What two HA partners must agree on for a lease."""
    return (lease["ip-address"], lease["hw-address"], lease.get("client-id", ""), lease["subnet-id"],
            lease["valid-lft"], lease["cltt"], lease["state"], lease.get("hostname", ""),
            lease["fqdn-fwd"], lease["fqdn-rev"])


def lease_set(leases: Iterable[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {lease_key(le) for le in leases}


def same_leases(a: Server, b: Server, at_least: int, timeout: float = 5.0) -> set[Any]:
    """Both hold the same leases (read over each one's HA listener), at least `at_least`; returns
    them (lease_keys)."""
    seen: dict[str, int] = {}

    def same() -> bool:
        ka, kb = a.lease_keys(), b.lease_keys()
        seen.update({a.name: len(ka), b.name: len(kb), "common": len(ka & kb)})
        return ka == kb

    try:
        wait_until(same, timeout, interval=0.2, what=f"{a.name} and {b.name} to hold the same leases")
    except AssertionError as exc:
        only_a, only_b = a.lease_keys() - b.lease_keys(), b.lease_keys() - a.lease_keys()
        raise AssertionError(f"{exc}; sizes {seen}\nonly {a.name}: {sorted(only_a)[:10]}\n"
                             f"only {b.name}: {sorted(only_b)[:10]}") from None
    leases = a.lease_keys()
    assert len(leases) >= at_least, (len(leases), at_least)
    return leases


# ------------------------------------------------------------------------------------ pairs

BOTH_WAYS = [("kea", "hakea"), ("hakea", "kea")]  # (server1's program, server2's)
FLAVORS = [  # (flavors, agent): with Kea behind kea-ctrl-agent too
    pytest.param(("kea", "hakea"), False, id="kea-primary"),
    pytest.param(("hakea", "kea"), False, id="hakea-primary"),
    pytest.param(("kea", "hakea"), True, id="kea-primary-agent"),
    pytest.param(("hakea", "kea"), True, id="hakea-primary-agent"),
]

S = TypeVar("S", bound=Server)


class Pair(Generic[S]):
    """server1 and server2 of one configuration (`mode`, `flavors`: who runs each), their
    configuration files written (`config`: dhcpN_config's keyword arguments)."""

    def __init__(self, kind: type[S], net: Lab, procs: Procs, workdir: Path, mode: str | None,
                 flavors: tuple[str, str], *, agent: bool = False, **config: Any) -> None:  # fmt: skip
        self.net = net
        self.s1 = kind("server1", flavors[0], net, procs, workdir, mode, agent=agent)
        self.s2 = kind("server2", flavors[1], net, procs, workdir, mode, agent=agent)
        for s in self.servers:
            s.write_config(**config)

    @property
    def servers(self) -> tuple[S, S]:
        return self.s1, self.s2

    def by_name(self, name: str) -> S:
        return self.s1 if name == "server1" else self.s2

    def partner(self, s: S) -> S:
        return self.s2 if s is self.s1 else self.s1

    def by_flavor(self, flavor: str) -> S:
        return next(s for s in self.servers if s.flavor == flavor)

    def start(self) -> None:
        for s in self.servers:
            s.start()

    def close(self) -> None:
        for s in self.servers:
            s.close()

    def check_alive(self) -> None:
        for s in self.servers:
            assert s.running, f"{s.name} ({s.flavor}) died:\n{s.log()[-3000:]}"

    def restart_sniffed(self, server: S, normal: str, *, empty: bool = True,
                        then: Callable[[], object] | None = None) -> Sniffer:  # fmt: skip
        """`server` started again (with an empty lease file unless not `empty`; `then` run once it
        has started) while its partner's HA traffic is recorded, until both are in `normal`.
        Returns the recording (for synced_from)."""
        with Sniffer(self.net, f"s{self.partner(server).index}") as sniffer:
            server.start(empty=empty)
            if then is not None:
                then()
            took = wait_states({self.s1: normal, self.s2: normal}, 30)
        print(f"{server.name} ({server.flavor}) restarted: both {normal} {took:.1f} s later")
        return sniffer


@contextlib.contextmanager
def pair_maker(kind: type[S], net: Lab, procs: Procs, workdir: Path) -> Iterator[Callable[..., Pair[S]]]:
    """make(mode, flavors, agent=False, **config) -> a Pair in `workdir`; all closed at the end."""
    made: list[Pair[S]] = []

    def make(mode: str | None, flavors: tuple[str, str], agent: bool = False, **config: Any) -> Pair[S]:
        made.append(Pair(kind, net, procs, workdir, mode, flavors, agent=agent, **config))
        return made[-1]

    try:
        yield make
    finally:
        for p in made:
            p.close()


def synced_from(sniffer: Sniffer, syncer: Server, source: Server, page: int) -> list[str]:
    """`syncer` synchronised from `source` as Kea 2.2 does: dhcp-disable (origin ha-partner, with a
    max-period), leaseN-get-page from "start" and on (`page` leases each: the syncer's
    sync-page-limit), then one ha-sync-complete-notify and no dhcp-enable. Returns the commands."""
    sent = [s for s in sniffer.seen if s.src == syncer.address and s.dst == source.address
            and s.command != "ha-heartbeat"]
    names = [s.command for s in sent]
    assert "dhcp-disable" in names, names
    first = names.index("dhcp-disable")
    disable = sent[first].body
    assert disable is not None and disable["arguments"]["origin"] == "ha-partner", disable
    assert disable["arguments"]["max-period"] >= 1, disable
    assert disable["service"] == [syncer.service], disable
    get_page, other_family = (f"lease{n}-get-page" for n in (syncer.FAMILY, {4: 6, 6: 4}[syncer.FAMILY]))
    pages = [s for s in sent[first:] if s.command == get_page]
    assert len(pages) >= 2, names
    assert pages[0].body is not None and pages[0].body["arguments"] == {"from": "start", "limit": page}
    assert pages[1].body is not None and pages[1].body["arguments"]["from"] != "start", pages[1].body
    assert other_family not in names, names
    assert names[first:].count("ha-sync-complete-notify") == 1, names
    assert names[-1] == "ha-sync-complete-notify", names
    assert "dhcp-enable" not in names[first:], names
    return names


# ------------------------------------------------------------------------------------ clients


def perfdhcp(lab: Lab, *, count: int, server: str | None, batch: int = 1, rate: int = 200,
             timeout: float = 60.0, extra: Iterable[str] = ()) -> str:
    """perfdhcp from the client namespace: `count` DORA exchanges as a relay (giaddr RELAY); to
    `server`, or broadcast on eth0 when None. Returns its output. perfdhcp numbers its clients from
    the base MAC whatever the seed, so each `batch` gets its own base (02:00:00:<batch>:00:00):
    batches never share a client."""
    argv = ["perfdhcp", "-4", "-r", str(rate), "-n", str(count), "-R", "65536",
            "-b", f"mac=02:00:00:{batch:02x}:00:00", "-W", "1000000", "-l", "eth0", *extra]
    if server is not None:
        argv.append(server)
    r = subprocess.run(lab.exec_argv("cl", argv), capture_output=True, text=True, timeout=timeout)
    return r.stdout + r.stderr


def _relay_discover(servers: list[str], clients: list[tuple[bytes, bytes | None]], window: int,
                    patience: float, quiet: float, timeout: float) -> list[list[str]]:
    """In the client namespace: each client's DISCOVER (giaddr RELAY; option 61 when the client has
    an identifier) to every server, once, with at most `window` clients waiting for an OFFER (a
    client unanswered for `patience` s stops waiting), so no server's packet queue overflows:
    Kea's packet-queue-size (64 here) drops the oldest, and a server's queue holds the clients
    waiting for it and, between them, about as many of its partner's that it does not answer.
    Ends `quiet` s after the last OFFER once nobody waits, so a second server answering late is
    seen. Returns, per client, the server identifiers that offered."""
    from tests.e2e import dhcp_client as dc

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE: hold every answer
    sock.bind((RELAY, 67))
    sock.settimeout(0.02)
    xids = random.sample(range(1 << 32), len(clients))  # distinct: an answer names one client
    index = {xid: n for n, xid in enumerate(xids)}
    answered: list[list[str]] = [[] for _ in clients]
    waiting: dict[int, float] = {}  # xid -> sent at, in sending order
    sent = 0
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    try:
        while (now := time.monotonic()) < deadline:
            while sent < len(clients) and len(waiting) < window:
                mac, client_id = clients[sent]
                options = [(61, client_id)] if client_id else None
                data = dc.build(dc.DISCOVER, mac, xid=xids[sent], giaddr=RELAY, hops=1, options=options)
                for server in servers:
                    sock.sendto(data, (server, 67))
                waiting[xids[sent]] = now
                sent += 1
            while waiting and now - next(iter(waiting.values())) > patience:
                del waiting[next(iter(waiting))]  # unanswered
            if sent == len(clients) and not waiting and now - last > quiet:
                break
            try:
                data, _ = sock.recvfrom(4096)
            except (TimeoutError, BlockingIOError):
                continue
            with contextlib.suppress(ValueError):
                reply = dc.parse(data)
                n = index.get(reply.xid)
                if n is not None and reply.message_type == dc.OFFER and reply.server_id:
                    answered[n].append(reply.server_id)
                    waiting.pop(reply.xid, None)
                    last = time.monotonic()
        return answered
    finally:
        sock.close()


def _client_story(server: str) -> dict[str, Any]:
    """In the client namespace, as a relay for four clients of `server`: one bound, one declined,
    one released, one renewed. Returns their addresses (and the released client's MAC)."""
    from tests.e2e import dhcp_client as dc

    relay = dc.Relay(RELAY, server, 67)
    try:
        macs = [dc.mac_of(0xC0DE00 + n) for n in range(4)]
        acks = [relay.dora(mac)[1] for mac in macs]
        relay.decline(macs[1], acks[1].address, server)
        relay.release(macs[2], acks[2].address, server)
        renewed = relay.renew(macs[3], acks[3].address)
        assert renewed is not None and renewed.message_type == dc.ACK, renewed
        return {"bound": acks[0].address, "declined": acks[1].address, "released": acks[2].address,
                "renewed": acks[3].address, "released-mac": dc.mac_str(macs[2])}
    finally:
        relay.close()


def client_story(lab: Lab, server: str) -> dict[str, Any]:
    ns = Netns(lab.ns("cl"))
    try:
        return ns.run(_client_story, server)
    finally:
        ns.close()


def discover_everywhere(lab: Lab, servers: list[str], clients: list[tuple[bytes, bytes | None]], *,
                        window: int = 16, patience: float = 2.0, quiet: float = 0.5,
                        timeout: float = 60.0) -> list[list[str]]:  # fmt: skip
    """_relay_discover from the client namespace: per client (MAC, option 61 data or None), the
    server identifiers that offered, in `clients`' order."""
    ns = Netns(lab.ns("cl"))
    try:
        return ns.run(_relay_discover, servers, clients, window, patience, quiet, timeout,
                      timeout=timeout + 5)  # fmt: skip
    finally:
        ns.close()


# ------------------------------------------------------------------------------------ wire capture

_COMMAND_RE = re.compile(rb'"command"\s*:\s*"([a-z0-9-]+)"')
_ETH_P_ALL = 0x0003


@dataclass(frozen=True)
class Seen:
    """One HTTP request seen on the wire: who sent which command (and its JSON, when parseable)."""

    src: str
    dst: str
    command: str
    body: dict[str, Any] | None
    at: float  # time.monotonic()


class Sniffer:
    """Records the HA commands (HTTP POST bodies to PEER_PORT) crossing eth0 of a namespace: an
    AF_PACKET socket read by a thread that entered the namespace. Requests are small enough to fit
    one TCP segment (answers, e.g. lease pages, are not parsed)."""

    def __init__(self, lab: Lab, short: str) -> None:
        self.seen: list[Seen] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(lab.ns(short),), daemon=True)

    def __enter__(self) -> Sniffer:
        self._thread.start()
        assert self._ready.wait(5), "sniffer did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)  # let the last frames in
        self._stop.set()
        self._thread.join(5)

    def commands(self, src: str | None = None) -> list[str]:
        return [s.command for s in self.seen if src is None or s.src == src]

    def _run(self, ns: str) -> None:
        _enter_netns(ns)
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        sock.bind(("eth0", 0))
        sock.settimeout(0.1)
        self._ready.set()
        with sock:
            while not self._stop.is_set():
                try:
                    frame = sock.recv(65535)
                except TimeoutError:
                    continue
                self._take(frame)

    def _take(self, frame: bytes) -> None:
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:  # IPv4, TCP
            return
        ihl = (frame[14] & 0x0F) * 4
        tcp = 14 + ihl
        dport = int.from_bytes(frame[tcp + 2 : tcp + 4], "big")
        if dport != PEER_PORT:
            return
        payload = frame[tcp + (frame[tcp + 12] >> 4) * 4 :]
        m = _COMMAND_RE.search(payload)
        if m is None:
            return
        src = socket.inet_ntoa(frame[26:30])
        dst = socket.inet_ntoa(frame[30:34])
        body: dict[str, Any] | None = None
        start = payload.find(b"\r\n\r\n")
        if start >= 0:
            with contextlib.suppress(ValueError):
                parsed = json.loads(payload[start + 4 :])
                body = parsed if isinstance(parsed, dict) else None
        self.seen.append(Seen(src, dst, m.group(1).decode(), body, time.monotonic()))
