"""Pausing the HA state machine of a real DHCPv6 hot-standby pair (Kea's "state-machine" parameter
and ha-continue): server1 pauses once in waiting; server2 has no pausing and follows its partner."""

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
PAUSING = {"states": [{"state": "waiting", "pause": "once"}]}
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


def test_paused_once_in_waiting_until_ha_continue(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    wait_until(lambda: "HA_STATE_MACHINE_PAUSED" in s1.log(), 5.0, what="paused log")
    assert "state machine paused in state WAITING" in s1.log()
    deadline = time.monotonic() + 1.5  # several heartbeats: nothing moves
    while time.monotonic() < deadline:
        assert s1.ha_state() == "waiting" and s2.ha_state() == "waiting"
        time.sleep(0.1)
    relay = dc.Relay6(("::1", s1.port or 547))
    try:
        assert relay.solicit(dc.duid_ll(0x7101), timeout=0.5) is None  # waiting serves nobody
        assert s1.command("ha-continue") == CONTINUES
        s1.wait_state("hot-standby", timeout=5.0)
        s2.wait_state("hot-standby", timeout=5.0)
        assert s1.command("ha-continue") == NOT_PAUSED
        _, reply = relay.sarr(dc.duid_ll(0x7102))
    finally:
        relay.close()
    assert s2.lease(reply.address) == s1.lease(reply.address) is not None
    assert s1.log().count("HA_STATE_MACHINE_PAUSED") == 1  # "once"
