"""A hot-standby HA trio on loopback: server1 (primary), server2 (standby), server3 (backup), three
real hakea-dhcp4 processes talking HTTP to each other at their peer URLs.

The test is the relay agent (giaddr 127.0.0.20) and talks to each server's DHCP address directly.
Also here: the HA control commands over the peer listeners (ha-heartbeat, ha-scopes, ha-sync,
status-get, dhcp-disable/enable with origin ha-partner), a reload in the middle of ha-sync, and, last
(they disturb the trio), peers that freeze (SIGSTOP) or die: a frozen standby holds back the
primary's ACK until the lease update times out (10 s) and the ACK is dropped; a frozen backup holds
back nothing; a dead primary is replaced by the standby once more than max-unacked-clients clients
went unanswered.

The backup: Kea 2.2 keeps a backup server silent in the "backup" state even after `ha-scopes` names
a scope for it (its DHCP service stays disabled by HA; shared/reference/running-kea.md). hakea does
the same: ha-scopes is accepted and changes the served scopes it reports, but the HA hold on its
DHCP service stays, so it answers nobody.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import signal
import struct
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.e2e import dhcp_client as dc
from tests.e2e.ha_fixtures import HAServer, LoopbackHA4, subnet4, wait_log
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

RELAY = "127.0.0.20"
ADDRESSES = {"server1": "127.0.0.21", "server2": "127.0.0.22", "server3": "127.0.0.23"}
ROLES = {"server1": "primary", "server2": "standby", "server3": "backup"}


@dataclass
class Trio:
    s1: HAServer
    s2: HAServer
    s3: HAServer
    to: Callable[[HAServer], dc.Relay]  # the relay agent, pointed at a server's DHCP address


@pytest.fixture(scope="module")
def trio(workdir: Path, procs: Procs) -> Iterator[Trio]:
    subnet = subnet4(RELAY, **{"option-data": [{"name": "routers", "data": "192.0.2.1"}]})
    peers = {name: (ROLES[name], address) for name, address in ADDRESSES.items()}
    ha = LoopbackHA4(workdir, procs, "hs4", "hot-standby", peers, relay=RELAY, subnet=subnet)
    with ha as servers:
        yield Trio(servers["server1"], servers["server2"], servers["server3"], ha.relay_to)


def test_states_primary_standby_and_backup(trio: Trio) -> None:
    trio.s1.wait_state("hot-standby")
    trio.s2.wait_state("hot-standby")
    assert trio.s3.wait_state("backup") == "backup"
    log1 = trio.s1.log()
    assert "server transitions from WAITING to SYNCING state" in log1
    assert "server transitions from READY to HOT-STANDBY state" in log1


def test_dora_lease_reaches_standby_before_the_ack(trio: Trio) -> None:
    trio.s1.wait_state("hot-standby")
    trio.s2.wait_state("hot-standby")
    mac = dc.mac_of(0x4801)
    _, ack = trio.to(trio.s1).dora(mac)
    # The ACK only leaves server1 once server2 acknowledged the lease4-update: it is there already.
    on_standby = trio.s2.lease(ack.address)
    on_primary = trio.s1.lease(ack.address)
    assert on_primary is not None and on_primary["hw-address"] == dc.mac_str(mac)
    assert on_standby == on_primary
    assert ack.server_id == ADDRESSES["server1"]
    # The backup gets the update too, without being waited for (wait-backup-ack is false; Kea
    # refuses true in hot-standby).
    wait_until(lambda: trio.s3.lease(ack.address) == on_primary, 3.0, what="lease on the backup")
    # Operators see the replication in the statistics: updates sent, heartbeats exchanged.
    stats = trio.s1.command("statistic-get-all")["arguments"]
    assert stats["ha-lease-updates-sent"][0][0] >= 2  # the REQUEST's update to server2 and server3
    assert stats["ha-heartbeats-sent"][0][0] >= 1


def test_standby_and_backup_answer_nobody(trio: Trio) -> None:
    for server in (trio.s2, trio.s3):
        offer = trio.to(server).discover(dc.mac_of(0x4802), timeout=1.0)
        assert offer is None, f"{server.name} answered: {offer}"
    # ha-scopes on the backup is accepted, yet Kea 2.2's backup stays silent (see the docstring).
    answer = trio.s3.command("ha-scopes", {"scopes": ["server1"]})
    assert answer == {"result": 0, "text": "New HA scopes configured."}
    assert trio.s3.ha_status()["ha-servers"]["local"] == {
        "role": "backup", "scopes": ["server1"], "state": "backup",
    }
    assert trio.to(trio.s3).discover(dc.mac_of(0x4803), timeout=1.0) is None
    assert trio.s3.ha_state() == "backup"
    assert trio.s3.command("ha-scopes", {"scopes": []})["result"] == 0


def test_release_reaches_standby_and_backup(trio: Trio) -> None:
    mac = dc.mac_of(0x4804)
    _, ack = trio.to(trio.s1).dora(mac)
    assert trio.s2.lease(ack.address) is not None
    wait_until(lambda: trio.s3.lease(ack.address) is not None, 3.0, what="lease on the backup")
    trio.to(trio.s1).release(mac, ack.address, ADDRESSES["server1"])
    for server in (trio.s1, trio.s2, trio.s3):
        def gone(s: HAServer = server) -> bool:
            return s.lease(ack.address) is None

        wait_until(gone, 3.0, what=f"lease deleted on {server.name}")


# ---- the HA commands over the peer listeners ---------------------------------------------------


def test_ha_heartbeat_answer_shape(trio: Trio) -> None:
    body = json.dumps({"command": "ha-heartbeat", "service": ["dhcp4"]}).encode()
    req = urllib.request.Request(trio.s1.url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3) as r:
        assert r.headers["Content-Type"] == "application/json"
        raw = json.loads(r.read())
    assert isinstance(raw, list) and len(raw) == 1  # Kea answers a list of one, even here
    answer = raw[0]
    assert list(answer) == ["arguments", "result", "text"]  # Kea's (alphabetical) key order
    assert answer["result"] == 0 and answer["text"] == "HA peer status returned."
    args = answer["arguments"]
    assert list(args) == ["date-time", "scopes", "state", "unsent-update-count"]
    assert args["state"] == "hot-standby" and args["scopes"] == ["server1"]
    assert args["unsent-update-count"] == 0
    rfc1123 = (r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
               r" \d{4} \d\d:\d\d:\d\d GMT")
    assert re.fullmatch(rfc1123, args["date-time"]), args["date-time"]
    assert abs(parsedate_to_datetime(args["date-time"]).timestamp() - time.time()) < 5
    standby = trio.s2.command("ha-heartbeat")["arguments"]
    assert standby["scopes"] == [] and standby["state"] == "hot-standby"


def test_ha_scopes(trio: Trio) -> None:
    """hakea takes scope names as server names ("server1", what Kea 2.2 takes) and in the manual's
    class form ("HA_server1"). A real Kea 2.2.0 refuses the latter ("invalid server name specified
    'HA_server1' ...", checked against Debian's kea-dhcp4 2.2.0), so operators should use names."""
    s1, relay = trio.s1, trio.to(trio.s1)
    try:
        assert s1.command("ha-scopes", {"scopes": ["HA_server1", "HA_server2"]}) == {
            "result": 0, "text": "New HA scopes configured.",
        }
        assert s1.ha_status()["ha-servers"]["local"]["scopes"] == ["server1", "server2"]
        assert s1.command("ha-scopes", {"scopes": []})["result"] == 0
        assert s1.command("ha-heartbeat")["arguments"]["scopes"] == []
        assert relay.discover(dc.mac_of(0x4805), timeout=1.0) is None  # serving nothing
        bad = s1.command("ha-scopes", {"scopes": ["unsupported"]})
        assert bad == {
            "result": 1,
            "text": "invalid server name specified 'unsupported' while enabling/disabling HA scopes",
        }
        assert s1.command("ha-scopes", {"scopes": ["server1"]})["result"] == 0
        assert s1.command("ha-heartbeat")["arguments"]["scopes"] == ["server1"]
        offer = relay.discover(dc.mac_of(0x4805))
        assert offer is not None and offer.message_type == dc.OFFER
    finally:
        s1.command("ha-scopes", {"scopes": ["server1"]})


def test_status_get_high_availability(trio: Trio) -> None:
    ha1 = trio.s1.ha_status()
    assert ha1["ha-mode"] == "hot-standby"
    assert ha1["ha-servers"]["local"] == {"role": "primary", "scopes": ["server1"], "state": "hot-standby"}
    remote = ha1["ha-servers"]["remote"]
    assert set(remote) == {
        "age", "analyzed-packets", "communication-interrupted", "connecting-clients", "in-touch",
        "last-scopes", "last-state", "role", "unacked-clients", "unacked-clients-left",
    }
    assert remote["role"] == "standby" and remote["last-state"] == "hot-standby"
    assert remote["in-touch"] is True and remote["communication-interrupted"] is False
    assert remote["last-scopes"] == [] and remote["age"] <= 2
    ha2 = trio.s2.ha_status()
    assert ha2["ha-servers"]["local"] == {"role": "standby", "scopes": [], "state": "hot-standby"}
    # (test_ha_scopes just changed server1's scopes; the next heartbeat brings the news)
    wait_until(lambda: trio.s2.ha_status()["ha-servers"]["remote"]["last-scopes"] == ["server1"], 2.0,
               what="server2 sees server1's scopes")
    assert ha2["ha-servers"]["remote"]["role"] == "primary"
    # A backup reports itself only (no partner to report on).
    assert set(trio.s3.ha_status()["ha-servers"]) == {"local"}


def test_ha_sync_command(trio: Trio) -> None:
    _, ack = trio.to(trio.s1).dora(dc.mac_of(0x4806))
    answer = trio.s2.command("ha-sync", {"server-name": "server1", "max-period": 10}, timeout=15)
    assert answer == {"result": 0, "text": "Lease database synchronization complete."}
    assert trio.s2.lease(ack.address) == trio.s1.lease(ack.address)
    # server1 lent its leases under dhcp-disable and got its service back with the notify.
    state = trio.s1.command("status-get")["arguments"]["dhcp-state"]
    assert state == {"disabled-by": [], "enabled": True}
    assert "HA_SYNC_SUCCESSFUL" in trio.s2.log()
    unknown = trio.s2.command("ha-sync", {"server-name": "server8"})
    assert unknown["result"] == 1 and "server8" in unknown["text"]
    assert trio.s2.command("ha-sync", {"server-name": "server2"})["result"] == 1
    assert trio.s2.command("ha-sync", {})["result"] == 1
    offer = trio.to(trio.s1).discover(dc.mac_of(0x4807))
    assert offer is not None  # still serving


def test_dhcp_disable_enable_with_origin_ha_partner(trio: Trio) -> None:
    s1, relay = trio.s1, trio.to(trio.s1)
    try:
        answer = s1.command("dhcp-disable", {"max-period": 30, "origin": "ha-partner"})
        assert answer == {"result": 0, "text": "DHCPv4 service disabled for 30 seconds"}
        assert s1.command("status-get")["arguments"]["dhcp-state"]["enabled"] is False
        assert relay.discover(dc.mac_of(0x4808), timeout=1.0) is None
        answer = s1.command("dhcp-enable", {"origin": "ha-partner"})
        assert answer == {"result": 0, "text": "DHCP service successfully enabled"}
        offer = relay.discover(dc.mac_of(0x4808))
        assert offer is not None and offer.message_type == dc.OFFER
        # max-period bounds a hold nobody lifts.
        s1.command("dhcp-disable", {"max-period": 1, "origin": "ha-partner"})
        assert relay.discover(dc.mac_of(0x4809), timeout=0.5) is None
        time.sleep(0.6)
        offer = relay.discover(dc.mac_of(0x4809))
        assert offer is not None and offer.message_type == dc.OFFER
        bad = s1.command("dhcp-disable", {"origin": "somebody"})
        assert bad["result"] == 1
    finally:
        s1.command("dhcp-enable", {"origin": "ha-partner"})
    assert s1.ha_state() == "hot-standby"


def test_reload_during_ha_sync_answers_the_command(trio: Trio) -> None:
    """An ha-sync waiting for a (frozen) partner when its server reloads its configuration gets an
    error answer at once, instead of hanging; the reloaded server rejoins the pair."""
    s1, s2 = trio.s1, trio.s2
    s1.signal(signal.SIGSTOP)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(s2.command, "ha-sync", {"server-name": "server1"}, 20.0)
            time.sleep(0.3)
            assert not pending.done()
            s2.signal(signal.SIGHUP)
            answer = pending.result(timeout=5.0)
        assert answer == {"result": 1, "text": "HA service stopped (reconfiguration or shutdown)."}
    finally:
        s1.signal(signal.SIGCONT)
    s2.wait_state("hot-standby", timeout=15.0)
    s1.wait_state("hot-standby", timeout=5.0)
    _, ack = trio.to(s1).dora(dc.mac_of(0x480B))  # server1 serves (its partner's hold was lifted)
    assert s2.lease(ack.address) is not None


# ---- last: frozen peers ----------------------------------------------------------------------


def test_frozen_backup_does_not_hold_the_ack(trio: Trio) -> None:
    mac = dc.mac_of(0x480A)
    trio.s3.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        _, ack = trio.to(trio.s1).dora(mac)  # asserts the ACK came (within 2 s)
        assert time.monotonic() - started < 2.0
        assert trio.s2.lease(ack.address) is not None
    finally:
        trio.s3.signal(signal.SIGCONT)
    # The update waiting in the backup's socket is taken once it runs again.
    wait_until(lambda: trio.s3.lease(ack.address) is not None, 5.0, what="late lease on the backup")
    assert trio.s1.ha_state() == "hot-standby" and trio.s3.ha_state() == "backup"



def test_stopped_standby_holds_the_ack_then_pair_recovers(trio: Trio) -> None:
    s1, s2 = trio.s1, trio.s2
    s1.wait_state("hot-standby")
    s2.wait_state("hot-standby")
    relay = trio.to(s1)
    mac = dc.mac_of(0x4810)
    failures = s1.log_count("HA_LEASE_UPDATE_COMMUNICATIONS_FAILED")
    s2.signal(signal.SIGSTOP)
    try:
        offer = relay.discover(mac)
        assert offer is not None and offer.message_type == dc.OFFER  # an OFFER commits nothing
        # The lease4-update to the frozen standby gets no answer; after its 10 s timeout the parked
        # ACK is dropped, never sent.
        ack = relay.request(mac, offer.address, offer.server_id, timeout=12.0)
        assert ack is None, f"ACK sent although the standby never acknowledged: {ack}"
        wait_log(s1, "HA_LEASE_UPDATE_COMMUNICATIONS_FAILED", 3.0, after=failures)
        # The primary stops waiting for the partner: partner-down, serving alone.
        s1.wait_state("partner-down", timeout=5.0)
    finally:
        s2.signal(signal.SIGCONT)
    # The standby wakes, sees the primary in partner-down, resyncs; both back to hot-standby.
    s2.wait_state("hot-standby", timeout=20.0)
    s1.wait_state("hot-standby", timeout=5.0)
    _, ack2 = relay.dora(dc.mac_of(0x4811))
    assert s2.lease(ack2.address) == s1.lease(ack2.address) is not None


def discover_with_secs(mac: bytes, secs: int) -> bytes:
    data = bytearray(dc.build(dc.DISCOVER, mac, giaddr=RELAY, hops=1))
    struct.pack_into("!H", data, 8, secs)  # the BOOTP secs field
    return bytes(data)


def test_dead_primary_standby_takes_over_after_unacked_clients(trio: Trio) -> None:
    """max-unacked-clients 10: the standby goes partner-down only once an 11th client has been
    waiting longer than max-ack-delay (secs > 1 s) while communication is interrupted.

    The primary is killed rather than frozen: against a frozen one each heartbeat waits out its 10 s
    request timeout, and the state machine (as Kea's) only runs when a heartbeat completes."""
    s1, s2 = trio.s1, trio.s2
    s1.wait_state("hot-standby")
    s2.wait_state("hot-standby")
    relay = trio.to(s2)
    s1.stop(signal.SIGKILL)
    wait_until(lambda: s2.ha_status()["ha-servers"]["remote"]["communication-interrupted"], 5.0,
               what="server2 sees communication interrupted")
    for n in range(3):  # clients that just started: connecting, not unacked
        relay.send(discover_with_secs(dc.mac_of(0x4900 + n), 0))
    for n in range(10):  # waiting 5 s > max-ack-delay: unacked
        relay.send(discover_with_secs(dc.mac_of(0x4910 + n), 5))
    relay.send(discover_with_secs(dc.mac_of(0x4910), 9))  # a repeat does not count again

    def remote() -> dict[str, object]:
        return s2.ha_status()["ha-servers"]["remote"]  # type: ignore[no-any-return]

    wait_until(lambda: remote()["analyzed-packets"] == 14, 2.0, what="14 queries analysed")
    report = remote()
    assert report["connecting-clients"] == 13 and report["unacked-clients"] == 10, report
    assert report["unacked-clients-left"] == 1 and report["last-state"] == "unavailable", report
    time.sleep(1.0)  # two more failed heartbeats: still not enough
    assert s2.ha_state() == "hot-standby"
    assert relay.discover(dc.mac_of(0x4920), timeout=0.5) is None  # secs 0: not unacked
    relay.send(discover_with_secs(dc.mac_of(0x4921), 5))  # the 11th unacked client
    s2.wait_state("partner-down", timeout=3.0)
    assert "HA_COMMUNICATION_INTERRUPTED_CLIENT4_UNACKED" in s2.log()
    _, ack = relay.dora(dc.mac_of(0x4922))
    assert ack.server_id == ADDRESSES["server2"]
    # The primary comes back (its lease file kept), resyncs from the survivor, and the pair heals.
    s1.start()
    s1.wait_state("hot-standby", timeout=15.0)
    s2.wait_state("hot-standby", timeout=5.0)
    assert s1.lease(ack.address) == s2.lease(ack.address) is not None
