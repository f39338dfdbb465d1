"""Mixed DHCPv6 HA pairs: a real Kea 2.2 kea-dhcp6 and hakea-dhcp6 as partners, in both directions.

Namespaces (tests.e2e.kea6): the relay agent at 2001:db8:ff::10, server1 at 2001:db8:ff::1 /
198.51.100.1, server2 at ::2 / .2; DHCPv6 relayed to each server's global address, HA over IPv4
through Kea's dedicated listener with multi-threading -- or, once, Kea single-threaded behind
kea-ctrl-agent. test_replace_a_kea6_server_by_hakea follows docs/operator-guide-replace-kea6.md
with a kea-dhcp6 pair. docs/kea-interop.md ("DHCPv6") records what these tests saw Kea do.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.conftest import need
from tests.e2e.dhcp6_fixtures import HAKEA_DHCP6, lb_owner
from tests.e2e.kea import BOTH_WAYS, FLAVORS, Netns, Pair, Sniffer, pair_maker, same_leases, wait_states
from tests.e2e.kea import synced_from as synced_from_pages
from tests.e2e.kea6 import (
    Client6,
    Server6,
    pair_lab6,
    server_duid,
)
from tests.e2e.lab import VENV_BIN, Lab, Procs, sh

pytestmark = pytest.mark.e2e

HS = "hot-standby"
LB = "load-balancing"
HAKEA = str(VENV_BIN / "hakea")  # the operator CLI
PD = "partner-down"
PIM = "partner-in-maintenance"
IM = "in-maintenance"
PAGE = 4  # sync-page-limit: a sync of more than 4 leases takes several lease6-get-page

MakePair = Callable[..., Pair[Server6]]


@pytest.fixture(scope="module")
def net() -> Iterator[Lab]:
    need("kea-dhcp6", "kea-ctrl-agent")
    with pair_lab6("k6") as the_lab:
        yield the_lab


@pytest.fixture
def make_pair(net: Lab, procs: Procs, pair_dir: Path) -> Iterator[MakePair]:
    """make(mode, flavors, agent=False) -> a v6 pair with this module's sync-page-limit."""
    with pair_maker(Server6, net, procs, pair_dir) as make:
        yield lambda mode, flavors, agent=False: make(mode, flavors, agent, sync_page_limit=PAGE)


def synced_from(sniffer: Sniffer, syncer: Server6, source: Server6) -> list[str]:
    """kea.synced_from with this module's sync-page-limit."""
    return synced_from_pages(sniffer, syncer, source, PAGE)


def new_clients(base: int, n: int) -> list[Client6]:
    return [Client6(dc.duid_ll(base + i)) for i in range(n)]


# ------------------------------------------------------------------------------------ scenarios


@pytest.mark.parametrize(("flavors", "agent"), FLAVORS)
def test_hot_standby_failover_and_resync(make_pair: MakePair, cl: Netns, flavors: tuple[str, str],
                                         agent: bool) -> None:
    pair = make_pair(HS, flavors, agent)
    s1, s2 = pair.servers
    pair.start()
    wait_states({s1: HS, s2: HS}, 20)

    # The primary leases an address and a prefix to each client; the standby stays silent and
    # holds every lease (lease6-bulk-apply before each Reply).
    to_s1, to_s2 = s1.relay_from(cl), s2.relay_from(cl)
    try:
        clients = [to_s1.lease(c) for c in new_clients(0xB00, 6)]
        assert len({c.server_id for c in clients}) == 1
        assert to_s2.solicit(dc.duid_ll(0xBFF), dc.ia_na(1), dc.ia_pd(1), timeout=1.0) is None
        first = same_leases(s1, s2, at_least=12)

        # kill -9 the primary: the standby goes partner-down and answers a Rebind (no server-id,
        # RFC 8415 18.2.5) with the very address and prefix the primary gave.
        s1.kill()
        wait_states({s2: PD}, 15)
        for c in clients[:3]:
            reply = to_s2.rebind(c)
            assert c.keeps(reply), (c, reply)
        # ... and serves a new client.
        newcomer = to_s2.lease(Client6(dc.duid_ll(0xB80)))
        survivor = s2.lease_keys()
        assert len(survivor) == 14 and survivor != first

        # The primary comes back with an empty lease file: it syncs from the standby (paged),
        # and both return to hot-standby with the same leases.
        synced_from(pair.restart_sniffed(s1, HS), s1, s2)
        assert same_leases(s1, s2, at_least=14) == survivor

        # The restarted primary knows every client: a Renew to it gets the same lease.
        newcomer.server_id = clients[0].server_id  # the primary's DUID
        for c in [clients[0], clients[5], newcomer]:
            reply = to_s1.renew6(c)
            assert c.keeps(reply), (c, reply)
        same_leases(s1, s2, at_least=14)
    finally:
        to_s1.close()
        to_s2.close()
    pair.check_alive()


def cancel_maintenance(boss: Server6, other: Server6) -> None:
    """ha-maintenance-cancel to `boss`; both back in hot-standby. Kea 2.2 race (docs/kea-interop.md,
    DHCPv6): a heartbeat answer "in-maintenance" that was in flight when Kea canceled is processed
    after the cancel and puts Kea straight back into partner-in-maintenance while its partner is in
    hot-standby; a second ha-maintenance-cancel (the operator's remedy) settles it."""
    for attempt in range(2):
        answer = boss.http("ha-maintenance-cancel", timeout=10)
        assert answer == {"result": 0, "text": "Server maintenance successfully canceled."}, answer
        # The partner follows at once on the ha-maintenance-notify; let one heartbeat pass.
        wait_states({other: HS}, 3)
        time.sleep(1.2)
        states = (boss.ha_state(), other.ha_state())
        if states == (HS, HS):
            return
        assert boss.flavor == "kea" and states == (PIM, HS) and attempt == 0, states
        print(f"Kea went back to {PIM} after ha-maintenance-cancel (heartbeat race); canceling again")
    raise AssertionError("unreachable")


@pytest.mark.parametrize("flavors", BOTH_WAYS, ids=["kea-primary", "hakea-primary"])
def test_maintenance_and_ha_sync(make_pair: MakePair, cl: Netns, flavors: tuple[str, str]) -> None:
    """ha-maintenance-start/-cancel sent to either server, and ha-sync towards the partner."""
    pair = make_pair(HS, flavors)
    s1, s2 = pair.servers
    pair.start()
    wait_states({s1: HS, s2: HS}, 20)
    relays = {s: s.relay_from(cl) for s in pair.servers}
    try:
        relays[s1].lease(Client6(dc.duid_ll(0xC00)))
        for n, (boss, other) in enumerate(((s1, s2), (s2, s1))):
            answer = boss.http("ha-maintenance-start", timeout=10)
            assert answer["result"] == 0 and "partner-in-maintenance" in answer["text"], answer
            wait_states({boss: PIM, other: IM}, 5)
            # The server in charge answers every client (the standby too); the other one is silent.
            served = relays[boss].lease(Client6(dc.duid_ll(0xC10 + n)))
            assert relays[other].solicit(dc.duid_ll(0xCFF), timeout=0.4) is None
            cancel_maintenance(boss, other)
            # The lease the boss gave in maintenance reached the partner.
            assert any(le["ip-address"] == served.address for le in other.leases(over_http=True))
        leases = same_leases(s1, s2, at_least=6)
        for syncer, source in ((s1, s2), (s2, s1)):
            with Sniffer(pair.net, f"s{source.index}") as sniffer:
                answer = syncer.http("ha-sync", {"server-name": source.name, "max-period": 5}, timeout=15)
            assert answer == {"result": 0, "text": "Lease database synchronization complete."}, answer
            synced_from(sniffer, syncer, source)
        wait_states({s1: HS, s2: HS}, 5)
        assert same_leases(s1, s2, at_least=len(leases)) == leases
        bulk_apply_answers_agree(s1, s2)
        assert same_leases(s1, s2, at_least=len(leases)) == leases
    finally:
        for r in relays.values():
            r.close()
    pair.check_alive()


def bulk_apply_answers_agree(a: Server6, b: Server6) -> None:
    """lease6-bulk-apply edge answers (what a partner reads back) are Kea 2.2's on both: a lease
    to delete that is not there, nothing applied, one bad entry failing the whole request."""
    missing = {"ip-address": "2001:db8:1::1fe", "type": "IA_NA"}
    bad = {"ip-address": "2001:db8:2::5", "type": "IA_NA", "duid": "01:02:03", "iaid": 1,
           "subnet-id": 1, "valid-lft": 100, "preferred-lft": 50}
    good = {**bad, "ip-address": "2001:db8:1::1fd"}
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"deleted-leases": [missing]}, {"arguments": {"failed-deleted-leases": [
            {"error-message": "lease not found", "result": 3, **missing}]}, "result": 3,
            "text": "Bulk apply of 0 IPv6 leases completed."}),
        ({"leases": [], "deleted-leases": []},
         {"result": 3, "text": "Bulk apply of 0 IPv6 leases completed."}),
        ({"leases": [good, bad]}, {"result": 1, "text": "The address 2001:db8:2::5 does not belong to "
                                   "subnet 2001:db8:1::/64, subnet-id=1"}),
        ({}, {"result": 1, "text": "neither 'deleted-leases' nor 'leases' parameter specified"}),
    ]  # fmt: skip
    for args, want in cases:
        for s in (a, b):
            assert s.http("lease6-bulk-apply", args) == want, (s.flavor, args)


def test_lease6_files_are_exchangeable(net: Lab, procs: Procs, pair_dir: Path, cl: Netns) -> None:
    """kea-dhcp6 starts from a lease6 file hakea wrote and hakea from one Kea wrote: the same
    leases, and a known client's Solicit and Renew get its address and prefix back."""
    for writer, reader in (("hakea", "kea"), ("kea", "hakea")):
        w = Server6("server1", writer, net, procs, pair_dir / writer, None)
        w.workdir.mkdir()
        w.write_config()
        w.start()
        relay = w.relay_from(cl)
        try:
            clients = [relay.lease(c) for c in new_clients(0xD00, 8)]
            gone = clients.pop()
            released = relay.release(gone.duid, gone.server_id, *gone.ias())
            assert released is not None and released.status is not None and released.status[0] == 0
            assert relay.renew6(clients[0]) is not None  # a renewal row too
        finally:
            relay.close()
        written = w.lease_keys(over_http=False)
        assert len(written) == 14, written
        w.close()

        r = Server6("server1", reader, net, procs, pair_dir / f"{writer}-read", None)
        r.workdir.mkdir()
        r.write_config()
        shutil.copy(w.lease_file, r.lease_file)
        r.start()
        relay = r.relay_from(cl)
        try:
            assert r.lease_keys(over_http=False) == written, (writer, reader)
            for c in clients[:4]:
                reply = relay.renew6(c)
                assert c.keeps(reply), (writer, reader, c, reply)
            advertise = relay.solicit(clients[5].duid, dc.ia_na(1), dc.ia_pd(1))
            assert advertise is not None and advertise.msg_type == dc.ADVERTISE
            assert advertise.addresses() == [clients[5].address], advertise
            assert advertise.prefixes() == [f"{clients[5].prefix}/56"], advertise
        finally:
            relay.close()
            r.close()


# ------------------------------------------------------------------------------------ replacing Kea


def binding(lease: dict[str, Any]) -> tuple[Any, ...]:
    """What a client holds: its address or prefix, for its DUID and IAID."""
    return lease["type"], lease["ip-address"], lease.get("prefix-len", 128), lease["duid"], lease["iaid"]


REPLACED = [
    pytest.param("server1", HS, id="primary-hot-standby"),
    pytest.param("server2", LB, id="secondary-load-balancing"),
]


@pytest.mark.parametrize(("replaced", "mode"), REPLACED)
def test_replace_a_kea6_server_by_hakea(make_pair: MakePair, cl: Netns, replaced: str, mode: str) -> None:
    """docs/operator-guide-replace-kea6.md step by step: a kea-dhcp6 pair serves clients; the server
    that stays takes over with ha-maintenance-start; the other kea-dhcp6 is stopped; hakea-dhcp6
    starts with the very same configuration file and lease file; it syncs, the pair is back in its
    normal state, no lease is lost and every client keeps its address and prefix."""
    pair = make_pair(mode, ("kea", "kea"))
    s1, s2 = pair.servers
    normal = HS if mode == HS else LB
    old, stays = (s1, s2) if replaced == "server1" else (s2, s1)

    def server_of(c: Client6) -> str:
        """Who answers the client: the primary in hot-standby, the hash owner in load-balancing."""
        return "server1" if mode == HS else lb_owner(c.duid)

    pair.start()
    wait_states({s1: normal, s2: normal}, 20)
    relays = {s.name: s.relay_from(cl) for s in pair.servers}
    try:
        clients = [relays[server_of(c)].lease(c) for c in new_clients(0xE00, 8)]
        assert any(server_of(c) == old.name for c in clients)

        # 1. The pair is healthy; both hold the same leases.
        for s in pair.servers:
            assert s.heartbeat()["state"] == normal
        before = same_leases(s1, s2, at_least=16)
        bound_before = {binding(le) for le in s1.leases(over_http=True)}

        # 2. hakea-dhcp6 takes the configuration file as it is.
        config = old.config_file.read_bytes()
        checked = sh(*pair.net.exec_argv(f"s{old.index}", [HAKEA_DHCP6, "-t", str(old.config_file)]),
                     check=False)  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr

        # 3. ha-maintenance-start on the server that stays: it serves everyone.
        answer = stays.http("ha-maintenance-start", timeout=10)
        assert answer["result"] == 0 and "partner-in-maintenance" in answer["text"], answer
        wait_states({stays: PIM, old: IM}, 5)

        # 4. Stop kea-dhcp6 (SIGTERM): the server that stays goes partner-down and serves on: the
        # old server's clients rebind to it and keep their leases; a new client is served.
        old.kill(signal.SIGTERM)
        wait_states({stays: PD}, 10)
        moved = [c for c in clients if server_of(c) == old.name][:2]
        assert relays[stays.name].renew6(moved[0], timeout=0.5) is None  # names the stopped server
        for c in moved:
            reply = relays[stays.name].rebind(c)
            assert c.keeps(reply), (c, reply)
            c.server_id = server_duid(stays.name)
        newcomers = [relays[stays.name].lease(c) for c in new_clients(0xE80, 2)]

        # 5. hakea-dhcp6 with the unchanged files: it syncs from the partner-down server.
        new = Server6(old.name, "hakea", pair.net, old.procs, old.workdir, mode)
        if old is s1:
            pair.s1 = new
        else:
            pair.s2 = new
        synced_from(pair.restart_sniffed(new, normal, empty=False), new, stays)
        assert new.config_file.read_bytes() == config

        # 6. Verify: the same leases on both, none lost.
        after = same_leases(pair.s1, pair.s2, at_least=len(before) + 4)
        bound_after = {binding(le) for le in new.leases(over_http=True)}
        assert bound_before <= bound_after, bound_before - bound_after
        # Kea 2.2 keeps counting: the transactions it answered in partner-down (2 Rebinds and 2
        # new clients here) stay in its unsent-update-count after the partner has synced.
        assert stays.heartbeat()["unsent-update-count"] == len(moved) + len(newcomers)
        assert new.heartbeat()["unsent-update-count"] == 0
        for s in pair.servers:
            assert s.heartbeat()["state"] == normal
        shown = sh(*pair.net.exec_argv(f"s{new.index}", [HAKEA, "-6", "--url", new.url, "ha", "status"]),
                   check=False)  # fmt: skip
        assert shown.returncode == 0, shown.stdout + shown.stderr
        rows = {line.split()[1] if line.startswith(mode) else line.split()[0]: line
                for line in shown.stdout.splitlines() if "local" in line or "remote" in line}
        assert set(rows) == {"local", "remote"}, shown.stdout
        assert all(f" {normal} " in row for row in rows.values()), shown.stdout
        assert " in touch" in rows["remote"] and "not in touch" not in rows["remote"], shown.stdout

        # Every client keeps its address and prefix: a Renew to the server it knows, a Rebind
        # when that server does not serve it now (RFC 8415 18.2.4-5).
        for c in clients + newcomers:
            serving = server_of(c)
            if c.server_id == server_duid(serving):
                reply = relays[serving].renew6(c)
            else:
                reply = relays[serving].rebind(c)
            assert c.keeps(reply), (c, serving, reply)
            c.server_id = server_duid(serving)
        # ... and the new server's leases reach Kea again.
        fresh = next(c for c in new_clients(0xEC0, 16) if server_of(c) == new.name)
        relays[new.name].lease(fresh)
        assert len(same_leases(pair.s1, pair.s2, at_least=len(after) + 2)) == len(after) + 2
    finally:
        for r in relays.values():
            r.close()
    pair.check_alive()
