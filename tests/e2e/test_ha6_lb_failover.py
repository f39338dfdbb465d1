"""DHCPv6 load-balancing failover with two real hakea-dhcp6 processes on loopback (server1 primary,
server2 secondary; each on its own UDP port on ::1, peer URLs on 127.0.0.9x). The test is the relay
agent; max-unacked-clients 0 (the survivor goes partner-down as soon as communication has been
interrupted for max-response-delay) and sync-page-limit 2.

1. In load-balancing each client is served by the owner of its DUID (RFC 3074 hash, index 0 = the
   primary) from the pool and pd-pool of its own HA scope class; both servers hold every lease.
2. server1 is killed (-9, by PID). server2 goes partner-down and serves both scopes: a Renew naming
   server1 goes unanswered (RFC 8415 section 18.4), the Rebind of a server1 client is answered with
   the same address and prefix; a new server1 client gets a lease from server1's pools.
3. server1 restarts with an empty lease file: waiting -> syncing (lease6-get-page, pages of 2) ->
   ready -> load-balancing on both, identical lease sets, and lease updates flow again.
"""

from __future__ import annotations

import ipaddress
import re
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hakea.ha.query_filter import lb_hash
from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config, free_udp6_port
from tests.e2e.ha_fixtures import Peer, free_port_on, ha_hook
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HTTP = {"server1": "127.0.0.91", "server2": "127.0.0.92"}
ROLES = {"server1": "primary", "server2": "secondary"}
POOLS = {"server1": "2001:db8:1::1:0/112", "server2": "2001:db8:1::2:0/112"}
PD_POOLS = {"server1": "2001:db8:10::/48", "server2": "2001:db8:20::/48"}
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


def owner(duid: bytes) -> str:
    # Kea's key in v6: the whole client-identifier option data; peer index 0 is the primary.
    return "server1" if lb_hash(duid) % 2 == 0 else "server2"


def duids_of(name: str, count: int, start: int) -> list[bytes]:
    """The first `count` DUID-LLs from `start` on that hash to `name`."""
    found: list[bytes] = []
    n = start
    while len(found) < count:
        if owner(dc.duid_ll(n)) == name:
            found.append(dc.duid_ll(n))
        n += 1
    return found


def in_net(text: str, net: str) -> bool:
    return ipaddress.IPv6Network(text, strict=False).subnet_of(ipaddress.IPv6Network(net))


def lease_view(server: Server6) -> list[tuple[Any, ...]]:
    return sorted(tuple(sorted(le.items())) for le in server.leases())


@dataclass
class Pair:
    servers: dict[str, Server6]

    def relay(self, name: str) -> dc.Relay6:
        port = self.servers[name].port
        assert port is not None
        return dc.Relay6(("::1", port), interface_id=b"lbfo")


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[Pair]:
    http = free_port_on(*HTTP.values(), kind=socket.SOCK_STREAM)
    peers = [Peer(n, f"http://{a}:{http}/", ROLES[n]) for n, a in HTTP.items()]
    servers: dict[str, Server6] = {}
    for name, address in HTTP.items():
        hook = ha_hook(name, "load-balancing", peers, **{"max-unacked-clients": 0, "sync-page-limit": 2})
        config = dhcp6_config(workdir, f"lbfo6-{name}", interfaces=["lo/::1"], subnets=[SUBNET], hooks=[hook])
        servers[name] = Server6(f"lbfo6-{name}", workdir, procs, config, port=free_udp6_port(),
                                url=f"http://{address}:{http}/")  # fmt: skip
    for s in servers.values():
        s.lease_file.unlink(missing_ok=True)
        s.start()
    try:
        yield Pair(servers)
    finally:
        for s in servers.values():
            s.stop()


def sarr_checked(pair: Pair, server: str, duid: bytes, pool_of: str) -> dc.Reply6:
    """SARR through `server` (address and prefix); both come from `pool_of`'s pools."""
    relay = pair.relay(server)
    try:
        _, reply = relay.sarr(duid, pd=True)
    finally:
        relay.close()
    (address,), (prefix,) = reply.addresses(), reply.prefixes()
    assert in_net(address, POOLS[pool_of]), (server, pool_of, address)
    assert in_net(prefix, PD_POOLS[pool_of]) and prefix.endswith("/64"), (server, pool_of, prefix)
    return reply


def test_load_balancing_failover_rebind_and_paged_resync(pair: Pair) -> None:
    s1, s2 = pair.servers["server1"], pair.servers["server2"]
    s1.wait_state("load-balancing")
    s2.wait_state("load-balancing")
    clients1 = duids_of("server1", 3, 0x9100)
    clients2 = duids_of("server2", 2, 0x9100)

    # 1. Load-balancing: each owner serves its clients; the other one stays silent; both hold all.
    silent = pair.relay("server2")
    try:
        assert silent.solicit(clients1[0], timeout=0.5) is None  # not server2's client
    finally:
        silent.close()
    first = {d: sarr_checked(pair, "server1", d, "server1") for d in clients1[:2]}
    for d in clients2:
        sarr_checked(pair, "server2", d, "server2")
    assert lease_view(s1) == lease_view(s2)
    assert len(s1.leases()) == 2 * (len(clients1[:2]) + len(clients2))
    victim = clients1[0]  # a server1 client: its server dies
    reply = first[victim]
    address, prefix = reply.address, reply.prefixes()[0]
    sid1 = reply.server_id
    assert sid1 is not None
    before = s2.lease(address)
    assert before is not None and before["duid"] == victim.hex(":")

    # 2. server1 dies; server2 takes over both scopes in partner-down.
    assert s1.proc is not None
    s1.stop(signal.SIGKILL)
    s2.wait_state("partner-down", timeout=10.0)
    assert "to PARTNER-DOWN state" in s2.log()
    assert s2.command("ha-heartbeat")["arguments"]["scopes"] == ["server1", "server2"]
    relay = pair.relay("server2")
    try:
        # the Renew still names server1: not for server2 (RFC 8415 section 18.4), unanswered
        renew = relay.renew(victim, sid1, dc.ia_na(1, address), dc.ia_pd(1, (prefix.split("/")[0], 64)),
                            timeout=1.0)  # fmt: skip
        assert renew is None, renew
        # the Rebind (any server) is answered by server2 with the same address and prefix
        rebound = relay.exchange(dc.REBIND, dc.opt(dc.OPT_CLIENTID, victim), dc.ia_na(1, address),
                                 dc.ia_pd(1, (prefix.split("/")[0], 64)))  # fmt: skip
    finally:
        relay.close()
    assert rebound is not None and rebound.msg_type == dc.REPLY, rebound
    assert rebound.addresses() == [address] and rebound.prefixes() == [prefix], rebound
    assert rebound.server_id is not None and rebound.server_id != sid1
    after = s2.lease(address)
    assert after is not None and after["duid"] == victim.hex(":") and after["cltt"] >= before["cltt"]
    # a new server1 client is served by server2 from server1's pools (class HA_server1)
    newcomer = sarr_checked(pair, "server2", clients1[2], "server1")
    assert s2.command("ha-heartbeat")["arguments"]["unsent-update-count"] >= 2  # Rebind, Request

    # 3. server1 comes back with nothing and syncs from server2 by pages of 2.
    for f in s1.lease_file.parent.glob(s1.lease_file.name + "*"):
        f.unlink()
    expected = lease_view(s2)
    total = len(expected)
    assert total == 2 * (len(clients1) + len(clients2))
    log_start = len(s1.log())
    s1.start()
    s1.wait_state("load-balancing", timeout=20.0)
    s2.wait_state("load-balancing", timeout=5.0)
    log1 = s1.log()[log_start:]  # this run only
    order = [m.group(1) for m in re.finditer(r"server transitions from \S+ to (\S+) state", log1)]
    assert order[:3] == ["SYNCING", "READY", "LOAD-BALANCING"], order
    pages = re.findall(r"HA_LEASES_SYNC_LEASE_PAGE_RECEIVED received (\d+) leases from server2", log1)
    assert [int(p) for p in pages] == [2] * (total // 2) + [total % 2], pages
    assert "HA_SYNC_SUCCESSFUL" in log1
    assert lease_view(s1) == expected
    assert s1.lease(address) == after and s1.lease(newcomer.address) == s2.lease(newcomer.address)
    assert s1.command("ha-heartbeat")["arguments"]["scopes"] == ["server1"]
    assert s2.command("ha-heartbeat")["arguments"]["scopes"] == ["server2"]

    # and each serves its own clients again, with lease updates before the Reply
    latest = sarr_checked(pair, "server1", duids_of("server1", 1, 0x9200)[0], "server1")
    assert s2.lease(latest.address) == s1.lease(latest.address) is not None
    wait_until(lambda: lease_view(s1) == lease_view(s2), 5.0, interval=0.2, what="identical lease6 sets")
