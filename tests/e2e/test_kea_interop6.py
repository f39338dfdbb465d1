"""A mixed DHCPv6 hot-standby pair: hakea-dhcp6 and Debian's kea-dhcp6 2.2 as HA partners on
loopback, running the same Kea configuration (HA over Kea's dedicated HTTP listener, with
multi-threading on, as Kea 2.2 requires for it).

Both orders are run: hakea primary with Kea standby (Kea takes hakea's lease6-bulk-apply and
answers its lease6-get-page), and Kea primary with hakea standby (hakea takes Kea's). In each, the
standby is then restarted with an empty lease file and syncs from the primary.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import KeaServer6, LoopbackHA6, Server6, need_kea6
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HS = "hot-standby"
PEERS = {"server1": ("primary", "127.0.0.81"), "server2": ("standby", "127.0.0.82")}
HA_EXTRA = {"max-unacked-clients": 0, "sync-page-limit": 3}


@pytest.fixture(params=["hakea-primary", "kea-primary"])
def pair(request: pytest.FixtureRequest, workdir: Path, procs: Procs) -> Iterator[tuple[Server6, Server6]]:
    need_kea6()
    kea = "server2" if request.param == "hakea-primary" else "server1"
    ha = LoopbackHA6(workdir, procs, f"interop6-{request.param}", HS, PEERS, threads=True, ha_extra=HA_EXTRA)
    ha.add(kea, KeaServer6)
    with ha as servers:
        yield servers["server1"], servers["server2"]


def test_mixed_pair_replicates_and_resyncs(pair: tuple[Server6, Server6]) -> None:
    primary, standby = pair
    primary.wait_state(HS, timeout=20.0)
    standby.wait_state(HS, timeout=20.0)
    with primary.relay() as relay:
        replies = [relay.sarr(dc.duid_ll(0xA00 + n), pd=True)[1] for n in range(4)]
        # the primary answered each client only once the standby acknowledged the lease6-bulk-apply
        assert standby.lease_view() == primary.lease_view() and len(primary.leases()) == 8
        last = replies[-1]
        assert last.server_id is not None
        released = relay.release(dc.duid_ll(0xA03), last.server_id, dc.ia_na(1, last.address),
                                 dc.ia_pd(1, (last.prefixes()[0].split("/")[0], 56)))  # fmt: skip
        assert released is not None and released.status is not None and released.status[0] == 0
        wait_until(lambda: len(standby.leases()) == 6, 5.0, what="release replicated")
        assert standby.lease_view() == primary.lease_view()
    # the standby loses its lease file and comes back: it syncs from the primary (lease6-get-page)
    standby.stop(signal.SIGKILL)
    standby.lease_file.unlink(missing_ok=True)
    standby.start()
    standby.wait_state(HS, timeout=30.0)
    assert standby.lease_view() == primary.lease_view()
    # and the standby stays silent
    assert standby.ignores(dc.duid_ll(0xAFF), timeout=1.0)
