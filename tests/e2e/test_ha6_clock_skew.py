"""Clock skew between two real DHCPv6 HA peers (hot-standby, loopback): the v4 rules hold for v6.

server2 runs with HAKEA_TEST_CLOCK_OFFSET (a test-only setting: seconds added to the clock its HA
service sees, hence to its heartbeat's date-time), first 40, then (restarted) 70. Above 30 s Kea
logs HA_HIGH_CLOCK_SKEW (at most once per 60 s) and changes nothing else: the pair stays in
hot-standby and lease updates flow. Above 60 s the server that sees the skew goes to terminated
(HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION), its partner follows, and both keep answering DHCP as in
their normal state -- the primary serves, the standby does not -- without lease updates.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import LoopbackHA6, Server6
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HS = "hot-standby"
PEERS = {"server1": ("primary", "127.0.0.63"), "server2": ("standby", "127.0.0.64")}


@pytest.fixture(scope="module")
def pair(workdir: Path, procs: Procs) -> Iterator[tuple[Server6, Server6]]:
    ha = LoopbackHA6(workdir, procs, "cs6", HS, PEERS)
    ha.add("server2", env={"HAKEA_TEST_CLOCK_OFFSET": "40"})
    with ha as servers:
        yield servers["server1"], servers["server2"]


def test_skew_of_40_s_warns_and_changes_nothing(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    s1.wait_state(HS)
    s2.wait_state(HS)
    wait_until(lambda: "HA_HIGH_CLOCK_SKEW " in s1.log() and "HA_HIGH_CLOCK_SKEW " in s2.log(), 3.0,
               what="HA_HIGH_CLOCK_SKEW on both")  # fmt: skip
    line1 = next(x for x in s1.log().splitlines() if "HA_HIGH_CLOCK_SKEW " in x)
    assert re.search(r"partner's clock is (39|40|41)s ahead, please synchronize clocks!", line1), line1
    line2 = next(x for x in s2.log().splitlines() if "HA_HIGH_CLOCK_SKEW " in x)
    assert re.search(r"partner's clock is (39|40|41)s behind, please synchronize clocks!", line2), line2
    # the heartbeat's date-time carries server2's skewed clock
    heartbeat = s2.heartbeat()
    assert 35 < parsedate_to_datetime(heartbeat["date-time"]).timestamp() - time.time() < 45, heartbeat
    time.sleep(1.5)  # three more heartbeats each way
    assert s1.ha_state() == s2.ha_state() == HS
    for s in (s1, s2):
        assert "HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION" not in s.log()
        assert "HA_TERMINATED" not in s.log()
        assert s.log().count("HA_HIGH_CLOCK_SKEW ") == 1  # warned once, not on every heartbeat
    assert s1.heartbeat()["scopes"] == ["server1"]
    # the service goes on: the primary answers, the standby has the lease before the Reply
    reply = s1.sarr(dc.duid_ll(0x7003))
    on_primary = s1.lease(reply.address)
    assert on_primary is not None and s2.lease(reply.address) == on_primary


def test_skew_of_70_s_terminates_and_both_keep_serving_as_before(pair: tuple[Server6, Server6]) -> None:
    s1, s2 = pair
    s1.wait_state(HS)  # from the normal state (where the 40 s test leaves the pair)
    s2.wait_state(HS)
    s2.stop()
    s2.env = {"HAKEA_TEST_CLOCK_OFFSET": "70"}
    s2.start()
    s2.wait_state("terminated", timeout=10.0)
    s1.wait_state("terminated", timeout=10.0)
    logs = s1.log() + s2.log()
    assert "HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION" in logs
    assert re.search(r"partner's clock is (69|70|71)s (ahead|behind), causing HA service to terminate", logs)
    assert "HA_TERMINATED" in s1.log() and "HA_TERMINATED" in s2.log()
    assert s1.heartbeat()["scopes"] == ["server1"]
    assert s2.heartbeat()["scopes"] == []
    # the primary answers (no lease update: the standby does not get the lease), the standby does not
    reply = s1.sarr(dc.duid_ll(0x7001))
    assert s1.lease(reply.address) is not None
    assert s2.lease(reply.address) is None
    assert s2.ignores(dc.duid_ll(0x7002), timeout=1.0)
    assert s1.ha_state() == s2.ha_state() == "terminated"
