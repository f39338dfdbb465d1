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
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import LoopbackHA6, Server6
from tests.e2e.ha_fixtures import same_leases
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HS = "hot-standby"
PEERS = {"server1": ("primary", "127.0.0.61"), "server2": ("standby", "127.0.0.62")}


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[tuple[Server6, Server6]]:
    """The pair, both in hot-standby."""
    with LoopbackHA6(workdir, procs, "ha6", HS, PEERS, ha_extra={"sync-page-limit": 2},
                     normal={"server1": HS, "server2": HS}) as servers:  # fmt: skip
        yield servers["server1"], servers["server2"]


def test_both_reach_hot_standby(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    s1.wait_state(HS)
    s2.wait_state(HS)
    status = s1.ha_status()
    assert status["ha-mode"] == HS
    assert status["ha-servers"]["local"]["role"] == "primary"


def test_leases_reach_the_standby_before_the_reply(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    s1.wait_state(HS)
    s2.wait_state(HS)
    with s1.relay() as relay:
        for n in range(3):
            _, reply = relay.sarr(dc.duid_ll(0x600 + n), pd=n == 0)
            # the Reply left server1 only once server2 acknowledged the lease6-bulk-apply
            on_standby = s2.lease(reply.address)
            assert on_standby is not None and on_standby == s1.lease(reply.address)
        _, reply = relay.sarr(dc.duid_ll(0x650), pd=True)
        prefix = reply.prefixes()[0].split("/")[0]
        assert s2.lease(prefix, "IA_PD") == s1.lease(prefix, "IA_PD") is not None
        assert s1.lease_view() == s2.lease_view()
        # a Release is replicated as deleted-leases
        sid = reply.server_id
        assert sid is not None
        released = relay.release(dc.duid_ll(0x650), sid, dc.ia_na(1, reply.address),
                                 dc.ia_pd(1, (prefix, 56)))  # fmt: skip
        assert released is not None
        assert s1.lease(prefix, "IA_PD") is None and s2.lease(prefix, "IA_PD") is None
        assert s2.lease(reply.address) is None


def test_the_standby_answers_nobody(pair: tuple[Server6, Server6]) -> None:
    s2 = pair[1]
    s2.wait_state(HS)
    assert s2.ignores(dc.duid_ll(0x660), timeout=1.0)


def test_standby_restarted_with_an_empty_lease_file_syncs_by_pages(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    s1.wait_state(HS)
    with s1.relay() as relay:
        for n in range(5):  # 10 leases of its own (the earlier tests' too when they ran)
            relay.sarr(dc.duid_ll(0x680 + n), pd=True)
    expected = s1.lease_view()
    assert len(expected) >= 9  # more than four pages of two
    s2.stop(signal.SIGKILL)
    s2.lease_file.unlink()
    page_line = "HA_LEASES_SYNC_LEASE_PAGE_RECEIVED received"
    log_before = s2.log().count(page_line)
    s2.start()
    s2.wait_state(HS, timeout=30.0)
    assert s2.lease_view() == expected
    # sync-page-limit 2: a page of 2 leases at a time, until a shorter page ends the sync
    pages = s2.log().count(page_line) - log_before
    assert pages == len(expected) // 2 + 1, s2.log()[-3000:]
    # and replication goes on after the sync
    reply = s1.sarr(dc.duid_ll(0x6A0))
    wait_until(lambda: s2.lease(reply.address) is not None, 5.0, what="lease on the restarted standby")


# ---- added with the v6 proofs: Renew/Decline replication, ha-sync, Elapsed Time failure detection


def test_renew_and_decline_are_replicated(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    s1.wait_state(HS)
    s2.wait_state(HS)
    with s1.relay() as relay:
        duid = dc.duid_ll(0x6B0)
        _, reply = relay.sarr(duid, pd=True)
        sid = reply.server_id
        assert sid is not None
        first = s2.lease(reply.address)
        assert first is not None
        prefix = reply.prefixes()[0].split("/")[0]
        wait_until(lambda: int(time.time()) > first["cltt"], 2.0, what="a new second")
        renewed = relay.renew(duid, sid, dc.ia_na(1, reply.address), dc.ia_pd(1, (prefix, 56)))
        assert renewed is not None and renewed.addresses() == [reply.address]
        # the Reply left only once the standby had the renewed leases
        on_standby = s2.lease(reply.address)
        assert on_standby is not None and on_standby["cltt"] > first["cltt"]
        assert on_standby == s1.lease(reply.address)
        assert s2.lease(prefix, "IA_PD") == s1.lease(prefix, "IA_PD") is not None
        declined = relay.decline(duid, sid, dc.ia_na(1, reply.address))
        assert declined is not None and declined.msg_type == dc.REPLY
        on_standby = s2.lease(reply.address)
        assert on_standby is not None and on_standby["state"] == 1, on_standby
        assert on_standby == s1.lease(reply.address)


def test_ha_sync_command(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    s1.wait_state(HS)
    s2.wait_state(HS)
    # lease6-add on the primary is not replicated (an operator's change): ha-sync fetches it
    added = s1.command("lease6-add", {
        "ip-address": "2001:db8:1::1f0", "duid": "00:03:00:01:02:00:00:00:06:c0", "iaid": 7, "subnet-id": 1,
    })  # fmt: skip
    assert added["result"] == 0, added
    assert s2.lease("2001:db8:1::1f0") is None
    answer = s2.command("ha-sync", {"server-name": "server1", "max-period": 10}, timeout=15)
    assert answer == {"result": 0, "text": "Lease database synchronization complete."}
    assert s2.lease("2001:db8:1::1f0") == s1.lease("2001:db8:1::1f0") is not None
    assert s1.lease_view() == s2.lease_view()
    # the primary lent its leases under dhcp-disable and got its service back with the notify
    assert s1.command("status-get")["arguments"]["dhcp-state"] == {"disabled-by": [], "enabled": True}
    assert s2.command("ha-sync", {"server-name": "server8"})["result"] == 1


def solicit_with_elapsed(relay: dc.Relay6, duid: bytes, centiseconds: int) -> None:
    """A relayed Solicit whose Elapsed Time option says how long the client has been trying."""
    elapsed = dc.opt(dc.OPT_ELAPSED, struct.pack("!H", centiseconds))
    relay.forward(dc.message(dc.SOLICIT, dc.new_xid(), dc.opt(dc.OPT_CLIENTID, duid), elapsed, dc.ia_na(1)))


def test_dead_primary_standby_takes_over_after_unacked_clients(pair: tuple[Server6, Server6]) -> None:
    """max-unacked-clients 10: the standby goes partner-down only once an 11th DUID has been trying
    for longer than max-ack-delay (Elapsed Time > 1 s) while communication is interrupted."""
    s1, s2 = pair
    s1.wait_state(HS)
    s2.wait_state(HS)

    def remote() -> dict[str, Any]:
        return s2.ha_status()["ha-servers"]["remote"]  # type: ignore[no-any-return]

    s1.stop(signal.SIGKILL)
    wait_until(lambda: remote()["communication-interrupted"], 5.0, what="communication interrupted")
    with s2.relay() as relay:
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
        assert s2.ha_state() == HS
        assert relay.solicit(dc.duid_ll(0x6E0), timeout=0.5) is None  # Elapsed Time 0: not unacked
        solicit_with_elapsed(relay, dc.duid_ll(0x6E1), 500)  # the 11th unacked client
        s2.wait_state("partner-down", timeout=3.0)
        assert "HA_COMMUNICATION_INTERRUPTED_CLIENT6_UNACKED" in s2.log()
        _, reply = relay.sarr(dc.duid_ll(0x6E2), pd=True)
    # the primary comes back (its lease file kept), resyncs from the survivor, and the pair heals
    s1.start()
    s1.wait_state(HS, timeout=15.0)
    s2.wait_state(HS, timeout=5.0)
    assert s1.lease(reply.address) == s2.lease(reply.address) is not None
    wait_until(same_leases(s1, s2), 5.0, what="identical lease6 sets")
