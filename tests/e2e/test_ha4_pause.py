"""Pausing the HA state machine (Kea's "state-machine" parameter and ha-continue), with a real
hot-standby pair on loopback. server1 pauses once in waiting and every time in ready; server2 has no
pausing and follows its partner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e import dhcp_client as dc
from tests.e2e.ha_fixtures import CONTINUES, NOT_PAUSED, HAServer, LoopbackHA4, past_the_pauses, paused_in
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HS = "hot-standby"
RELAY = "127.0.0.50"
PEERS = {"server1": ("primary", "127.0.0.51"), "server2": ("standby", "127.0.0.52")}
PAUSING = {"states": [{"state": "waiting", "pause": "once"}, {"state": "ready", "pause": "always"}]}


@dataclass
class Pair:
    s1: HAServer
    s2: HAServer
    relay: dc.Relay  # to server1


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[Pair]:
    ha = LoopbackHA4(workdir, procs, "pa", HS, PEERS, relay=RELAY)
    ha.add("server1", ha_extra={"state-machine": PAUSING})
    with ha as servers:
        yield Pair(servers["server1"], servers["server2"], ha.relay_to(servers["server1"]))


def test_paused_once_in_waiting(pair: Pair) -> None:
    wait_until(lambda: "HA_STATE_MACHINE_PAUSED" in pair.s1.log(), 5.0, what="paused log")
    assert "state machine paused in state WAITING" in pair.s1.log()
    pair.s1.stays("waiting", 1.5)
    # The standby waits for the primary (concurrent start: the primary goes first).
    assert pair.s2.ha_state() == "waiting"
    # Heartbeats keep running while paused: each side knows the other's state.
    remote1 = pair.s1.ha_status()["ha-servers"]["remote"]
    remote2 = pair.s2.ha_status()["ha-servers"]["remote"]
    assert remote1["in-touch"] and remote1["last-state"] == "waiting"
    assert remote2["in-touch"] and remote2["last-state"] == "waiting"
    assert remote1["communication-interrupted"] is False
    assert pair.relay.discover(dc.mac_of(0x5101), timeout=0.5) is None  # waiting serves nobody


def test_continue_then_paused_in_ready(pair: Pair) -> None:
    paused_in(pair.s1, "waiting")
    assert pair.s1.command("ha-continue") == CONTINUES
    pair.s1.wait_state("ready", timeout=5.0)
    assert "state machine paused in state READY" in pair.s1.log()
    pair.s2.wait_state("ready", timeout=5.0)
    pair.s1.stays("ready", 1.0)
    assert pair.s2.ha_state() == "ready"  # the standby waits for the primary's hot-standby


def test_continue_reaches_hot_standby(pair: Pair) -> None:
    paused_in(pair.s1, "ready")
    assert pair.s1.command("ha-continue") == CONTINUES
    pair.s1.wait_state(HS, timeout=5.0)
    pair.s2.wait_state(HS, timeout=5.0)
    assert pair.s1.command("ha-continue") == NOT_PAUSED
    assert pair.s2.command("ha-continue") == NOT_PAUSED
    offer = pair.relay.discover(dc.mac_of(0x5102))
    assert offer is not None and offer.message_type == dc.OFFER


def test_once_pauses_only_once_always_every_time(pair: Pair) -> None:
    past_the_pauses(pair.s1, HS)
    pair.s2.wait_state(HS, timeout=5.0)
    paused_before = pair.s1.log().count("HA_STATE_MACHINE_PAUSED")
    assert pair.s1.command("ha-reset") == {"result": 0, "text": "HA state machine reset."}
    # waiting again, but "once" is spent: on to syncing and ready, where "always" pauses it again.
    pair.s1.wait_state("ready", timeout=5.0)
    pair.s1.stays("ready", 1.0)
    log = pair.s1.log()
    assert log.count("HA_STATE_MACHINE_PAUSED") == paused_before + 1
    assert log.count("state machine paused in state WAITING") == 1
    assert pair.s2.ha_state() == HS
    assert pair.s1.command("ha-continue") == CONTINUES
    pair.s1.wait_state(HS, timeout=5.0)
    assert pair.s2.ha_state() == HS
