"""A DHCPv6 hot-standby trio on loopback: server1 (primary), server2 (standby), server3 (backup), three
real hakea-dhcp6 processes (each on its own UDP port on ::1, peer URLs on 127.0.0.9x). The test is
the relay agent.

The backup gets every lease6-bulk-apply (new, renewed and released leases) without being waited for
(wait-backup-ack false; Kea refuses true in hot-standby): a frozen backup holds back no Reply. It
stays in the "backup" state and answers no client, even once ha-scopes names a scope for it (as
Kea 2.2: its DHCP service stays disabled by HA).

Last, server1 restarts with "send-lease-updates": false: it still syncs from the standby and returns
to hot-standby, serves, and tells nobody -- neither the standby nor the backup gets the new lease or
the release.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import LoopbackHA6, Server6, restart_and_sync
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HS = "hot-standby"
PEERS = {"server1": ("primary", "127.0.0.93"), "server2": ("standby", "127.0.0.94"),
         "server3": ("backup", "127.0.0.95")}  # fmt: skip


@pytest.fixture(scope="module")
def trio(workdir: Path, procs: Procs) -> Iterator[LoopbackHA6]:
    """The trio (servers server1, server2, server3): the pair in hot-standby, the backup in "backup"."""
    normal = {"server1": HS, "server2": HS, "server3": "backup"}
    ha = LoopbackHA6(workdir, procs, "bk6", HS, PEERS, normal=normal)
    with ha:
        yield ha


def test_states_primary_standby_and_backup(trio: LoopbackHA6) -> None:
    s1, s2, s3 = trio.servers.values()
    s1.wait_state(HS)
    s2.wait_state(HS)
    assert s3.wait_state("backup") == "backup"
    time.sleep(1.0)  # two heartbeats of the pair: the backup stays put
    assert s3.ha_state() == "backup"
    # a backup reports itself only (no partner to report on), serving nothing
    assert s3.ha_status() == {
        "ha-mode": "hot-standby",
        "ha-servers": {"local": {"role": "backup", "scopes": [], "state": "backup"}},
    }
    assert s3.heartbeat()["scopes"] == []
    assert s1.heartbeat()["scopes"] == ["server1"]
    assert s1.ha_status()["ha-servers"]["remote"]["role"] == "standby"


def test_backup_gets_new_renewed_and_released_leases(trio: LoopbackHA6) -> None:
    s1, s2, s3 = trio.servers.values()
    duid = dc.duid_ll(0x7301)
    reply = s1.sarr(duid, pd=True)
    prefix = reply.prefixes()[0].split("/")[0]
    on_primary = s1.lease(reply.address)
    pd_primary = s1.lease(prefix, "IA_PD")
    assert on_primary is not None and on_primary["duid"] == duid.hex(":") and pd_primary is not None
    assert s2.lease(reply.address) == on_primary  # the standby acknowledged before the Reply
    wait_until(lambda: s3.lease(reply.address) == on_primary and s3.lease(prefix, "IA_PD") == pd_primary,
               3.0, what="both leases on the backup")  # fmt: skip
    # a Renew: the backup gets the renewed lease
    sid = reply.server_id
    assert sid is not None
    wait_until(lambda: int(time.time()) > on_primary["cltt"], 2.0, what="a new second")
    with s1.relay() as relay:
        renewed = relay.renew(duid, sid, dc.ia_na(1, reply.address), dc.ia_pd(1, (prefix, 56)))
        assert renewed is not None and renewed.addresses() == [reply.address], renewed
        new = s1.lease(reply.address)
        assert new is not None and new["cltt"] > on_primary["cltt"]
        wait_until(lambda: s3.lease(reply.address) == new, 3.0, what="renewed lease on the backup")
        # a Release: deleted everywhere, the backup included
        released = relay.release(duid, sid, dc.ia_na(1, reply.address), dc.ia_pd(1, (prefix, 56)))
        assert released is not None and released.msg_type == dc.REPLY
    for s in (s1, s2, s3):

        def gone(s: Server6 = s) -> bool:
            return s.lease(reply.address) is None and s.lease(prefix, "IA_PD") is None

        wait_until(gone, 3.0, what=f"leases deleted on {s.name}")


def test_backup_answers_nobody_even_with_a_scope(trio: LoopbackHA6) -> None:
    s3 = trio.servers["server3"]
    relay = s3.relay()
    try:
        assert relay.solicit(dc.duid_ll(0x7302), timeout=0.5) is None
        answer = s3.command("ha-scopes", {"scopes": ["server1"]})
        assert answer == {"result": 0, "text": "New HA scopes configured."}
        assert s3.ha_status()["ha-servers"]["local"] == {
            "role": "backup", "scopes": ["server1"], "state": "backup",
        }  # fmt: skip
        assert relay.solicit(dc.duid_ll(0x7303), timeout=0.5) is None
        assert relay.solicit(dc.duid_ll(0x7304), rapid=True, timeout=0.5) is None
        assert s3.ha_state() == "backup"
    finally:
        relay.close()
        assert s3.command("ha-scopes", {"scopes": []})["result"] == 0
    assert s3.leases() == []  # everything it got so far was released again


def test_frozen_backup_does_not_hold_the_reply(trio: LoopbackHA6) -> None:
    s1, s2, s3 = trio.servers.values()
    s3.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        reply = s1.sarr(dc.duid_ll(0x7305))  # asserts the Reply came (within 2 s)
        assert time.monotonic() - started < 2.0
        assert s2.lease(reply.address) == s1.lease(reply.address) is not None
    finally:
        s3.signal(signal.SIGCONT)
    # the update waiting in the backup's socket is taken once it runs again
    wait_until(
        lambda: s3.lease(reply.address) == s1.lease(reply.address), 5.0, what="late lease on the backup"
    )
    assert s1.ha_state() == HS and s3.ha_state() == "backup"


def test_send_lease_updates_false_tells_nobody(trio: LoopbackHA6) -> None:
    s1, s2, s3 = trio.servers.values()
    # a lease everybody holds, from before the change
    old = s1.sarr(dc.duid_ll(0x7306))
    wait_until(lambda: s3.lease(old.address) is not None, 3.0, what="old lease on the backup")
    s1.stop()
    s1.config = trio.config("server1", **{"send-lease-updates": False})
    log1 = restart_and_sync(s1, s2, HS, timeout=15.0)
    assert "HA_CONFIG_LEASE_UPDATES_DISABLED_REMINDER" in log1, log1[-2000:]
    assert "HA_SYNC_SUCCESSFUL" in log1  # it still syncs (sync-leases is on)

    duid = dc.duid_ll(0x7307)
    reply = s1.sarr(duid, pd=True)  # answered at once: nothing to wait for
    prefix = reply.prefixes()[0].split("/")[0]
    assert s1.lease(reply.address) is not None and s1.lease(prefix, "IA_PD") is not None
    sid = old.server_id
    assert sid is not None
    with s1.relay() as relay:
        released = relay.release(dc.duid_ll(0x7306), sid, dc.ia_na(1, old.address))
        assert released is not None and released.msg_type == dc.REPLY
    assert s1.lease(old.address) is None
    time.sleep(1.0)  # time enough for an update to arrive, were one sent
    for s in (s2, s3):
        assert s.lease(reply.address) is None, s.name
        assert s.lease(prefix, "IA_PD") is None, s.name
        assert s.lease(old.address) is not None, s.name  # the release was not passed on either
    # not sending is not "unsent": nothing is counted for a later sync
    assert s1.heartbeat()["unsent-update-count"] == 0
    assert s1.ha_state() == s2.ha_state() == HS and s3.ha_state() == "backup"
