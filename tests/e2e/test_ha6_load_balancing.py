"""A DHCPv6 load-balancing HA pair on loopback: two real hakea-dhcp6 processes (server1 primary,
server2 secondary), each on its own UDP port on ::1, peer URLs on 127.0.0.7x -- and the same with
Debian's kea-dhcp6 2.2 as either partner (when installed), so hakea and Kea must agree on the owner
of every DUID. All run one Kea configuration (HA over Kea's dedicated listener, multi-threaded, as
Kea 2.2 requires for it).

The test is a relay agent that forwards every client's Solicit and Request to both servers (as a
multicast reaches both). Exactly one answers: the one the RFC 3074 hash of the client's DUID names
(hakea.ha.query_filter.lb_hash, index 0 = the primary), from the address pool and the pd-pool of
its own HA scope class. Each server tells the other (lease6-bulk-apply before the Reply): both end
with the same leases.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hakea.ha.query_filter import lb_hash
from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import HA_HOOK, Server6, dhcp6_config, free_udp6_port
from tests.e2e.ha_fixtures import Peer, free_port_on, ha_hook
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HTTP = {"server1": "127.0.0.71", "server2": "127.0.0.72"}
ROLES = {"server1": "primary", "server2": "secondary"}
POOLS = {"server1": "2001:db8:1::1:0/112", "server2": "2001:db8:1::2:0/112"}
PD_POOLS = {"server1": "2001:db8:10::/48", "server2": "2001:db8:20::/48"}
CLIENTS = 150
SUBNET = {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    "pools": [{"pool": POOLS[n], "client-class": f"HA_{n}"} for n in POOLS],
    "pd-pools": [
        {
            "prefix": PD_POOLS[n].split("/")[0],
            "prefix-len": 48,
            "delegated-len": 64,
            "client-class": f"HA_{n}",
        }
        for n in PD_POOLS
    ],
}


MT_HA = {"enable-multi-threading": True, "http-dedicated-listener": True, "http-listener-threads": 2,
         "http-client-threads": 2}  # fmt: skip
MT = {"enable-multi-threading": True, "thread-pool-size": 2, "packet-queue-size": 512}
FLAVORS = {"hakea": ("hakea", "hakea"), "hakea+kea": ("hakea", "kea"), "kea+hakea": ("kea", "hakea")}


class KeaServer6(Server6):
    """kea-dhcp6 2.2 on the same configuration; commands over its HA listener (the peer URL)."""

    def start(self, timeout: float = 15.0) -> Server6:
        self.config_path.write_text(json.dumps(self.config, indent=2))
        env = {"KEA_PIDFILE_DIR": str(self.workdir), "KEA_LOCKFILE_DIR": str(self.workdir)}
        proc = self.procs.start(
            self.name, ["kea-dhcp6", "-c", str(self.config_path), "-p", str(self.port)], env
        )
        self.proc = proc

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {proc.returncode}:\n{self.log()[-4000:]}")
            try:
                return self.command("status-get", timeout=1.0).get("result") == 0  # type: ignore[no-any-return]
            except Exception:
                return False

        wait_until(up, timeout, interval=0.1, what=f"{self.name} up")
        return self


@dataclass
class Pair:
    flavor: str
    servers: dict[str, Server6]
    sock: socket.socket  # the relay agent's socket (::1, ephemeral port)

    @property
    def s1(self) -> Server6:
        return self.servers["server1"]

    @property
    def s2(self) -> Server6:
        return self.servers["server2"]

    def server_of_port(self, port: int) -> str:
        return next(name for name, s in self.servers.items() if s.port == port)


@pytest.fixture(scope="module", params=list(FLAVORS))
def pair(request: pytest.FixtureRequest, workdir: Path, procs: Procs) -> Iterator[Pair]:
    flavor: str = request.param
    programs = dict(zip(HTTP, FLAVORS[flavor], strict=True))
    if "kea" in programs.values() and (shutil.which("kea-dhcp6") is None or not os.path.exists(HA_HOOK)):
        pytest.skip("kea-dhcp6 2.2 with the HA hook is not installed")
    http = free_port_on(*HTTP.values(), kind=socket.SOCK_STREAM)
    peers = [Peer(n, f"http://{a}:{http}/", ROLES[n]) for n, a in HTTP.items()]
    servers: dict[str, Server6] = {}
    for name, address in HTTP.items():
        hook = ha_hook(name, "load-balancing", peers, **{"multi-threading": MT_HA})
        label = f"lb6-{flavor}-{name}"
        config = dhcp6_config(workdir, label, interfaces=["lo/::1"], subnets=[SUBNET], hooks=[hook],
                              extra={"multi-threading": MT})  # fmt: skip
        kind = KeaServer6 if programs[name] == "kea" else Server6
        servers[name] = kind(
            label, workdir, procs, config, port=free_udp6_port(), url=f"http://{address}:{http}/"
        )
    for s in servers.values():
        s.lease_file.unlink(missing_ok=True)
        s.start()
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("::1", 0))
    try:
        yield Pair(flavor, servers, sock)
    finally:
        sock.close()
        for s in servers.values():
            s.stop()


# ---- clients with DUIDs of every type ----------------------------------------------------------


def random_duid(n: int) -> bytes:
    """DUID-LLT, DUID-EN, DUID-LL and DUID-UUID in turn, random contents (RFC 8415 section 11)."""
    kind = n % 4
    if kind == 0:
        return struct.pack("!HHI", 1, 1, int.from_bytes(os.urandom(4), "big")) + os.urandom(6)
    if kind == 1:
        return struct.pack("!HI", 2, 2495) + os.urandom(1 + n % 12)
    if kind == 2:
        return struct.pack("!HH", 3, 1) + os.urandom(6)
    return struct.pack("!H", 4) + os.urandom(16)


@dataclass
class Client:
    duid: bytes
    xid: int

    @property
    def owner(self) -> str:
        # Kea's key in v6: the whole client-identifier option data; peer index 0 is the primary.
        return "server1" if lb_hash(self.duid) % 2 == 0 else "server2"


def relay_forw(sock: socket.socket, msg: bytes) -> bytes:
    port = int(sock.getsockname()[1])
    options = dc.opt(dc.OPT_RELAY_SOURCE_PORT, struct.pack("!H", port)) + dc.opt(dc.OPT_INTERFACE_ID, b"lb")
    head = struct.pack("!BB", dc.RELAY_FORW, 0) + dc.addr("2001:db8:1::1") + dc.addr("fe80::1")
    return head + options + dc.opt(dc.OPT_RELAY_MSG, msg)


def send_to_both(pair: Pair, messages: list[bytes]) -> None:
    for i, msg in enumerate(messages):
        data = relay_forw(pair.sock, msg)
        for s in pair.servers.values():
            assert s.port is not None
            pair.sock.sendto(data, ("::1", s.port))
        if i % 20 == 19:
            time.sleep(0.005)  # keep the servers' receive queues comfortable


def collect(pair: Pair, xids: set[int], timeout: float, quiet: float = 0.5) -> list[tuple[str, dc.Reply6]]:
    """(server name, reply) for `xids`: until each has one and `quiet` s pass with nothing more (a
    duplicate answer would be caught), or `timeout`."""
    got: list[tuple[str, dc.Reply6]] = []
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < deadline:
        if seen >= xids and time.monotonic() - last > quiet:
            break
        pair.sock.settimeout(0.05)
        try:
            data, sender = pair.sock.recvfrom(65536)
        except TimeoutError:
            continue
        if len(data) < 34 or data[0] != dc.RELAY_REPL:
            continue
        inner = next((p for c, p in dc.parse_options(data[34:]) if c == dc.OPT_RELAY_MSG), None)
        if inner is None:
            continue
        reply = dc.parse_client(inner)
        if reply.xid in xids:
            got.append((pair.server_of_port(sender[1]), reply))
            seen.add(reply.xid)
            last = time.monotonic()
    return got


def in_net(text: str, net: str) -> bool:
    return ipaddress.IPv6Network(text, strict=False).subnet_of(ipaddress.IPv6Network(net))


def lease_view(server: Server6) -> list[tuple[Any, ...]]:
    return sorted(tuple(sorted(le.items())) for le in server.leases())


# ---- tests -------------------------------------------------------------------------------------


def test_both_reach_load_balancing(pair: Pair) -> None:
    pair.s1.wait_state("load-balancing")
    pair.s2.wait_state("load-balancing")
    assert pair.s1.command("ha-heartbeat")["arguments"]["scopes"] == ["server1"]
    assert pair.s2.command("ha-heartbeat")["arguments"]["scopes"] == ["server2"]
    status = pair.s2.command("status-get")["arguments"]["high-availability"][0]
    assert status["ha-mode"] == "load-balancing"
    assert status["ha-servers"]["local"]["role"] == "secondary"


def test_each_duid_answered_by_its_hash_owner_only(pair: Pair) -> None:
    pair.s1.wait_state("load-balancing")
    pair.s2.wait_state("load-balancing")
    clients = [Client(random_duid(n), dc.new_xid()) for n in range(CLIENTS)]
    assert len({c.xid for c in clients}) == CLIENTS
    by_xid = {c.xid: c for c in clients}
    assert {c.owner for c in clients} == {"server1", "server2"}
    oro = dc.opt(dc.OPT_ORO, struct.pack("!H", 23))
    elapsed = dc.opt(dc.OPT_ELAPSED, b"\x00\x00")

    send_to_both(pair, [
        dc.message(dc.SOLICIT, c.xid, dc.opt(dc.OPT_CLIENTID, c.duid), elapsed, dc.ia_na(1), dc.ia_pd(2), oro)
        for c in clients
    ])  # fmt: skip
    advertises = collect(pair, set(by_xid), timeout=15.0)
    answered: dict[int, list[str]] = {}
    for sender, adv in advertises:
        answered.setdefault(adv.xid, []).append(sender)
        assert adv.msg_type == dc.ADVERTISE
    assert len(answered) == CLIENTS, f"{CLIENTS - len(answered)} client(s) got no Advertise"
    for xid, senders in answered.items():
        assert senders == [by_xid[xid].owner], (by_xid[xid], senders)

    server_ids: dict[str, bytes] = {}
    adv_of = {a.xid: a for _, a in advertises}
    requests = []
    for c in clients:
        adv = adv_of[c.xid]
        assert adv.get(dc.OPT_CLIENTID) == c.duid
        (address,), (prefix,) = adv.addresses(), adv.prefixes()
        assert in_net(address, POOLS[c.owner]), (c.owner, address)
        assert in_net(prefix, PD_POOLS[c.owner]) and prefix.endswith("/64"), (c.owner, prefix)
        assert adv.server_id is not None
        assert server_ids.setdefault(c.owner, adv.server_id) == adv.server_id
        requests.append(dc.message(
            dc.REQUEST, c.xid, dc.opt(dc.OPT_CLIENTID, c.duid), dc.opt(dc.OPT_SERVERID, adv.server_id),
            elapsed, dc.ia_na(1, address), dc.ia_pd(2, (prefix.split("/")[0], 64)), oro,
        ))  # fmt: skip
    assert server_ids["server1"] != server_ids["server2"]
    send_to_both(pair, requests)
    replies = collect(pair, set(by_xid), timeout=20.0)
    assert len({r.xid for _, r in replies}) == CLIENTS
    assert len(replies) == CLIENTS  # nobody answered twice
    for sender, reply in replies:
        c = by_xid[reply.xid]
        assert sender == c.owner and reply.msg_type == dc.REPLY, (c, sender, reply)
        assert reply.addresses() == adv_of[reply.xid].addresses()
        assert reply.prefixes() == adv_of[reply.xid].prefixes()

    # Each server told the other before replying: both hold every lease, identical.
    wait_until(lambda: lease_view(pair.s1) == lease_view(pair.s2), 5.0, interval=0.2,
               what="identical lease6 sets")  # fmt: skip
    leases = pair.s1.leases()
    assert len(leases) == 2 * CLIENTS
    assert {le["type"] for le in leases} == {"IA_NA", "IA_PD"}
    owners = {c.duid.hex(":"): c.owner for c in clients}
    for le in leases:  # each lease in its owner's pool, on both servers
        pool = POOLS if le["type"] == "IA_NA" else PD_POOLS
        assert in_net(f"{le['ip-address']}/{le.get('prefix-len', 128)}", pool[owners[le["duid"]]]), le
    for s in pair.servers.values():
        if not isinstance(s, KeaServer6):
            assert s.stat("pkt6-reply-sent") >= 1
