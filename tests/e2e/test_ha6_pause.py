"""Pausing the HA state machine of a real DHCPv6 hot-standby pair (Kea's "state-machine" parameter
and ha-continue): server1 pauses once in waiting and every time in ready; server2 has no pausing and
follows its partner. The tests run in order on one pair (module fixture)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config, free_udp6_port
from tests.e2e.ha_fixtures import Peer, free_port_on, ha_hook
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HTTP = {"server1": "127.0.0.65", "server2": "127.0.0.66"}
ROLES = {"server1": "primary", "server2": "standby"}
SUBNET = {"id": 1, "subnet": "2001:db8:1::/64", "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}]}
PAUSING = {"states": [{"state": "waiting", "pause": "once"}, {"state": "ready", "pause": "always"}]}
CONTINUES = {"result": 0, "text": "HA state machine continues."}
NOT_PAUSED = {"result": 0, "text": "HA state machine is not paused."}


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[tuple[Server6, Server6]]:
    http = free_port_on(*HTTP.values(), kind=socket.SOCK_STREAM)
    peers = [Peer(n, f"http://{a}:{http}/", ROLES[n]) for n, a in HTTP.items()]
    servers = []
    for name, address in HTTP.items():
        extra = {"state-machine": PAUSING} if name == "server1" else {}
        config = dhcp6_config(workdir, f"pa6-{name}", interfaces=["lo/::1"], subnets=[SUBNET],
                              hooks=[ha_hook(name, "hot-standby", peers, **extra)])  # fmt: skip
        servers.append(Server6(f"pa6-{name}", workdir, procs, config, port=free_udp6_port(),
                               url=f"http://{address}:{http}/"))  # fmt: skip
    for s in servers:
        s.lease_file.unlink(missing_ok=True)
        s.start()
    try:
        yield servers[0], servers[1]
    finally:
        for s in servers:
            s.stop()


def stays(server: Server6, state: str, seconds: float) -> None:
    """`server` reports `state` throughout `seconds` (several heartbeats)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.ha_state() == state, f"{server.name} left {state}"
        time.sleep(0.1)


def relay_to(server: Server6) -> dc.Relay6:
    assert server.port is not None
    return dc.Relay6(("::1", server.port))


def test_paused_once_in_waiting(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    wait_until(lambda: "HA_STATE_MACHINE_PAUSED" in s1.log(), 5.0, what="paused log")
    assert "state machine paused in state WAITING" in s1.log()
    stays(s1, "waiting", 1.5)
    assert s2.ha_state() == "waiting"  # the standby waits for the primary
    # heartbeats keep running while paused: each side knows the other's state
    remote1 = s1.command("status-get")["arguments"]["high-availability"][0]["ha-servers"]["remote"]
    remote2 = s2.command("status-get")["arguments"]["high-availability"][0]["ha-servers"]["remote"]
    assert remote1["in-touch"] and remote1["last-state"] == "waiting", remote1
    assert remote2["in-touch"] and remote2["last-state"] == "waiting", remote2
    assert remote1["communication-interrupted"] is False
    relay = relay_to(s1)
    try:
        assert relay.solicit(dc.duid_ll(0x7101), timeout=0.5) is None  # waiting serves nobody
    finally:
        relay.close()


def test_continue_then_paused_in_ready(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    assert s1.command("ha-continue") == CONTINUES
    s1.wait_state("ready", timeout=5.0)
    wait_until(lambda: "state machine paused in state READY" in s1.log(), 3.0, what="paused in READY")
    s2.wait_state("ready", timeout=5.0)
    stays(s1, "ready", 1.0)
    assert s2.ha_state() == "ready"  # the standby waits for the primary's hot-standby
    relay = relay_to(s1)
    try:
        assert relay.solicit(dc.duid_ll(0x7103), timeout=0.5) is None  # ready serves nobody
    finally:
        relay.close()


def test_continue_reaches_hot_standby(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    assert s1.command("ha-continue") == CONTINUES
    s1.wait_state("hot-standby", timeout=5.0)
    s2.wait_state("hot-standby", timeout=5.0)
    assert s1.command("ha-continue") == NOT_PAUSED
    assert s2.command("ha-continue") == NOT_PAUSED
    relay = relay_to(s1)
    try:
        _, reply = relay.sarr(dc.duid_ll(0x7102))
    finally:
        relay.close()
    assert s2.lease(reply.address) == s1.lease(reply.address) is not None


def test_once_pauses_only_once_always_every_time(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    s1.wait_state("hot-standby", timeout=5.0)
    paused_before = s1.log().count("HA_STATE_MACHINE_PAUSED")
    assert s1.command("ha-reset") == {"result": 0, "text": "HA state machine reset."}
    # waiting again, but "once" is spent: on through syncing to ready, where "always" pauses again
    s1.wait_state("ready", timeout=5.0)
    stays(s1, "ready", 1.0)
    log = s1.log()
    assert log.count("HA_STATE_MACHINE_PAUSED") == paused_before + 1, log[-2000:]
    assert log.count("state machine paused in state WAITING") == 1
    assert log.count("state machine paused in state READY") == 2
    assert s2.ha_state() == "hot-standby"
    relay = relay_to(s1)
    try:
        assert relay.solicit(dc.duid_ll(0x7104), timeout=0.5) is None  # paused in ready: nobody served
        assert s1.command("ha-continue") == CONTINUES
        s1.wait_state("hot-standby", timeout=5.0)
        assert s2.ha_state() == "hot-standby"
        _, reply = relay.sarr(dc.duid_ll(0x7105))
    finally:
        relay.close()
    assert s2.lease(reply.address) == s1.lease(reply.address) is not None
