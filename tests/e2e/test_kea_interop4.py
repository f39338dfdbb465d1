"""Mixed DHCPv4 HA pairs: a real Kea 2.2 kea-dhcp4 and hakea-dhcp4 as partners, in both directions.

Namespaces: the client (perfdhcp, scripted relay) at 198.51.100.10, server1 at .1, server2 at .2,
on one bridge. Both servers run the same kind of Kea configuration (tests.e2e.kea.dhcp4_config):
HA over Kea's dedicated HTTP listener with multi-threading, lease_cmds loaded, memfile leases.
docs/operator-guide-replace-kea.md follows the same steps; docs/kea-interop.md records what these
tests saw Kea do.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hakea.ha.query_filter import lb_hash
from tests.e2e import dhcp_client as dc
from tests.e2e.conftest import need
from tests.e2e.kea import (
    RELAY,
    Server,
    Sniffer,
    discover_everywhere,
    lease_set,
    perfdhcp,
    wait_states,
)
from tests.e2e.lab import Lab, Procs, lab, wait_until

pytestmark = pytest.mark.e2e

HS = "hot-standby"
LB = "load-balancing"
PD = "partner-down"


@pytest.fixture(scope="module")
def net() -> Iterator[Lab]:
    need("kea-dhcp4", "perfdhcp")
    with lab("ki") as the_lab:
        the_lab.add_host("cl", f"{RELAY}/24")
        the_lab.add_host("s1", "198.51.100.1/24")
        the_lab.add_host("s2", "198.51.100.2/24")
        yield the_lab


_dirs = itertools.count(1)


@pytest.fixture
def pair_dir(workdir: Path) -> Path:
    # Short: the UNIX control socket's path must fit in 108 bytes.
    d = workdir / f"t{next(_dirs)}"
    d.mkdir()
    return d


class Pair:
    def __init__(self, net: Lab, procs: Procs, workdir: Path, mode: str, flavors: tuple[str, str]) -> None:
        self.s1 = Server("server1", flavors[0], net, procs, workdir, mode)
        self.s2 = Server("server2", flavors[1], net, procs, workdir, mode)
        self.net = net
        for s in (self.s1, self.s2):
            s.write_config()

    def start(self) -> None:
        for s in (self.s1, self.s2):
            s.start()

    def close(self) -> None:
        for s in (self.s1, self.s2):
            s.close()


@pytest.fixture
def make_pair(net: Lab, procs: Procs, pair_dir: Path) -> Iterator[Any]:
    pairs: list[Pair] = []

    def make(mode: str, flavors: tuple[str, str]) -> Pair:
        pairs.append(Pair(net, procs, pair_dir, mode, flavors))
        return pairs[-1]

    try:
        yield make
    finally:
        for p in pairs:
            p.close()


def load(pair: Pair, server: Server, count: int, batch: int) -> None:
    """`count` DORA exchanges from perfdhcp to `server`, new clients for each batch."""
    out = perfdhcp(pair.net, count=count, server=server.address, batch=batch)
    assert "REQUEST-ACK" in out, out


def assert_same_leases(a: Server, b: Server, at_least: int) -> set[tuple[Any, ...]]:
    """Both servers hold the same leases (read over each one's HA listener), at least `at_least`."""
    def same() -> bool:
        return lease_set(a.leases(over_http=True)) == lease_set(b.leases(over_http=True))

    wait_until(same, 5.0, interval=0.2, what=f"{a.name} and {b.name} to hold the same leases")
    leases = lease_set(a.leases(over_http=True))
    assert len(leases) >= at_least, (len(leases), at_least)
    return leases


def synced_from(sniffer: Sniffer, syncer: Server, source: Server) -> list[str]:
    """The commands `syncer` sent to `source` while synchronising; checks Kea's sequence."""
    sent = [s for s in sniffer.seen if s.src == syncer.address and s.dst == source.address
            and s.command != "ha-heartbeat"]
    names = [s.command for s in sent]
    assert "dhcp-disable" in names, names
    first = names.index("dhcp-disable")
    disable = sent[first].body
    assert disable is not None and disable["arguments"]["origin"] == "ha-partner", disable
    assert disable["arguments"]["max-period"] >= 1, disable
    pages = [s for s in sent[first:] if s.command == "lease4-get-page"]
    assert len(pages) >= 2, names  # paged: sync-page-limit is 10
    assert pages[0].body is not None and pages[0].body["arguments"]["from"] == "start"
    assert pages[1].body is not None and pages[1].body["arguments"]["from"] != "start"
    assert names[first:].count("ha-sync-complete-notify") == 1, names
    assert "dhcp-enable" not in names[first:], names  # the notify re-enables the partner
    return names


# ------------------------------------------------------------------------------------ scenarios


@pytest.mark.parametrize("flavors", [("kea", "hakea"), ("hakea", "kea")], ids=["kea-primary", "hakea-primary"])
def test_hot_standby_pair(make_pair: Any, flavors: tuple[str, str]) -> None:
    pair: Pair = make_pair(HS, flavors)
    s1, s2 = pair.s1, pair.s2
    pair.start()
    wait_states({s1: HS, s2: HS}, 20)

    # The primary answers; every lease reaches the standby.
    load(pair, s1, 50, batch=1)
    first = assert_same_leases(s1, s2, at_least=45)

    # The primary dies: the standby takes over in partner-down and answers.
    s1.kill()
    wait_states({s2: PD}, 15)
    load(pair, s2, 20, batch=2)
    survivor = lease_set(s2.leases(over_http=True))
    assert first < survivor and len(survivor) >= len(first) + 15

    # The primary comes back with no leases: it syncs from the standby (paged), both hot-standby.
    with Sniffer(pair.net, "s2") as sniffer:
        s1.start(empty=True)
        wait_states({s1: HS, s2: HS}, 30)
    synced_from(sniffer, s1, s2)
    assert assert_same_leases(s1, s2, at_least=len(survivor)) == survivor

    # The standby restarts empty: it syncs from the primary, back to hot-standby.
    s2.kill()
    with Sniffer(pair.net, "s1") as sniffer:
        s2.start(empty=True)
        wait_states({s1: HS, s2: HS}, 30)
    synced_from(sniffer, s2, s1)
    assert assert_same_leases(s1, s2, at_least=len(survivor)) == survivor

    # The standby is down: the primary goes partner-down, serves, and the standby resyncs.
    s2.kill()
    wait_states({s1: PD}, 15)
    load(pair, s1, 20, batch=3)
    grown = lease_set(s1.leases(over_http=True))
    assert survivor < grown
    with Sniffer(pair.net, "s1") as sniffer:
        s2.start(empty=True)
        wait_states({s1: HS, s2: HS}, 30)
    synced_from(sniffer, s2, s1)
    assert assert_same_leases(s1, s2, at_least=len(grown)) == grown
    for s in (s1, s2):
        assert s.running, s.log()[-3000:]


def lb_owner(mac: bytes) -> str:
    """Kea's load-balancing owner of a client keyed by its MAC (RFC 3074 hash, Kea's table)."""
    return "198.51.100.1" if lb_hash(mac) % 2 == 0 else "198.51.100.2"


@pytest.mark.parametrize("flavors", [("kea", "hakea"), ("hakea", "kea")], ids=["kea-primary", "hakea-primary"])
def test_load_balancing_pair_agrees_on_every_owner(make_pair: Any, flavors: tuple[str, str]) -> None:
    pair: Pair = make_pair(LB, flavors)
    s1, s2 = pair.s1, pair.s2
    pair.start()
    wait_states({s1: LB, s2: LB}, 20)
    macs = [b"\x02" + bytes.fromhex(f"{n * 2654435761 % (1 << 40):010x}") for n in range(1, 201)]
    answered = discover_everywhere(pair.net, [s1.address, s2.address], macs)
    per_server = {s1.address: 0, s2.address: 0}
    print({m: w for m, w in answered.items() if len(w) != 1}, len(answered))
    for mac in macs:
        who = answered[dc.mac_str(mac)]
        assert len(who) == 1, (dc.mac_str(mac), who)
        assert who[0] == lb_owner(mac), (dc.mac_str(mac), who)
        per_server[who[0]] += 1
    assert min(per_server.values()) > 50, per_server


def test_lease_files_are_exchangeable(net: Lab, procs: Procs, pair_dir: Path) -> None:
    """kea-dhcp4 starts from a lease file hakea wrote and hakea from one Kea wrote: same leases."""
    for writer, reader in (("hakea", "kea"), ("kea", "hakea")):
        w = Server("server1", writer, net, procs, pair_dir / writer, None)
        w.workdir.mkdir()
        w.write_config()
        w.start()
        out = perfdhcp(net, count=30, server=w.address, batch=4)
        assert "REQUEST-ACK" in out, out
        written = lease_set(w.leases())
        assert len(written) >= 25
        w.close()
        r = Server("server1", reader, net, procs, pair_dir / f"{writer}-read", None)
        r.workdir.mkdir()
        r.write_config()
        shutil.copy(w.lease_file, r.lease_file)
        r.start()
        try:
            assert lease_set(r.leases()) == written
        finally:
            r.close()
