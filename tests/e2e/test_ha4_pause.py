"""Pausing the HA state machine (Kea's "state-machine" parameter and ha-continue), with a real
hot-standby pair on loopback. server1 pauses once in waiting and every time in ready; server2 has no
pausing and follows its partner."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e import dhcp_client as dc
from tests.e2e.ha_fixtures import HAServer, Peer, dhcp4_config, free_port_on, ha_hook
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

RELAY = "127.0.0.50"
ADDRESSES = {"server1": "127.0.0.51", "server2": "127.0.0.52"}
ROLES = {"server1": "primary", "server2": "standby"}
PAUSING = {"states": [{"state": "waiting", "pause": "once"}, {"state": "ready", "pause": "always"}]}
CONTINUES = {"result": 0, "text": "HA state machine continues."}
NOT_PAUSED = {"result": 0, "text": "HA state machine is not paused."}


@dataclass
class Pair:
    s1: HAServer
    s2: HAServer
    relay: dc.Relay


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[Pair]:
    port = free_port_on(RELAY, *ADDRESSES.values())
    http = free_port_on(*ADDRESSES.values(), kind=socket.SOCK_STREAM)
    peers = [Peer(n, f"http://{a}:{http}/", ROLES[n]) for n, a in ADDRESSES.items()]
    servers = []
    for name, address in ADDRESSES.items():
        extra = {"state-machine": PAUSING} if name == "server1" else {}
        config = dhcp4_config(
            interfaces=[f"lo/{address}"],
            lease_file=workdir / f"pa-{name}-leases4.csv",
            ha=ha_hook(name, "hot-standby", peers, **extra),
            subnet={
                "id": 1,
                "subnet": "192.0.2.0/24",
                "relay": {"ip-addresses": [RELAY]},
                "pools": [{"pool": "192.0.2.100 - 192.0.2.200", "client-class": "HA_server1"}],
            },
        )
        servers.append(HAServer(f"pa-{name}", f"http://{address}:{http}/", workdir, procs, config, port=port))
    for s in servers:
        s.start()
    relay = dc.Relay(RELAY, ADDRESSES["server1"], port)
    try:
        yield Pair(servers[0], servers[1], relay)
    finally:
        relay.close()
        for s in servers:
            s.stop()


def stays(server: HAServer, state: str, seconds: float) -> None:
    """`server` reports `state` throughout `seconds` (several heartbeats)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.ha_state() == state, f"{server.name} left {state}"
        time.sleep(0.1)


def test_paused_once_in_waiting(pair: Pair) -> None:
    wait_until(lambda: "HA_STATE_MACHINE_PAUSED" in pair.s1.log(), 5.0, what="paused log")
    assert "state machine paused in state WAITING" in pair.s1.log()
    stays(pair.s1, "waiting", 1.5)
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
    assert pair.s1.command("ha-continue") == CONTINUES
    pair.s1.wait_state("ready", timeout=5.0)
    assert "state machine paused in state READY" in pair.s1.log()
    pair.s2.wait_state("ready", timeout=5.0)
    stays(pair.s1, "ready", 1.0)
    assert pair.s2.ha_state() == "ready"  # the standby waits for the primary's hot-standby


def test_continue_reaches_hot_standby(pair: Pair) -> None:
    assert pair.s1.command("ha-continue") == CONTINUES
    pair.s1.wait_state("hot-standby", timeout=5.0)
    pair.s2.wait_state("hot-standby", timeout=5.0)
    assert pair.s1.command("ha-continue") == NOT_PAUSED
    assert pair.s2.command("ha-continue") == NOT_PAUSED
    offer = pair.relay.discover(dc.mac_of(0x5102))
    assert offer is not None and offer.message_type == dc.OFFER


def test_once_pauses_only_once_always_every_time(pair: Pair) -> None:
    paused_before = pair.s1.log().count("HA_STATE_MACHINE_PAUSED")
    assert pair.s1.command("ha-reset") == {"result": 0, "text": "HA state machine reset."}
    # waiting again, but "once" is spent: on to syncing and ready, where "always" pauses it again.
    pair.s1.wait_state("ready", timeout=5.0)
    stays(pair.s1, "ready", 1.0)
    log = pair.s1.log()
    assert log.count("HA_STATE_MACHINE_PAUSED") == paused_before + 1
    assert log.count("state machine paused in state WAITING") == 1
    assert pair.s2.ha_state() == "hot-standby"
    assert pair.s1.command("ha-continue") == CONTINUES
    pair.s1.wait_state("hot-standby", timeout=5.0)
    assert pair.s2.ha_state() == "hot-standby"
