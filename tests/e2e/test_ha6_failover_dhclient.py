"""DHCPv6 failover with a real ISC `dhclient -6 -N -P`, in network namespaces joined by a bridge.

server1 (primary, 2001:db8:1::1) and server2 (standby, 2001:db8:1::2) each run hakea-dhcp6 in their
own namespace on "eth0" (port 547, ff02::1:2), HA peer URLs on those IPv6 addresses
(http://[2001:db8:1::1]:8000/); dhclient runs in a third namespace. Short timers (preferred 20 s,
valid 40 s, T1 5 s, T2 10 s) and max-unacked-clients 0 (the standby goes partner-down as soon as
communication has been interrupted for max-response-delay).

1. dhclient gets an address and a prefix from server1; both leases are on server2 too (the
   lease6-bulk-apply is acknowledged before the Reply).
2. server1 is killed (-9): server2 goes partner-down. The client's Renew names server1 (its Server
   Identifier) and goes unanswered; its Rebind (after T2) is answered by server2 with the same
   address and prefix.
3. server1 restarts with an empty lease file and sync-page-limit 2; server2 holds extra leases so
   the sync takes several lease6-get-page pages: both return to hot-standby with identical leases.
"""

from __future__ import annotations

import ipaddress
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import need
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config, restart_and_sync
from tests.e2e.ha_fixtures import Peer, ha_hook, running, same_leases
from tests.e2e.lab import Dhclient, Lab, Procs, lab, wait_until

pytestmark = pytest.mark.e2e

HTTP_PORT = 8000
SERVERS = {"server1": ("s1", "2001:db8:1::1"), "server2": ("s2", "2001:db8:1::2")}
ROLES = {"server1": "primary", "server2": "standby"}
POOL = "2001:db8:1::100 - 2001:db8:1::1ff"
PD_POOL = ipaddress.IPv6Network("2001:db8:80::/48")
EXTRA_LEASES = 7  # on server2 before server1's resync: with the client's two, 9 = 4 pages of 2 + 1

@dataclass
class Setup:
    lab: Lab
    procs: Procs
    workdir: Path
    s1: Server6
    s2: Server6
    client: Dhclient


def server_config(workdir: Path, name: str, **ha_extra: object) -> dict[str, Any]:
    peers = [Peer(n, f"http://[{addr}]:{HTTP_PORT}/", ROLES[n]) for n, (_, addr) in SERVERS.items()]
    subnet = {
        "id": 1,
        "subnet": "2001:db8:1::/64",
        "interface": "eth0",
        "pools": [{"pool": POOL, "client-class": "HA_server1"}],
        "pd-pools": [{"prefix": str(PD_POOL.network_address), "prefix-len": 48, "delegated-len": 56,
                      "client-class": "HA_server1"}],
    }  # fmt: skip
    hook = ha_hook(name, "hot-standby", peers, **{"max-unacked-clients": 0, **ha_extra})
    return dhcp6_config(
        workdir, f"fo6-{name}", interfaces=["eth0"], subnets=[subnet], hooks=[hook],
        control_socket=workdir / f"fo6-{name}.sock",
        extra={"preferred-lifetime": 20, "valid-lifetime": 40, "renew-timer": 5, "rebind-timer": 10},
    )  # fmt: skip


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    need("dhclient", "ip")
    with lab("hk6f") as the_lab:
        servers = {}
        for short, addr in SERVERS.values():
            the_lab.add_host(short, v6=f"{addr}/64")
        the_lab.add_host("cli")
        the_lab.wait_dad("s1", "s2", "cli")
        client = Dhclient(the_lab, workdir, "fo6-dhclient", 6)
        for name, (short, _) in SERVERS.items():
            servers[name] = Server6(
                f"fo6-{name}", workdir, procs, server_config(workdir, name),
                control_socket=workdir / f"fo6-{name}.sock", argv_prefix=the_lab.exec_argv(short, []),
            )  # fmt: skip
        with running(*servers.values()), client:
            yield Setup(the_lab, procs, workdir, servers["server1"], servers["server2"], client)


def duid_text(server: Server6) -> str:
    """The server's DUID (DUID-LL, htype 1) as dhclient's script shows it: "0:3:0:1:2:0:...",
    colon-separated hex bytes without leading zeros."""
    duid = b"\x00\x03\x00\x01" + bytes.fromhex(server.config["Dhcp6"]["server-id"]["identifier"])
    return ":".join(f"{b:x}" for b in duid)


def test_failover_rebind_and_resync(setup: Setup) -> None:
    s1, s2 = setup.s1, setup.s2
    s1.wait_state("hot-standby")
    s2.wait_state("hot-standby")
    sid1, sid2 = duid_text(s1), duid_text(s2)

    # 1. dhclient binds with the primary: an address and a prefix; the standby has both leases.
    client = setup.procs.start("fo6-dhclient", setup.client.argv("-N", "-P", "-d"))

    def bound(kind: str) -> list[dict[str, str]]:
        return setup.client.calls("BOUND6", having=kind)

    address = wait_until(lambda: bound("ip6"), 20.0, interval=0.2, what="BOUND6 with an address")[0]
    prefix = wait_until(lambda: bound("prefix"), 5.0, interval=0.2, what="BOUND6 with a prefix")[0]
    assert address["sid"] == prefix["sid"] == sid1, (address, prefix, sid1)
    ip6, pd = address["ip6"], prefix["prefix"]
    assert re.fullmatch(r"2001:db8:1::1[0-9a-f]{2}", ip6), address
    assert ipaddress.IPv6Network(pd).prefixlen == 56 and ipaddress.IPv6Network(pd).subnet_of(PD_POOL), pd
    na1, pd1 = s1.lease(ip6), s1.lease(pd.split("/")[0], "IA_PD")
    assert na1 is not None and na1["valid-lft"] == 40 and na1["preferred-lft"] == 20
    assert pd1 is not None and pd1["prefix-len"] == 56
    assert s2.lease(ip6) == na1 and s2.lease(pd.split("/")[0], "IA_PD") == pd1

    # 2. The primary dies; the standby goes partner-down and answers the client's Rebind.
    assert s1.proc is not None
    setup.procs.kill(s1.proc, signal.SIGKILL)
    s2.wait_state("partner-down", timeout=8.0)
    assert "server transitions from HOT-STANDBY to PARTNER-DOWN state" in s2.log()

    # dhclient runs its script once for the address, once for the prefix
    def by_server2() -> list[tuple[str, dict[str, str]]]:
        found = [(r, f) for r, f in setup.client.events() if f.get("sid") == sid2]
        return found if len(found) >= 2 else []

    rebound = wait_until(by_server2, 25.0, interval=0.2, what="the client's Rebind answered by server2")
    assert {r for r, _ in rebound} == {"REBIND6"}, setup.client.events()
    assert any(f.get("ip6") == ip6 for _, f in rebound), rebound
    assert any(f.get("prefix") == pd for _, f in rebound), rebound
    assert [r for r, _ in setup.client.events()] == ["PREINIT6", "BOUND6", "BOUND6", "REBIND6", "REBIND6"]
    # On the wire (dhclient's log): the Renew at T1 (naming server1, multicast: server2 saw it too)
    # went unanswered; the Rebind at T2 got the Reply.
    client_log = setup.procs.log("fo6-dhclient")
    renew = client_log.index("XMT: Forming Renew")
    rebind = client_log.index("XMT: Forming Rebind", renew)
    assert "RCV: Reply" not in client_log[renew:rebind], client_log[renew:rebind]
    assert client_log.index("RCV: Reply", rebind) > rebind
    assert s2.stat("pkt6-renew-received") >= 1 and s2.stat("pkt6-rebind-received") >= 1
    na2 = s2.lease(ip6)
    assert na2 is not None and na2["cltt"] > na1["cltt"]
    assert s2.heartbeat()["unsent-update-count"] >= 1

    # 3. More leases on the survivor, so the resync needs several pages of 2.
    for n in range(EXTRA_LEASES):
        added = s2.command("lease6-add", {
            "ip-address": f"2001:db8:1::{0x20 + n:x}", "duid": f"00:03:00:01:02:00:00:00:99:{n:02x}",
            "iaid": n + 1, "subnet-id": 1, "valid-lft": 3600,
        })  # fmt: skip
        assert added["result"] == 0, added
    total = len(s2.leases())
    assert total == EXTRA_LEASES + 2

    # server1 comes back with nothing: empty lease file, small pages.
    for f in setup.workdir.glob("fo6-server1-leases6.csv*"):
        f.unlink()
    s1.config = server_config(setup.workdir, "server1", **{"sync-page-limit": 2})
    restart_and_sync(s1, s2, "hot-standby", timeout=15.0, paged=(total, 2))
    assert "server transitions from PARTNER-DOWN to HOT-STANDBY state" in s2.log()

    wait_until(same_leases(s1, s2), 5.0, interval=0.2, what="identical lease6 sets on both servers")
    leases = s1.leases()
    assert len(leases) == total
    assert {(le["type"], le["ip-address"]) for le in leases} >= {("IA_NA", ip6), ("IA_PD", pd.split("/")[0])}
    assert client.poll() is None  # the client is still running, bound
