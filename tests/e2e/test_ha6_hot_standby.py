"""A DHCPv6 hot-standby pair on loopback: server1 (primary) and server2 (standby), two real
hakea-dhcp6 processes talking HTTP to each other at their peer URLs.

The test is the relay agent (Relay-forw to ::1, each server on its own port). The primary sends one
lease6-bulk-apply per client transaction and answers the client only once the standby has the
leases; a standby restarted with an empty lease file gets them back through the sync
(lease6-get-page, paged by sync-page-limit).
"""

from __future__ import annotations

import signal
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config, free_udp6_port
from tests.e2e.ha_fixtures import Peer, free_port_on, ha_hook
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HTTP = {"server1": "127.0.0.61", "server2": "127.0.0.62"}
ROLES = {"server1": "primary", "server2": "standby"}
SUBNET = {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
    "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56}],
}


@dataclass
class Pair:
    s1: Server6
    s2: Server6

    def relay(self, server: Server6) -> dc.Relay6:
        assert server.port is not None
        return dc.Relay6(("::1", server.port))


def lease_view(server: Server6) -> list[tuple[Any, ...]]:
    """Everything two servers must agree on, lease by lease."""
    return sorted(tuple(sorted(le.items())) for le in server.leases())


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[Pair]:
    http = free_port_on(*HTTP.values(), kind=1)  # SOCK_STREAM
    peers = [Peer(n, f"http://{a}:{http}/", ROLES[n]) for n, a in HTTP.items()]
    servers = {}
    for name, address in HTTP.items():
        hook = ha_hook(name, "hot-standby", peers, **{"sync-page-limit": 2})
        config = dhcp6_config(workdir, f"ha6-{name}", interfaces=["lo/::1"], subnets=[SUBNET], hooks=[hook])
        servers[name] = Server6(
            name, workdir, procs, config, port=free_udp6_port(), url=f"http://{address}:{http}/"
        )
    for s in servers.values():
        s.start()
    try:
        yield Pair(servers["server1"], servers["server2"])
    finally:
        for s in servers.values():
            s.stop()


def test_both_reach_hot_standby(pair: Pair) -> None:
    pair.s1.wait_state("hot-standby")
    pair.s2.wait_state("hot-standby")
    status = pair.s1.command("status-get")["arguments"]["high-availability"][0]
    assert status["ha-mode"] == "hot-standby"
    assert status["ha-servers"]["local"]["role"] == "primary"


def test_leases_reach_the_standby_before_the_reply(pair: Pair) -> None:
    pair.s1.wait_state("hot-standby")
    pair.s2.wait_state("hot-standby")
    relay = pair.relay(pair.s1)
    try:
        for n in range(3):
            _, reply = relay.sarr(dc.duid_ll(0x600 + n), pd=n == 0)
            # the Reply left server1 only once server2 acknowledged the lease6-bulk-apply
            on_standby = pair.s2.lease(reply.address)
            assert on_standby is not None and on_standby == pair.s1.lease(reply.address)
        _, reply = relay.sarr(dc.duid_ll(0x650), pd=True)
        prefix = reply.prefixes()[0].split("/")[0]
        assert pair.s2.lease(prefix, "IA_PD") == pair.s1.lease(prefix, "IA_PD") is not None
        assert lease_view(pair.s1) == lease_view(pair.s2)
        # a Release is replicated as deleted-leases
        sid = reply.server_id
        assert sid is not None
        released = relay.release(
            dc.duid_ll(0x650), sid, dc.ia_na(1, reply.address), dc.ia_pd(1, (prefix, 56))
        )
        assert released is not None
        assert pair.s1.lease(prefix, "IA_PD") is None and pair.s2.lease(prefix, "IA_PD") is None
        assert pair.s2.lease(reply.address) is None
    finally:
        relay.close()


def test_the_standby_answers_nobody(pair: Pair) -> None:
    relay = pair.relay(pair.s2)
    try:
        assert relay.solicit(dc.duid_ll(0x660), timeout=1.0) is None
    finally:
        relay.close()


def test_standby_restarted_with_an_empty_lease_file_syncs_by_pages(pair: Pair) -> None:
    pair.s1.wait_state("hot-standby")
    relay = pair.relay(pair.s1)
    try:
        for n in range(4):
            relay.sarr(dc.duid_ll(0x680 + n), pd=True)
    finally:
        relay.close()
    expected = lease_view(pair.s1)
    assert len(expected) >= 9  # more than four pages of two
    pair.s2.stop(signal.SIGKILL)
    pair.s2.lease_file.unlink()
    page_line = "HA_LEASES_SYNC_LEASE_PAGE_RECEIVED received"
    log_before = pair.s2.log().count(page_line)
    pair.s2.start()
    pair.s2.wait_state("hot-standby", timeout=30.0)
    assert lease_view(pair.s2) == expected
    # sync-page-limit 2: a page of 2 leases at a time, until a shorter page ends the sync
    pages = pair.s2.log().count(page_line) - log_before
    assert pages == len(expected) // 2 + 1, pair.s2.log()[-3000:]
    # and replication goes on after the sync
    relay = pair.relay(pair.s1)
    try:
        _, reply = relay.sarr(dc.duid_ll(0x6A0))
    finally:
        relay.close()
    wait_until(lambda: pair.s2.lease(reply.address) is not None, 5.0, what="lease on the restarted standby")


# ---- added with the v6 proofs: Renew/Decline replication, ha-sync, Elapsed Time failure detection


def test_renew_and_decline_are_replicated(pair: Pair) -> None:
    pair.s1.wait_state("hot-standby")
    pair.s2.wait_state("hot-standby")
    relay = pair.relay(pair.s1)
    try:
        duid = dc.duid_ll(0x6B0)
        _, reply = relay.sarr(duid, pd=True)
        sid = reply.server_id
        assert sid is not None
        first = pair.s2.lease(reply.address)
        assert first is not None
        prefix = reply.prefixes()[0].split("/")[0]
        wait_until(lambda: int(time.time()) > first["cltt"], 2.0, what="a new second")
        renewed = relay.renew(duid, sid, dc.ia_na(1, reply.address), dc.ia_pd(1, (prefix, 56)))
        assert renewed is not None and renewed.addresses() == [reply.address]
        # the Reply left only once the standby had the renewed leases
        on_standby = pair.s2.lease(reply.address)
        assert on_standby is not None and on_standby["cltt"] > first["cltt"]
        assert on_standby == pair.s1.lease(reply.address)
        assert pair.s2.lease(prefix, "IA_PD") == pair.s1.lease(prefix, "IA_PD") is not None
        declined = relay.decline(duid, sid, dc.ia_na(1, reply.address))
        assert declined is not None and declined.msg_type == dc.REPLY
        on_standby = pair.s2.lease(reply.address)
        assert on_standby is not None and on_standby["state"] == 1, on_standby
        assert on_standby == pair.s1.lease(reply.address)
    finally:
        relay.close()


def test_ha_sync_command(pair: Pair) -> None:
    # lease6-add on the primary is not replicated (an operator's change): ha-sync fetches it
    added = pair.s1.command("lease6-add", {
        "ip-address": "2001:db8:1::1f0", "duid": "00:03:00:01:02:00:00:00:06:c0", "iaid": 7, "subnet-id": 1,
    })  # fmt: skip
    assert added["result"] == 0, added
    assert pair.s2.lease("2001:db8:1::1f0") is None
    answer = pair.s2.command("ha-sync", {"server-name": "server1", "max-period": 10}, timeout=15)
    assert answer == {"result": 0, "text": "Lease database synchronization complete."}
    assert pair.s2.lease("2001:db8:1::1f0") == pair.s1.lease("2001:db8:1::1f0") is not None
    assert lease_view(pair.s1) == lease_view(pair.s2)
    # the primary lent its leases under dhcp-disable and got its service back with the notify
    assert pair.s1.command("status-get")["arguments"]["dhcp-state"] == {"disabled-by": [], "enabled": True}
    assert pair.s2.command("ha-sync", {"server-name": "server8"})["result"] == 1


def solicit_with_elapsed(relay: dc.Relay6, duid: bytes, centiseconds: int) -> None:
    """A relayed Solicit whose Elapsed Time option says how long the client has been trying."""
    elapsed = dc.opt(dc.OPT_ELAPSED, struct.pack("!H", centiseconds))
    relay.forward(dc.message(dc.SOLICIT, dc.new_xid(), dc.opt(dc.OPT_CLIENTID, duid), elapsed, dc.ia_na(1)))


def test_dead_primary_standby_takes_over_after_unacked_clients(pair: Pair) -> None:
    """max-unacked-clients 10: the standby goes partner-down only once an 11th DUID has been trying
    for longer than max-ack-delay (Elapsed Time > 1 s) while communication is interrupted."""
    s1, s2 = pair.s1, pair.s2
    s1.wait_state("hot-standby")
    s2.wait_state("hot-standby")

    def remote() -> dict[str, Any]:
        status = s2.command("status-get")["arguments"]["high-availability"][0]
        return status["ha-servers"]["remote"]  # type: ignore[no-any-return]

    s1.stop(signal.SIGKILL)
    wait_until(lambda: remote()["communication-interrupted"], 5.0, what="communication interrupted")
    relay = pair.relay(s2)
    try:
        for n in range(3):  # clients that just started (Elapsed Time 0): connecting, not unacked
            solicit_with_elapsed(relay, dc.duid_ll(0x6C0 + n), 0)
        for n in range(10):  # trying for 5 s > max-ack-delay: unacked
            solicit_with_elapsed(relay, dc.duid_ll(0x6D0 + n), 500)
        solicit_with_elapsed(relay, dc.duid_ll(0x6D0), 900)  # the same DUID again does not count twice
        wait_until(lambda: remote()["analyzed-packets"] == 14, 2.0, what="14 queries analysed")
        report = remote()
        assert report["connecting-clients"] == 13 and report["unacked-clients"] == 10, report
        assert report["unacked-clients-left"] == 1, report
        time.sleep(1.0)  # two more failed heartbeats: still not enough
        assert s2.ha_state() == "hot-standby"
        assert relay.solicit(dc.duid_ll(0x6E0), timeout=0.5) is None  # Elapsed Time 0: not unacked
        solicit_with_elapsed(relay, dc.duid_ll(0x6E1), 500)  # the 11th unacked client
        s2.wait_state("partner-down", timeout=3.0)
        assert "HA_COMMUNICATION_INTERRUPTED_CLIENT6_UNACKED" in s2.log()
        _, reply = relay.sarr(dc.duid_ll(0x6E2), pd=True)
    finally:
        relay.close()
    # the primary comes back (its lease file kept), resyncs from the survivor, and the pair heals
    s1.start()
    s1.wait_state("hot-standby", timeout=15.0)
    s2.wait_state("hot-standby", timeout=5.0)
    assert s1.lease(reply.address) == s2.lease(reply.address) is not None
    wait_until(lambda: lease_view(s1) == lease_view(s2), 5.0, what="identical lease6 sets")
