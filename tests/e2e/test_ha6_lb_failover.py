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

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import LoopbackHA6, Server6, duids_of, lb_scope_of, restart_and_sync
from tests.e2e.ha_fixtures import same_leases
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

LB = "load-balancing"
PEERS = {"server1": ("primary", "127.0.0.91"), "server2": ("secondary", "127.0.0.92")}


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[dict[str, Server6]]:
    with LoopbackHA6(workdir, procs, "lbfo6", LB, PEERS, normal={"server1": LB, "server2": LB},
                     ha_extra={"max-unacked-clients": 0, "sync-page-limit": 2}) as servers:  # fmt: skip
        yield servers


def sarr_checked(server: Server6, duid: bytes, pool_of: str) -> dc.Reply6:
    """SARR through `server` (address and prefix); both come from `pool_of`'s pools."""
    reply = server.sarr(duid, pd=True)
    (address,), (prefix,) = reply.addresses(), reply.prefixes()
    assert lb_scope_of(address) == pool_of, (server.name, pool_of, address)
    assert lb_scope_of(prefix) == pool_of and prefix.endswith("/64"), (server.name, pool_of, prefix)
    return reply


def test_load_balancing_failover_rebind_and_paged_resync(pair: dict[str, Server6]) -> None:
    s1, s2 = pair["server1"], pair["server2"]
    s1.wait_state(LB)
    s2.wait_state(LB)
    clients1 = duids_of("server1", 3, 0x9100)
    clients2 = duids_of("server2", 2, 0x9100)

    # 1. Load-balancing: each owner serves its clients; the other one stays silent; both hold all.
    assert s2.ignores(clients1[0])  # not server2's client
    first = {d: sarr_checked(s1, d, "server1") for d in clients1[:2]}
    for d in clients2:
        sarr_checked(s2, d, "server2")
    assert s1.lease_view() == s2.lease_view()
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
    assert s2.heartbeat()["scopes"] == ["server1", "server2"]
    with s2.relay() as relay:
        # the Renew still names server1: not for server2 (RFC 8415 section 18.4), unanswered
        renew = relay.renew(victim, sid1, dc.ia_na(1, address), dc.ia_pd(1, (prefix.split("/")[0], 64)),
                            timeout=1.0)  # fmt: skip
        assert renew is None, renew
        # the Rebind (any server) is answered by server2 with the same address and prefix
        rebound = relay.exchange(dc.REBIND, dc.opt(dc.OPT_CLIENTID, victim), dc.ia_na(1, address),
                                 dc.ia_pd(1, (prefix.split("/")[0], 64)))  # fmt: skip
    assert rebound is not None and rebound.msg_type == dc.REPLY, rebound
    assert rebound.addresses() == [address] and rebound.prefixes() == [prefix], rebound
    assert rebound.server_id is not None and rebound.server_id != sid1
    after = s2.lease(address)
    assert after is not None and after["duid"] == victim.hex(":") and after["cltt"] >= before["cltt"]
    # a new server1 client is served by server2 from server1's pools (class HA_server1)
    newcomer = sarr_checked(s2, clients1[2], "server1")
    assert s2.heartbeat()["unsent-update-count"] >= 2  # Rebind, Request

    # 3. server1 comes back with nothing and syncs from server2 by pages of 2.
    for f in s1.lease_file.parent.glob(s1.lease_file.name + "*"):
        f.unlink()
    expected = s2.lease_view()
    total = len(expected)
    assert total == 2 * (len(clients1) + len(clients2))
    restart_and_sync(s1, s2, LB, paged=(total, 2))
    assert s1.lease_view() == expected
    assert s1.lease(address) == after and s1.lease(newcomer.address) == s2.lease(newcomer.address)
    assert s1.heartbeat()["scopes"] == ["server1"]
    assert s2.heartbeat()["scopes"] == ["server2"]

    # and each serves its own clients again, with lease updates before the Reply
    latest = sarr_checked(s1, duids_of("server1", 1, 0x9200)[0], "server1")
    assert s2.lease(latest.address) == s1.lease(latest.address) is not None
    wait_until(same_leases(s1, s2), 5.0, interval=0.2, what="identical lease6 sets")
