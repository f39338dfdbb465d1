"""A load-balancing HA pair on loopback: every client's DISCOVER and REQUEST goes to both servers
(as a broadcast would reach both), and exactly one answers -- the one RFC 3074's hash names, from
the pool of its own HA scope class. Both servers end up with the same leases (lease updates).
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hakea.ha.query_filter import lb_hash
from tests.e2e import dhcp_client as dc
from tests.e2e.ha_fixtures import HAServer, LoopbackHA4, same_leases
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

RELAY = "127.0.0.30"
ADDRESSES = {"server1": "127.0.0.31", "server2": "127.0.0.32"}
ROLES = {"server1": "primary", "server2": "secondary"}
POOLS = {"server1": ("10.0.1.0", "10.0.1.255"), "server2": ("10.0.2.0", "10.0.2.255")}
CLIENTS = 200


@dataclass
class Pair:
    s1: HAServer
    s2: HAServer
    sock: socket.socket  # the relay agent's socket, RELAY:port
    port: int


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[Pair]:
    subnet = {
        "id": 7,
        "subnet": "10.0.0.0/16",
        "relay": {"ip-addresses": [RELAY]},
        "pools": [{"pool": f"{first} - {last}", "client-class": f"HA_{owner}"}
                  for owner, (first, last) in POOLS.items()],
    }
    peers = {name: (ROLES[name], address) for name, address in ADDRESSES.items()}
    ha = LoopbackHA4(workdir, procs, "lb", "load-balancing", peers, relay=RELAY, subnet=subnet)
    with ha as servers:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        try:
            sock.bind((RELAY, ha.port))
            yield Pair(servers["server1"], servers["server2"], sock, ha.port)
        finally:
            sock.close()


@dataclass
class Client:
    mac: bytes
    client_id: bytes | None
    xid: int

    @property
    def options(self) -> list[tuple[int, bytes]]:
        return [(61, self.client_id)] if self.client_id else []

    @property
    def owner(self) -> str:
        # Kea's key: option 61's whole data when present, else chaddr; index 0 is the primary.
        key = self.client_id or self.mac
        return "server1" if lb_hash(key) % 2 == 0 else "server2"


def collect(
    sock: socket.socket, xids: set[int], timeout: float, quiet: float = 0.5
) -> list[tuple[str, dc.Reply]]:
    """Replies (sender address, reply) for `xids`: until each xid has one and `quiet` s pass with
    nothing more (so a duplicate answer would be caught), or `timeout`."""
    got: list[tuple[str, dc.Reply]] = []
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < deadline:
        if seen >= xids and time.monotonic() - last > quiet:
            break
        sock.settimeout(0.05)
        try:
            data, addr = sock.recvfrom(4096)
        except TimeoutError:
            continue
        reply = dc.parse(data)
        if reply.xid in xids:
            got.append((addr[0], reply))
            seen.add(reply.xid)
            last = time.monotonic()
    return got


def send_to_both(pair: Pair, packets: list[bytes]) -> None:
    for i, data in enumerate(packets):
        for address in ADDRESSES.values():
            pair.sock.sendto(data, (address, pair.port))
        if i % 20 == 19:
            time.sleep(0.005)  # keep the servers' receive queues comfortable


def test_both_reach_load_balancing(pair: Pair) -> None:
    pair.s1.wait_state("load-balancing")
    pair.s2.wait_state("load-balancing")
    assert pair.s1.command("ha-heartbeat")["arguments"]["scopes"] == ["server1"]
    assert pair.s2.command("ha-heartbeat")["arguments"]["scopes"] == ["server2"]


def test_each_client_answered_by_its_hash_owner_only(pair: Pair) -> None:
    pair.s1.wait_state("load-balancing")
    pair.s2.wait_state("load-balancing")
    clients = []
    for n in range(CLIENTS):
        mac = b"\x02" + os.urandom(5)
        # Half carry a client identifier: then it, not the MAC, is the load-balancing key.
        cid = b"\x01" + os.urandom(6) if n % 2 else None
        clients.append(Client(mac, cid, struct.unpack("!I", os.urandom(4))[0]))
    by_xid = {c.xid: c for c in clients}
    owners = {c.owner for c in clients}
    assert owners == {"server1", "server2"}

    send_to_both(pair, [dc.build(dc.DISCOVER, c.mac, xid=c.xid, giaddr=RELAY, hops=1, options=c.options)
                        for c in clients])
    offers = collect(pair.sock, set(by_xid), timeout=15.0)
    answered: dict[int, list[str]] = {}
    for sender, reply in offers:
        answered.setdefault(reply.xid, []).append(sender)
        assert reply.message_type == dc.OFFER
    assert len(answered) == CLIENTS, f"{CLIENTS - len(answered)} client(s) got no OFFER"
    for xid, senders in answered.items():
        c = by_xid[xid]
        assert senders == [ADDRESSES[c.owner]], (c, senders)

    offer_of = {r.xid: r for _, r in offers}
    requests = []
    for c in clients:
        o = offer_of[c.xid]
        first, last = POOLS[c.owner]
        assert dc.ip(first) <= o.yiaddr <= dc.ip(last), (c.owner, o.address)
        assert o.server_id == ADDRESSES[c.owner]
        requests.append(dc.build(dc.REQUEST, c.mac, xid=c.xid, giaddr=RELAY, hops=1,
                                 options=[(50, dc.opt_ip(o.address)), (54, dc.opt_ip(o.server_id)),
                                          *c.options]))
    send_to_both(pair, requests)
    acks = collect(pair.sock, set(by_xid), timeout=20.0)
    assert len({r.xid for _, r in acks}) == CLIENTS
    assert len(acks) == CLIENTS  # nobody answered twice
    for sender, ack in acks:
        c = by_xid[ack.xid]
        assert sender == ADDRESSES[c.owner] and ack.message_type == dc.ACK
        assert ack.yiaddr == offer_of[ack.xid].yiaddr

    # Each server told the other: both hold all 200 leases, identical.
    wait_until(same_leases(pair.s1, pair.s2), 5.0, interval=0.2, what="identical lease sets")
    assert len(pair.s1.leases()) == CLIENTS
