"""kill -9 durability for DHCPv6: every lease a client got a Reply for survives a SIGKILL of
hakea-dhcp6, and the lease6 file hakea leaves behind is read by a real kea-dhcp6 2.2 as the same
leases (lease6-get-all over Kea's UNIX control socket) with the same lease statistics.

The file holds every kind of row: new addresses and prefixes, renewals (a later row for the same
lease), releases (deletion rows) and a declined address (state 1, Kea's empty DUID).
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.conftest import ctl, ctl_ready, need
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config, free_udp6_port
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

N = 60  # clients, each with an address and a prefix
SUBNET = {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
    "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56}],
}
STATS = (
    "subnet[1].total-nas", "subnet[1].assigned-nas", "subnet[1].total-pds", "subnet[1].assigned-pds",
    "subnet[1].declined-addresses", "declined-addresses",
)  # fmt: skip


def config(workdir: Path, name: str, sock: Path) -> dict[str, Any]:
    return dhcp6_config(workdir, name, interfaces=["lo/::1"], subnets=[SUBNET], control_socket=sock)


def leases(sock: Path) -> list[str]:
    answer = ctl(sock, "lease6-get-all")
    assert answer["result"] in (0, 3), answer
    return sorted(json.dumps(le, sort_keys=True) for le in answer.get("arguments", {}).get("leases", []))


def lease_stats(sock: Path) -> dict[str, int]:
    every = ctl(sock, "statistic-get-all")["arguments"]
    return {name: every[name][0][0] for name in STATS if name in every}


@dataclass
class Acked:
    """What the clients were told, and what hakea held just before the SIGKILL."""

    addresses: dict[str, bytes]  # address or prefix -> the DUID it was given to
    declined: str
    before: list[str]
    stats: dict[str, int]
    crashed_file: Path


@pytest.fixture(scope="module")
def acked(workdir: Path, procs: Procs) -> Iterator[Acked]:
    sock = workdir / "dur6.sock"
    server = Server6("dur6-hakea", workdir, procs, config(workdir, "dur6", sock), port=free_udp6_port(),
                     control_socket=sock)  # fmt: skip
    server.lease_file.unlink(missing_ok=True)
    server.start()
    relay = dc.Relay6(("::1", server.port or 547))
    try:
        given: dict[str, bytes] = {}
        replies = {}
        for n in range(N):
            duid = dc.duid_ll(0x900 + n)
            _, reply = relay.sarr(duid, pd=True)
            replies[n] = reply
            given[reply.address] = duid
            given[reply.prefixes()[0]] = duid
        sid = replies[0].server_id
        assert sid is not None
        # renewals: a second row for the same leases, with a later cltt
        for n in (3, 4):
            r = replies[n]
            renewed = relay.renew(dc.duid_ll(0x900 + n), sid, dc.ia_na(1, r.address),
                                  dc.ia_pd(1, (r.prefixes()[0].split("/")[0], 56)))  # fmt: skip
            assert renewed is not None and renewed.addresses() == [r.address]
        # releases: deletion rows
        for n in (0, 1):
            r = replies[n]
            released = relay.release(dc.duid_ll(0x900 + n), sid, dc.ia_na(1, r.address),
                                     dc.ia_pd(1, (r.prefixes()[0].split("/")[0], 56)))  # fmt: skip
            assert released is not None and released.status is not None and released.status[0] == 0, released
            del given[r.address], given[r.prefixes()[0]]
        # a decline: the address stays, declined, without its client
        declined = replies[2].address
        answer = relay.decline(dc.duid_ll(0x902), sid, dc.ia_na(1, declined))
        assert answer is not None and answer.msg_type == dc.REPLY
    finally:
        relay.close()
    before = leases(sock)
    stats = lease_stats(sock)
    assert server.proc is not None
    procs.kill(server.proc, signal.SIGKILL)  # no shutdown path runs: only what was written survives
    assert server.proc.returncode == -signal.SIGKILL
    crashed_file = workdir / "dur6-after-kill.csv"
    shutil.copyfile(server.lease_file, crashed_file)
    yield Acked(given, declined, before, stats, crashed_file)


def test_every_acked_lease_is_there_before_the_kill(acked: Acked) -> None:
    held = [json.loads(x) for x in acked.before]
    assert len(held) == 2 * (N - 2)  # N clients, two released; the declined address stays
    by_address = {(le["ip-address"] + (f"/{le['prefix-len']}" if le["type"] == "IA_PD" else "")): le
                  for le in held}  # fmt: skip
    for resource, duid in acked.addresses.items():
        lease = by_address[resource]
        if resource == acked.declined:
            assert lease["state"] == 1 and lease["duid"] == "00", lease
        else:
            assert lease["state"] == 0 and lease["duid"] == duid.hex(":"), lease
    assert acked.stats["subnet[1].assigned-nas"] == N - 2 and acked.stats["subnet[1].assigned-pds"] == N - 2
    assert acked.stats["subnet[1].declined-addresses"] == 1 == acked.stats["declined-addresses"]


def test_restart_on_the_same_file_has_every_lease(acked: Acked, workdir: Path, procs: Procs) -> None:
    sock = workdir / "dur6.sock"
    server = Server6("dur6-hakea-restarted", workdir, procs, config(workdir, "dur6", sock),
                     port=free_udp6_port(), control_socket=sock).start()  # fmt: skip
    try:
        assert leases(sock) == acked.before
        assert lease_stats(sock) == acked.stats
    finally:
        server.stop()


def test_kea_dhcp6_reads_the_file_as_the_same_leases(acked: Acked, workdir: Path, procs: Procs) -> None:
    need("kea-dhcp6")
    kea_dir = workdir / "kea6"
    kea_dir.mkdir()
    sock = kea_dir / "kea6.sock"
    kea_config = config(kea_dir, "kea6", sock)
    shutil.copyfile(acked.crashed_file, kea_config["Dhcp6"]["lease-database"]["name"])
    path = kea_dir / "kea-dhcp6.json"
    path.write_text(json.dumps(kea_config, indent=2))
    kea = procs.start("dur6-kea-dhcp6", ["kea-dhcp6", "-c", str(path), "-p", str(free_udp6_port())],
                      env={"KEA_PIDFILE_DIR": str(kea_dir), "KEA_LOCKFILE_DIR": str(kea_dir)})  # fmt: skip
    try:

        def kea_ready() -> bool:
            if kea.poll() is not None:
                raise AssertionError(f"kea-dhcp6 exited ({kea.returncode}):\n{procs.log('dur6-kea-dhcp6')}")
            return ctl_ready(sock)

        wait_until(kea_ready, 15.0, what="kea-dhcp6 control socket")
        assert leases(sock) == acked.before
        # Kea's own recount of the same file gives the same lease statistics.
        assert lease_stats(sock) == acked.stats
    finally:
        procs.kill(kea, signal.SIGTERM)
