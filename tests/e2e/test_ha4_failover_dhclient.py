"""Failover with a real ISC dhclient, in network namespaces joined by a bridge.

server1 (primary, 198.51.100.1) and server2 (standby, 198.51.100.2) each run hakea-dhcp4 in their
own namespace on "eth0" with raw sockets, peer URLs on those addresses; dhclient runs in a third
namespace. Short lifetimes (valid 30 s, T1 5 s, T2 10 s) and max-unacked-clients 0 (the standby goes
partner-down as soon as communication has been interrupted for max-response-delay).

1. dhclient binds with server1; the lease is on server2 too (lease update before the ACK).
2. server1 is killed (-9): server2 goes partner-down; dhclient's RENEW to server1 goes unanswered,
   and its REBIND (broadcast after T2) is answered by server2 with the same address.
3. server1 restarts with an empty lease file and sync-page-limit 2; server2 holds extra leases, so
   the sync takes several pages: waiting -> syncing -> ready -> hot-standby on both, identical leases.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import need
from tests.e2e.ha_fixtures import HAServer, Peer, dhcp4_config, ha_hook, running, same_leases, wait_log
from tests.e2e.lab import Dhclient, Lab, Procs, lab, wait_until

pytestmark = pytest.mark.e2e

HTTP_PORT = 8000
SERVERS = {"server1": ("s1", "198.51.100.1"), "server2": ("s2", "198.51.100.2")}
ROLES = {"server1": "primary", "server2": "standby"}
EXTRA_LEASES = 7  # on server2 before server1's resync: with the client's, 8 leases = 4 pages of 2 + 1 empty

@dataclass
class Setup:
    lab: Lab
    procs: Procs
    workdir: Path
    s1: HAServer
    s2: HAServer
    client: Dhclient


def server_config(workdir: Path, name: str, **ha_extra: object) -> dict[str, object]:
    peers = [Peer(n, f"http://{addr}:{HTTP_PORT}/", ROLES[n]) for n, (_, addr) in SERVERS.items()]
    return dhcp4_config(
        interfaces=["eth0"],
        socket_type="raw",
        lease_file=workdir / f"fo-{name}-leases4.csv",
        control_socket=workdir / f"fo-{name}.sock",
        ha=ha_hook(name, "hot-standby", peers, **{"max-unacked-clients": 0, **ha_extra}),
        valid_lifetime=30,
        renew_timer=5,
        rebind_timer=10,
        subnet={
            "id": 1,
            "subnet": "198.51.100.0/24",
            "pools": [{"pool": "198.51.100.100 - 198.51.100.200", "client-class": "HA_server1"}],
        },
    )


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    need("dhclient", "ip")
    with lab("hkh") as the_lab:
        servers = {}
        for name, (short, addr) in SERVERS.items():
            the_lab.add_host(short, v4=f"{addr}/24")
            servers[name] = HAServer(
                name=f"fo-{name}", url=f"http://{addr}:{HTTP_PORT}/", workdir=workdir, procs=procs,
                config=server_config(workdir, name), argv_prefix=the_lab.exec_argv(short, []),
                control_socket=workdir / f"fo-{name}.sock",
            )
        the_lab.add_host("cli")
        client = Dhclient(the_lab, workdir, "fo-dhclient", 4, "request subnet-mask, routers;\n")
        with running(*servers.values()), client:
            yield Setup(the_lab, procs, workdir, servers["server1"], servers["server2"], client)


def test_failover_rebind_and_resync(setup: Setup) -> None:
    s1, s2 = setup.s1, setup.s2
    s1.wait_state("hot-standby")
    s2.wait_state("hot-standby")

    # 1. dhclient binds with the primary; the standby has the lease.
    setup.procs.start("fo-dhclient", setup.client.argv("-d"))
    bound = wait_until(lambda: setup.client.calls("BOUND"), 15.0, what="dhclient BOUND")
    address = bound[0]["ip"]
    assert re.fullmatch(r"198\.51\.100\.(1\d\d|200)", address), bound
    assert bound[0]["server"] == "198.51.100.1"
    on_primary = s1.lease(address)
    assert on_primary is not None and on_primary["valid-lft"] == 30
    assert s2.lease(address) == on_primary

    # 2. The primary dies; the standby takes over and answers the client's REBIND, same address.
    assert s1.proc is not None
    setup.procs.kill(s1.proc, signal.SIGKILL)
    s2.wait_state("partner-down", timeout=8.0)
    assert "server transitions from HOT-STANDBY to PARTNER-DOWN state" in s2.log()
    # dhclient 4.4 names the rebinding ACK "RENEW" in its script; its log shows what went on the
    # wire: the unicast REQUEST to server1 (RENEWING, unanswered), then after T2 the broadcast one
    # (REBINDING), answered by server2.
    rebound = wait_until(lambda: [f for r, f in setup.client.events() if f.get("server") == "198.51.100.2"],
                         20.0, interval=0.2, what="dhclient's REBIND answered by server2")
    assert rebound[0]["ip"] == address
    client_log = setup.procs.log("fo-dhclient")
    renewing = client_log.index(f"DHCPREQUEST for {address} on eth0 to 198.51.100.1 port 67")
    rebinding = client_log.index(f"DHCPREQUEST for {address} on eth0 to 255.255.255.255 port 67", renewing)
    assert client_log.index(f"DHCPACK of {address} from 198.51.100.2") > rebinding
    assert f"DHCPACK of {address} from 198.51.100.1" not in client_log[renewing:]
    assert s2.command("ha-heartbeat")["arguments"]["unsent-update-count"] >= 1

    # 3. More leases on the survivor, so the resync needs several pages of 2.
    for n in range(EXTRA_LEASES):
        added = s2.command("lease4-add", {
            "ip-address": f"198.51.100.{20 + n}", "hw-address": f"02:00:00:00:99:{n:02x}", "valid-lft": 3600,
        })
        assert added["result"] == 0, added
    total = len(s2.leases())
    assert total == EXTRA_LEASES + 1

    # server1 comes back with nothing: empty lease file, small pages.
    for f in setup.workdir.glob("fo-server1-leases4.csv*"):
        f.unlink()
    s1.config = server_config(setup.workdir, "server1", **{"sync-page-limit": 2})
    s1.start()
    s1.wait_state("hot-standby", timeout=15.0)
    s2.wait_state("hot-standby", timeout=5.0)
    log1 = s1.log().split("HA_SERVICE_STARTED")[-1]  # this run only
    order = [m.group(1) for m in re.finditer(r"server transitions from \S+ to (\S+) state", log1)]
    assert order[:3] == ["SYNCING", "READY", "HOT-STANDBY"], order
    pages = re.findall(r"HA_LEASES_SYNC_LEASE_PAGE_RECEIVED received (\d+) leases from server2", log1)
    assert [int(p) for p in pages] == [2] * (total // 2) + [total % 2], pages
    wait_log(s1, "HA_SYNC_SUCCESSFUL", 1.0)
    assert "server transitions from PARTNER-DOWN to HOT-STANDBY state" in s2.log()

    wait_until(same_leases(s1, s2), 5.0, interval=0.2, what="identical lease sets on both servers")
    leases = s1.leases()
    assert len(leases) == total
    assert any(le["ip-address"] == address for le in leases)
