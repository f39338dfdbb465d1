"""Clock skew between two real HA peers (hot-standby, loopback).

server2 runs with HAKEA_TEST_CLOCK_OFFSET (a test-only setting read by hakea.server.ha4: seconds
added to the clock its HA service sees, hence to its heartbeat's date-time). Kea's rules: a skew
above 30 s logs HA_HIGH_CLOCK_SKEW and changes nothing else; above 60 s the server that sees it goes
to terminated (HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION), its partner follows (terminated is
contagious), and both keep answering DHCP as in their normal state, without lease updates.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.e2e import dhcp_client as dc
from tests.e2e.ha_fixtures import HAServer, LoopbackHA4, wait_log
from tests.e2e.lab import Procs

pytestmark = pytest.mark.e2e

RELAY = "127.0.0.40"
PEERS = {"server1": ("primary", "127.0.0.41"), "server2": ("standby", "127.0.0.42")}


@dataclass
class Pair:
    s1: HAServer
    s2: HAServer
    to: Callable[[HAServer], dc.Relay]  # the relay agent, pointed at a server


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[Pair]:
    ha = LoopbackHA4(workdir, procs, "cs", "hot-standby", PEERS, relay=RELAY)
    ha.add("server2", env={"HAKEA_TEST_CLOCK_OFFSET": "40"})
    with ha as servers:
        yield Pair(servers["server1"], servers["server2"], ha.relay_to)


def test_skew_of_40_s_warns_and_changes_nothing(pair: Pair) -> None:
    pair.s1.wait_state("hot-standby")
    pair.s2.wait_state("hot-standby")
    wait_log(pair.s1, "HA_HIGH_CLOCK_SKEW", 3.0)
    wait_log(pair.s2, "HA_HIGH_CLOCK_SKEW", 3.0)
    line = next(x for x in pair.s1.log().splitlines() if "HA_HIGH_CLOCK_SKEW" in x)
    assert re.search(r"partner's clock is (39|40|41)s ahead, please synchronize clocks!", line), line
    line2 = next(x for x in pair.s2.log().splitlines() if "HA_HIGH_CLOCK_SKEW" in x)
    assert re.search(r"partner's clock is (39|40|41)s behind", line2), line2
    # The heartbeat's date-time carries server2's skewed clock.
    heartbeat = pair.s2.heartbeat()
    assert 35 < parsedate_to_datetime(heartbeat["date-time"]).timestamp() - time.time() < 45
    time.sleep(1.5)  # three more heartbeats each way
    assert pair.s1.ha_state() == pair.s2.ha_state() == "hot-standby"
    for s in (pair.s1, pair.s2):
        assert "HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION" not in s.log()
        assert "HA_TERMINATED" not in s.log()
        # warned once, not on every heartbeat (at most once per 60 s)
        assert s.log().count("HA_HIGH_CLOCK_SKEW ") == 1
    _, ack = pair.to(pair.s1).dora(dc.mac_of(0x5001))
    assert pair.s2.lease(ack.address) is not None  # lease updates still flow


def test_skew_of_70_s_terminates_and_both_keep_serving_as_before(pair: Pair) -> None:
    pair.s1.wait_state("hot-standby")  # from the normal state (where the 40 s test leaves the pair)
    pair.s2.wait_state("hot-standby")
    pair.s2.stop()
    pair.s2.env = {"HAKEA_TEST_CLOCK_OFFSET": "70"}
    pair.s2.start()
    pair.s2.wait_state("terminated", timeout=10.0)
    pair.s1.wait_state("terminated", timeout=10.0)
    logs = pair.s1.log() + pair.s2.log()
    assert "HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION" in logs
    assert re.search(r"partner's clock is (69|70|71)s (ahead|behind), causing HA service to terminate", logs)
    assert "HA_TERMINATED" in pair.s1.log() and "HA_TERMINATED" in pair.s2.log()
    # terminated serves the scopes of the normal state: the primary answers, the standby does not,
    # and no lease updates are exchanged any more.
    assert pair.s1.command("ha-heartbeat")["arguments"]["scopes"] == ["server1"]
    assert pair.s2.command("ha-heartbeat")["arguments"]["scopes"] == []
    _, ack = pair.to(pair.s1).dora(dc.mac_of(0x5002))
    assert pair.s1.lease(ack.address) is not None
    assert pair.s2.lease(ack.address) is None
    assert pair.to(pair.s2).discover(dc.mac_of(0x5003), timeout=1.0) is None
    time.sleep(1.0)  # no heartbeats in terminated: nothing moves
    assert pair.s1.ha_state() == pair.s2.ha_state() == "terminated"
