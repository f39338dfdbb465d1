"""Pausing the HA state machine of a real DHCPv6 hot-standby pair (Kea's "state-machine" parameter
and ha-continue): server1 pauses once in waiting and every time in ready; server2 has no pausing and
follows its partner. The tests share one pair (module fixture) and each first brings it to the
point it starts from (tests.e2e.ha_fixtures.paused_in, past_the_pauses), so each also runs alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import LoopbackHA6, Server6
from tests.e2e.ha_fixtures import CONTINUES, NOT_PAUSED, past_the_pauses, paused_in
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HS = "hot-standby"
PEERS = {"server1": ("primary", "127.0.0.65"), "server2": ("standby", "127.0.0.66")}
PAUSING = {"states": [{"state": "waiting", "pause": "once"}, {"state": "ready", "pause": "always"}]}


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[tuple[Server6, Server6]]:
    ha = LoopbackHA6(workdir, procs, "pa6", HS, PEERS)
    ha.add("server1", ha_extra={"state-machine": PAUSING})
    with ha as servers:
        yield servers["server1"], servers["server2"]


def test_paused_once_in_waiting(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    wait_until(lambda: "HA_STATE_MACHINE_PAUSED" in s1.log(), 5.0, what="paused log")
    assert "state machine paused in state WAITING" in s1.log()
    s1.stays("waiting", 1.5)
    assert s2.ha_state() == "waiting"  # the standby waits for the primary
    # heartbeats keep running while paused: each side knows the other's state
    remote1 = s1.ha_status()["ha-servers"]["remote"]
    remote2 = s2.ha_status()["ha-servers"]["remote"]
    assert remote1["in-touch"] and remote1["last-state"] == "waiting", remote1
    assert remote2["in-touch"] and remote2["last-state"] == "waiting", remote2
    assert remote1["communication-interrupted"] is False
    assert s1.ignores(dc.duid_ll(0x7101))  # waiting serves nobody


def test_continue_then_paused_in_ready(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    paused_in(s1, "waiting")
    assert s1.command("ha-continue") == CONTINUES
    s1.wait_state("ready", timeout=5.0)
    wait_until(lambda: "state machine paused in state READY" in s1.log(), 3.0, what="paused in READY")
    s2.wait_state("ready", timeout=5.0)
    s1.stays("ready", 1.0)
    assert s2.ha_state() == "ready"  # the standby waits for the primary's hot-standby
    assert s1.ignores(dc.duid_ll(0x7103))  # ready serves nobody


def test_continue_reaches_hot_standby(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    paused_in(s1, "ready")
    assert s1.command("ha-continue") == CONTINUES
    s1.wait_state(HS, timeout=5.0)
    s2.wait_state(HS, timeout=5.0)
    assert s1.command("ha-continue") == NOT_PAUSED
    assert s2.command("ha-continue") == NOT_PAUSED
    reply = s1.sarr(dc.duid_ll(0x7102))
    assert s2.lease(reply.address) == s1.lease(reply.address) is not None


def test_once_pauses_only_once_always_every_time(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    past_the_pauses(s1, HS)
    s2.wait_state(HS, timeout=5.0)
    paused_before = s1.log().count("HA_STATE_MACHINE_PAUSED")
    assert s1.command("ha-reset") == {"result": 0, "text": "HA state machine reset."}
    # waiting again, but "once" is spent: on through syncing to ready, where "always" pauses again
    s1.wait_state("ready", timeout=5.0)
    s1.stays("ready", 1.0)
    log = s1.log()
    assert log.count("HA_STATE_MACHINE_PAUSED") == paused_before + 1, log[-2000:]
    assert log.count("state machine paused in state WAITING") == 1
    assert log.count("state machine paused in state READY") == 2
    assert s2.ha_state() == HS
    with s1.relay() as relay:
        assert relay.solicit(dc.duid_ll(0x7104), timeout=0.5) is None  # paused in ready: nobody served
        assert s1.command("ha-continue") == CONTINUES
        s1.wait_state(HS, timeout=5.0)
        assert s2.ha_state() == HS
        _, reply = relay.sarr(dc.duid_ll(0x7105))
    assert s2.lease(reply.address) == s1.lease(reply.address) is not None
