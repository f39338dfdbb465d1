"""Mixed DHCPv4 HA pairs: a real Kea 2.2 kea-dhcp4 and hakea-dhcp4 as partners, in both directions.

Namespaces: the client (perfdhcp, scripted relay) at 198.51.100.10, server1 at .1, server2 at .2,
on one bridge. Both servers run the same kind of Kea configuration (tests.e2e.kea.dhcp4_config):
lease_cmds and HA loaded, memfile leases, HA over Kea's dedicated HTTP listener with
multi-threading -- or, for the "agent" cases, Kea single-threaded behind kea-ctrl-agent.
docs/operator-guide-replace-kea.md follows the same steps; docs/kea-interop.md records what these
tests saw Kea do.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hakea.ha.query_filter import lb_hash
from tests.e2e import dhcp_client as dc
from tests.e2e.conftest import need
from tests.e2e.kea import (
    BOTH_WAYS,
    FLAVORS,
    RELAY,
    Pair,
    Server,
    Sniffer,
    client_story,
    discover_everywhere,
    lease_set,
    pair_maker,
    perfdhcp,
    same_leases,
    wait_states,
)
from tests.e2e.kea import synced_from as synced_from_pages
from tests.e2e.lab import Lab, Procs, lab

pytestmark = pytest.mark.e2e

HS = "hot-standby"
LB = "load-balancing"
PD = "partner-down"
PIM = "partner-in-maintenance"
IM = "in-maintenance"
PAGE = 10  # dhcp4_config's sync-page-limit: a sync takes several lease4-get-page
LB_CLIENTS = 10_000  # random clients whose DISCOVERs both load-balancing partners get


@pytest.fixture(scope="module")
def net() -> Iterator[Lab]:
    need("kea-dhcp4", "kea-ctrl-agent", "perfdhcp")
    with lab("ki") as the_lab:
        the_lab.add_host("cl", f"{RELAY}/24")
        the_lab.add_host("s1", "198.51.100.1/24")
        the_lab.add_host("s2", "198.51.100.2/24")
        yield the_lab


MakePair = Callable[..., Pair[Server]]


@pytest.fixture
def make_pair(net: Lab, procs: Procs, pair_dir: Path) -> Iterator[MakePair]:
    """make(mode, flavors, agent=False) -> a pair (dhcp4_config's sync-page-limit: PAGE)."""
    with pair_maker(Server, net, procs, pair_dir) as make:
        yield make


def load(pair: Pair[Server], server: Server | None, count: int, batch: int) -> None:
    """`count` DORA exchanges from perfdhcp to `server` (None: broadcast), new clients per batch."""
    out = perfdhcp(pair.net, count=count, server=server.address if server else None, batch=batch)
    assert "REQUEST-ACK" in out, out


def synced_from(sniffer: Sniffer, syncer: Server, source: Server) -> None:
    """kea.synced_from with this module's sync-page-limit; a hakea source has its service back."""
    synced_from_pages(sniffer, syncer, source, PAGE)
    if source.flavor == "hakea":
        state = source.http("status-get")["arguments"]["dhcp-state"]
        assert state == {"disabled-by": [], "enabled": True}, state


def check_story(pair: Pair[Server], story: dict[str, Any]) -> None:
    """The scripted clients' leases are the same on both servers: declined, released gone."""
    for s in pair.servers:
        by_ip = {le["ip-address"]: le for le in s.leases(over_http=True)}
        assert by_ip[story["bound"]]["state"] == 0, (s.name, by_ip.get(story["bound"]))
        assert by_ip[story["renewed"]]["state"] == 0
        assert by_ip[story["declined"]]["state"] == 1, (s.name, by_ip.get(story["declined"]))
        # Released: gone (its address may have gone to another client since).
        assert all(le["hw-address"] != story["released-mac"] for le in by_ip.values()), s.name


# ------------------------------------------------------------------------------------ scenarios



@pytest.mark.parametrize(("flavors", "agent"), FLAVORS)
def test_hot_standby_pair(make_pair: MakePair, flavors: tuple[str, str], agent: bool) -> None:
    pair = make_pair(HS, flavors, agent)
    s1, s2 = pair.servers
    pair.start()
    wait_states({s1: HS, s2: HS}, 20)

    # The primary answers; every lease, decline and release reaches the standby.
    load(pair, s1, 50, batch=1)
    story = client_story(pair.net, s1.address)
    first = same_leases(s1, s2, at_least=45)
    check_story(pair, story)

    # The primary dies: the standby takes over in partner-down and answers.
    s1.kill()
    wait_states({s2: PD}, 15)
    load(pair, s2, 20, batch=2)
    survivor = lease_set(s2.leases(over_http=True))
    assert first < survivor and len(survivor) >= len(first) + 15

    # The primary comes back with no leases: it syncs from the standby (paged), both hot-standby.
    synced_from(pair.restart_sniffed(s1, HS), s1, s2)
    assert same_leases(s1, s2, at_least=len(survivor)) == survivor

    # The standby goes away: the primary goes partner-down and serves; the standby comes back
    # empty and syncs from it.
    s2.kill()
    wait_states({s1: PD}, 15)
    load(pair, s1, 20, batch=3)
    grown = lease_set(s1.leases(over_http=True))
    assert survivor < grown
    synced_from(pair.restart_sniffed(s2, HS), s2, s1)
    assert same_leases(s1, s2, at_least=len(grown)) == grown
    check_story(pair, story)

    # And the pair serves on: the primary's new leases reach the restarted standby.
    load(pair, s1, 10, batch=4)
    assert len(same_leases(s1, s2, at_least=len(grown) + 1)) > len(grown)
    pair.check_alive()


@pytest.mark.parametrize("flavors", BOTH_WAYS, ids=["kea-primary", "hakea-primary"])
def test_maintenance_and_ha_sync(make_pair: MakePair, flavors: tuple[str, str]) -> None:
    """ha-maintenance-start/-cancel from either server, and ha-sync towards the partner."""
    pair = make_pair(HS, flavors)
    s1, s2 = pair.servers
    pair.start()
    wait_states({s1: HS, s2: HS}, 20)
    load(pair, s1, 20, batch=5)
    for boss, other in ((s1, s2), (s2, s1)):
        answer = boss.http("ha-maintenance-start", timeout=10)
        assert answer["result"] == 0 and "partner-in-maintenance" in answer["text"], answer
        wait_states({boss: PIM, other: IM}, 5)
        # The server in charge answers every client (the standby too: it serves server1's scope).
        load(pair, boss, 10, batch=6 if boss is s1 else 7)
        answer = boss.http("ha-maintenance-cancel", timeout=10)
        assert answer == {"result": 0, "text": "Server maintenance successfully canceled."}
        # Kea 2.2 goes straight back to hot-standby (no waiting/syncing) on both sides.
        assert boss.ha_state() == HS and other.ha_state() == HS
    leases = same_leases(s1, s2, at_least=35)
    for syncer, source in ((s1, s2), (s2, s1)):
        answer = syncer.http("ha-sync", {"server-name": source.name, "max-period": 5}, timeout=15)
        assert answer == {"result": 0, "text": "Lease database synchronization complete."}, answer
    wait_states({s1: HS, s2: HS}, 5)
    assert same_leases(s1, s2, at_least=len(leases)) == leases
    pair.check_alive()


def lb_owner(key: bytes) -> str:
    """Kea's load-balancing owner of a client's key (RFC 3074 hash, Kea's table)."""
    return "198.51.100.1" if lb_hash(key) % 2 == 0 else "198.51.100.2"


def in_server1_pool(address: str) -> bool:
    return int(address.split(".")[2]) < 128  # POOLS_LB: server1 10.1.0-127.x, server2 10.1.128-255.x


@pytest.mark.parametrize("flavors", BOTH_WAYS, ids=["kea-primary", "hakea-primary"])
def test_load_balancing_pair(make_pair: MakePair, flavors: tuple[str, str]) -> None:
    pair = make_pair(LB, flavors)
    s1, s2 = pair.servers
    pair.start()
    wait_states({s1: LB, s2: LB}, 20)

    # Every DISCOVER goes to both: exactly one answers, the owner by Kea's hash of the client
    # identifier (whole option 61) when there is one, else of the MAC -- for LB_CLIENTS random
    # clients, half with an identifier, so Kea's share and hakea's are exactly complementary.
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    clients = [dc.random_client(rng, n) for n in range(LB_CLIENTS)]
    t0 = time.monotonic()
    answered = discover_everywhere(pair.net, [s1.address, s2.address], clients)
    took = time.monotonic() - t0
    per_server = {s1.address: 0, s2.address: 0}
    wrong = []
    for (mac, client_id), who in zip(clients, answered, strict=True):
        if who == [lb_owner(client_id or mac)]:
            per_server[who[0]] += 1
        else:
            wrong.append((dc.mac_str(mac), client_id and client_id.hex(), who))
    print(f"{LB_CLIENTS} DISCOVERs in {took:.1f} s: offers {per_server} (seed {seed})")
    assert not wrong, (f"seed {seed}: {len(wrong)} client(s) not answered by exactly their owner "
                       f"(unanswered {sum(not w for *_, w in wrong)})", wrong[:10])
    assert min(per_server.values()) > LB_CLIENTS * 2 // 5, per_server
    for s in pair.servers:  # an OFFER writes no lease
        assert s.leases(over_http=True) == [], s.flavor

    # Broadcast DORA: each server leases from its own pool, and both hold every lease.
    load(pair, None, 60, batch=8)
    leases = pair.s1.leases(over_http=True)
    assert sum(in_server1_pool(le["ip-address"]) for le in leases) >= 15
    assert sum(not in_server1_pool(le["ip-address"]) for le in leases) >= 15
    before = same_leases(s1, s2, at_least=55)

    # server2 dies: server1 serves both scopes; server2 comes back empty and resyncs.
    s2.kill()
    wait_states({s1: PD}, 15)
    load(pair, None, 30, batch=9)
    grown = lease_set(s1.leases(over_http=True))
    assert len(grown) >= len(before) + 25
    synced_from(pair.restart_sniffed(s2, LB), s2, s1)
    assert same_leases(s1, s2, at_least=len(grown)) == grown
    pair.check_alive()


@pytest.mark.parametrize("replaced", ["server1", "server2"])
def test_replace_a_kea_server_by_hakea(make_pair: MakePair, replaced: str) -> None:
    """docs/operator-guide-replace-kea.md, step by step: a Kea 2.2 pair; the partner that stays
    takes over with ha-maintenance-start; kea-dhcp4 is stopped; hakea-dhcp4 starts with the very
    same configuration and lease files; the pair is back in hot-standby with every lease."""
    pair = make_pair(HS, ("kea", "kea"))
    s1, s2 = pair.servers
    pair.start()
    wait_states({s1: HS, s2: HS}, 20)
    load(pair, s1, 30, batch=11)
    before = same_leases(s1, s2, at_least=28)

    old, stays = (s1, s2) if replaced == "server1" else (s2, s1)
    # Step 3: the staying server takes all traffic; the old one is told it is in maintenance.
    answer = stays.http("ha-maintenance-start", timeout=10)
    assert answer["result"] == 0, answer
    wait_states({stays: PIM, old: IM}, 5)
    # Step 4: stop kea-dhcp4 (SIGTERM); the staying server goes partner-down and serves.
    old.kill(15)
    wait_states({stays: PD}, 10)
    load(pair, stays, 10, batch=12)
    # Step 5: hakea-dhcp4 with the unchanged configuration file and lease file.
    new = Server(old.name, "hakea", pair.net, old.procs, old.workdir, HS)
    pair.s1, pair.s2 = (new, s2) if replaced == "server1" else (s1, new)
    new.start()
    wait_states({pair.s1: HS, pair.s2: HS}, 30)
    after = same_leases(pair.s1, pair.s2, at_least=len(before) + 8)
    assert before < after
    # Step 6: clients are served by the primary, whichever program it is now.
    load(pair, pair.s1, 10, batch=13)
    assert len(same_leases(pair.s1, pair.s2, at_least=len(after) + 8)) > len(after)
    pair.check_alive()


def test_lease_files_are_exchangeable(net: Lab, procs: Procs, pair_dir: Path) -> None:
    """kea-dhcp4 starts from a lease file hakea wrote and hakea from one Kea wrote: same leases,
    declined ones included, released ones gone."""
    for writer, reader in (("hakea", "kea"), ("kea", "hakea")):
        w = Server("server1", writer, net, procs, pair_dir / writer, None)
        w.workdir.mkdir()
        w.write_config()
        w.start()
        out = perfdhcp(net, count=30, server=w.address, batch=10)
        assert "REQUEST-ACK" in out, out
        story = client_story(net, w.address)
        written = lease_set(w.leases())
        assert len(written) >= 28
        w.close()
        r = Server("server1", reader, net, procs, pair_dir / f"{writer}-read", None)
        r.workdir.mkdir()
        r.write_config()
        shutil.copy(w.lease_file, r.lease_file)
        r.start()
        try:
            read = r.leases()
            assert lease_set(read) == written, (writer, reader)
            by_ip = {le["ip-address"]: le for le in read}
            assert by_ip[story["declined"]]["state"] == 1 and story["released"] not in by_ip, by_ip
        finally:
            r.close()
