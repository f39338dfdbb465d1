"""Mixed DHCPv6 load-balancing pairs: kea-dhcp6 2.2 and hakea-dhcp6 as partners, both directions.

Namespaces (tests.e2e.kea6): the relay agent at 2001:db8:ff::10, server1 (primary) at
2001:db8:ff::1 / 198.51.100.1, server2 (secondary) at ::2 / .2; HA over IPv4 through Kea's dedicated
listener, multi-threaded. Each server has its own address pool and pd-pool (HA_server1 /
HA_server2 classes, kea6.POOLS6_LB). Both servers pause once in waiting ("state-machine"), so every
start -- the first and each restart after a kill -- needs the operator's ha-continue.

One pair per direction (module fixture, parametrized), shared by the tests below in order:
300 random DUIDs sent to both servers are answered by exactly the owner the RFC 3074 hash names (as
test_ha6_load_balancing.py checks on loopback); ha-scopes / ha-continue / ha-sync sent to either
side are answered as Kea answers; then each server in turn is killed (-9, by PID): the survivor goes
partner-down and answers a Rebind of the dead server's clients with their address and prefix, the
dead one restarts with an empty lease file, syncs page by page and both hold the same leases.
docs/kea-interop.md ("DHCPv6") records what these tests saw Kea do.
"""

from __future__ import annotations

import ipaddress
import itertools
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hakea.ha.query_filter import lb_hash
from tests.e2e import dhcp6_client as dc
from tests.e2e import kea6
from tests.e2e.conftest import need
from tests.e2e.kea import Netns, Sniffer, wait_states
from tests.e2e.kea6 import (
    DELEGATED_LEN,
    LINK,
    PD_POOLS6_LB,
    POOLS6_LB,
    RELAY6,
    Client6,
    Server6,
    lease6_set,
    relay_to,
    same_lease,
    same_leases,
    server_duid,
    wait_lab_v6,
)
from tests.e2e.lab import Lab, Procs, lab, wait_until
from tests.e2e.test_ha6_load_balancing import random_duid

pytestmark = pytest.mark.e2e

LB = "load-balancing"
PD = "partner-down"
WAITING = "waiting"
PAGE = 50  # sync-page-limit: 600 leases take a dozen pages
CLIENTS = 300
PAUSE_IN_WAITING = {"state-machine": {"states": [{"state": "waiting", "pause": "once"}]}}
CONTINUES = {"result": 0, "text": "HA state machine continues."}
NOT_PAUSED = {"result": 0, "text": "HA state machine is not paused."}
SCOPES_SET = {"result": 0, "text": "New HA scopes configured."}
SYNCED = {"result": 0, "text": "Lease database synchronization complete."}
DIRECTIONS = {"kea-primary": ("kea", "hakea"), "hakea-primary": ("hakea", "kea")}


@pytest.fixture(scope="module")
def net() -> Iterator[Lab]:
    need("kea-dhcp6")
    with lab("k6lb") as the_lab:
        the_lab.add_host("cl", "198.51.100.10/24", f"{RELAY6}/64")
        the_lab.add_host("s1", "198.51.100.1/24", "2001:db8:ff::1/64")
        the_lab.add_host("s2", "198.51.100.2/24", "2001:db8:ff::2/64")
        wait_lab_v6(the_lab, ("cl", "s1", "s2"))
        yield the_lab


@pytest.fixture(scope="module")
def cl(net: Lab) -> Iterator[Netns]:
    ns = Netns(net.ns("cl"))
    try:
        yield ns
    finally:
        ns.close()


# ------------------------------------------------------------------------------------ clients


@dataclass
class LBClient(Client6):
    @property
    def owner(self) -> str:
        """Kea's load-balancing owner: hash of the whole client-identifier option data, peer index 0
        (the primary) for an even hash."""
        return "server1" if lb_hash(self.duid) % 2 == 0 else "server2"


Answers = dict[int, list[tuple[str, dc.Reply6]]]


def _exchange_all(targets: dict[str, str], messages: list[bytes], window: int, tries: int,
                  quiet: float, timeout: float) -> Answers:
    """In the client namespace: each client message, relayed (Relay-forw from RELAY6 with a Relay
    Source Port option, link-address LINK), to every server of `targets` (name -> address) at once,
    as a multicast reaches both; at most `window` clients waiting for an answer, a client unanswered
    for 1 s sent again (`tries` in all). Ends `quiet` s after the last answer once nobody waits, so
    a second server answering late is seen. Returns each xid's answers as (server name, reply)."""
    by_address = {address: name for name, address in targets.items()}
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    sock.bind((RELAY6, 0))
    port = int(sock.getsockname()[1])
    head = (struct.pack("!BB", dc.RELAY_FORW, 0) + dc.addr(LINK) + dc.addr("fe80::1")
            + dc.opt(dc.OPT_RELAY_SOURCE_PORT, struct.pack("!H", port)) + dc.opt(dc.OPT_INTERFACE_ID, b"lb"))
    queue = deque(messages)
    waiting: dict[int, tuple[float, int, bytes]] = {}  # xid -> (sent at, times sent, datagram)
    answers: Answers = {}
    deadline = time.monotonic() + timeout
    last = time.monotonic()

    def send(data: bytes) -> None:
        for address in targets.values():
            sock.sendto(data, (address, 547))

    try:
        while (now := time.monotonic()) < deadline:
            while queue and len(waiting) < window:
                msg = queue.popleft()
                data = head + dc.opt(dc.OPT_RELAY_MSG, msg)
                send(data)
                waiting[int.from_bytes(msg[1:4], "big")] = (now, 1, data)
            for xid, (at, sent, data) in list(waiting.items()):
                if now - at > 1.0:
                    if sent < tries:
                        send(data)
                        waiting[xid] = (now, sent + 1, data)
                    else:
                        del waiting[xid]  # unanswered
            if not queue and not waiting and now - last > quiet:
                break
            sock.settimeout(0.02)
            try:
                data, sender = sock.recvfrom(65536)
            except TimeoutError:
                continue
            if len(data) < 34 or data[0] != dc.RELAY_REPL:
                continue
            inner = next((p for c, p in dc.parse_options(data[34:]) if c == dc.OPT_RELAY_MSG), None)
            if inner is None or len(inner) < 4:
                continue
            reply = dc.parse_client(inner)
            answers.setdefault(reply.xid, []).append((by_address.get(sender[0], sender[0]), reply))
            waiting.pop(reply.xid, None)
            last = time.monotonic()
        return answers
    finally:
        sock.close()


ORO = dc.opt(dc.OPT_ORO, struct.pack("!H", 23))
ELAPSED = dc.opt(dc.OPT_ELAPSED, b"\x00\x00")


def solicit(c: Client6, xid: int) -> bytes:
    return dc.message(dc.SOLICIT, xid, dc.opt(dc.OPT_CLIENTID, c.duid), ELAPSED, dc.ia_na(1), dc.ia_pd(1),
                      ORO)  # fmt: skip


def request(c: Client6, xid: int) -> bytes:
    return dc.message(dc.REQUEST, xid, dc.opt(dc.OPT_CLIENTID, c.duid), dc.opt(dc.OPT_SERVERID, c.server_id),
                      ELAPSED, *c.ias(), ORO)  # fmt: skip


def in_net(text: str, net: str) -> bool:
    return ipaddress.IPv6Network(text, strict=False).subnet_of(ipaddress.IPv6Network(net))


# ------------------------------------------------------------------------------------ the pair


class LBPair:
    def __init__(self, net: Lab, cl: Netns, procs: Procs, workdir: Path, flavors: tuple[str, str]) -> None:
        self.net, self.cl = net, cl
        self.s1 = Server6("server1", flavors[0], net, procs, workdir, LB)
        self.s2 = Server6("server2", flavors[1], net, procs, workdir, LB)
        for s in self.servers:
            s.write_config(sync_page_limit=PAGE, ha_extra=PAUSE_IN_WAITING)
        self.clients: list[LBClient] = []  # leased by test_each_duid_answered_by_its_hash_owner
        self.first_continue: dict[str, list[dict[str, Any]]] = {}

    @property
    def servers(self) -> tuple[Server6, Server6]:
        return self.s1, self.s2

    def by_name(self, name: str) -> Server6:
        return self.s1 if name == "server1" else self.s2

    def partner(self, s: Server6) -> Server6:
        return self.s2 if s is self.s1 else self.s1

    def by_flavor(self, flavor: str) -> Server6:
        return next(s for s in self.servers if s.flavor == flavor)

    def exchange(self, messages: list[bytes], *, window: int = 32, tries: int = 3, quiet: float = 0.4,
                 timeout: float = 20.0) -> Answers:  # fmt: skip
        targets = {s.name: s.address6 for s in self.servers}
        return self.cl.run(_exchange_all, targets, messages, window, tries, quiet, timeout,
                           timeout=timeout + 5)  # fmt: skip

    def who_answers(self, clients: list[LBClient]) -> dict[str, list[str]]:
        """Which servers answer each client's Solicit (sent to both once), by client owner."""
        xids = {dc.new_xid(): c for c in clients}
        answers = self.exchange([solicit(c, x) for x, c in xids.items()], tries=1, quiet=0.5, timeout=3)
        return {c.owner: sorted(name for name, _ in answers.get(x, [])) for x, c in xids.items()}

    def resume(self, s: Server6) -> list[dict[str, Any]]:
        """The operator's ha-continue to `s`, which pauses once in waiting: repeated (while `s` is
        still waiting) until it answers that the state machine continues, in case the pause is not
        reached yet; then once more. Returns the last two answers."""
        answers: list[dict[str, Any]] = []

        def continued() -> bool:
            state = s.ha_state()
            if state is None:  # hakea's control socket may answer before its HA listener
                return False
            assert state == WAITING, state
            answers.append(s.http("ha-continue"))
            return answers[-1] == CONTINUES

        wait_until(continued, 10, interval=0.1, what=f"{s.name} ({s.flavor}) paused in waiting")
        answers.append(s.http("ha-continue"))
        return answers[-2:]

    def check_alive(self) -> None:
        for s in self.servers:
            assert s.running, f"{s.name} ({s.flavor}) died:\n{s.log()[-3000:]}"


_dirs = itertools.count(1)


@pytest.fixture(scope="module", params=list(DIRECTIONS))
def pair(request: pytest.FixtureRequest, net: Lab, cl: Netns, procs: Procs, workdir: Path
         ) -> Iterator[LBPair]:  # fmt: skip
    d = workdir / f"lb{next(_dirs)}"  # short: UNIX socket paths fit in 108 bytes
    d.mkdir()
    the_pair = LBPair(net, cl, procs, d, DIRECTIONS[request.param])
    try:
        for s in the_pair.servers:
            s.start()
        # Both pause in waiting: several heartbeats later nothing has moved (the primary would
        # have gone syncing at the first one).
        wait_states({the_pair.s1: WAITING, the_pair.s2: WAITING}, 10)
        time.sleep(1.3)
        wait_states({the_pair.s1: WAITING, the_pair.s2: WAITING}, 0.5)
        for s in the_pair.servers:
            the_pair.first_continue[s.flavor] = the_pair.resume(s)
        wait_states({the_pair.s1: LB, the_pair.s2: LB}, 20)
        yield the_pair
    finally:
        for s in the_pair.servers:
            s.close()


# ------------------------------------------------------------------------------------ tests


def test_paused_start_continues_to_load_balancing(pair: LBPair) -> None:
    """The first start: both paused in waiting until ha-continue; Kea and hakea answer alike."""
    for flavor in ("kea", "hakea"):
        assert pair.first_continue[flavor] == [CONTINUES, NOT_PAUSED], (flavor, pair.first_continue)
    for s in pair.servers:
        heartbeat = s.heartbeat()
        assert heartbeat["state"] == LB and heartbeat["scopes"] == [s.name], (s.flavor, heartbeat)
        assert heartbeat["unsent-update-count"] == 0


def test_each_duid_answered_by_its_hash_owner(pair: LBPair) -> None:
    """CLIENTS random DUIDs (LLT, EN, LL, UUID): each Solicit and Request, sent to both servers,
    is answered by the owner alone, from its own pool and pd-pool; both end with every lease."""
    clients = [LBClient(random_duid(n)) for n in range(CLIENTS)]
    owners = [c.owner for c in clients]
    assert min(owners.count("server1"), owners.count("server2")) > CLIENTS // 4, owners
    xids = {dc.new_xid(): c for c in clients}
    assert len(xids) == CLIENTS

    advertised = pair.exchange([solicit(c, x) for x, c in xids.items()])
    assert len(advertised) == CLIENTS, f"{CLIENTS - len(advertised)} client(s) got no Advertise"
    server_ids = {name: server_duid(name) for name in ("server1", "server2")}
    for xid, answers in advertised.items():
        c = xids[xid]
        assert {name for name, _ in answers} == {c.owner}, (c.duid.hex(":"), c.owner, answers)
        adv = answers[0][1]
        assert adv.msg_type == dc.ADVERTISE and adv.get(dc.OPT_CLIENTID) == c.duid, adv
        assert adv.server_id == server_ids[c.owner], adv
        (c.address,), (prefix,) = adv.addresses(), adv.prefixes()
        c.prefix, c.server_id = prefix.split("/")[0], server_ids[c.owner]
        assert in_net(c.address, POOLS6_LB[c.owner]), (c.owner, c.address)
        assert in_net(prefix, PD_POOLS6_LB[c.owner]), (c.owner, prefix)
        assert prefix.endswith(f"/{DELEGATED_LEN}"), prefix

    replied = pair.exchange([request(c, x) for x, c in xids.items()])
    assert len(replied) == CLIENTS, f"{CLIENTS - len(replied)} client(s) got no Reply"
    for xid, answers in replied.items():
        c = xids[xid]
        assert {name for name, _ in answers} == {c.owner}, (c.duid.hex(":"), answers)
        assert same_lease(answers[0][1], c), (c, answers[0][1])

    # Each told the other before its Reply: both hold all 2 x CLIENTS leases, field for field.
    leases = same_leases(pair.s1, pair.s2, at_least=2 * CLIENTS)
    assert len(leases) == 2 * CLIENTS
    by_duid = {c.duid.hex(":"): c for c in clients}
    for le in pair.s1.leases(over_http=True):
        c = by_duid[le["duid"]]
        assert le["ip-address"] == (c.address if le["type"] == "IA_NA" else c.prefix), (le, c)
    pair.clients = clients
    pair.check_alive()


def sample(pair: LBPair) -> list[LBClient]:
    """One leased client of each server."""
    assert pair.clients, "needs test_each_duid_answered_by_its_hash_owner"
    return [next(c for c in pair.clients if c.owner == name) for name in ("server1", "server2")]


def both_answer(pair: LBPair, command: str, arguments: Callable[[Server6], Any] | Any = None
                ) -> dict[str, Any]:
    """`command` sent by the operator to each server; both must give the same answer, returned."""
    answers = {s.flavor: s.http(command, arguments(s) if callable(arguments) else arguments, timeout=15)
               for s in pair.servers}
    assert answers["kea"] == answers["hakea"], (command, answers)
    return answers["kea"]


SCOPES_REFUSED = [
    ({}, "'scopes' is mandatory for the 'ha-scopes' command"),
    ({"scopes": "server1"}, "'scopes' must be a list in the 'ha-scopes' command"),
    ({"scopes": [1]}, "scope name must be a string in the 'scopes' argument"),
    ({"scopes": ["server9"]}, "invalid server name specified 'server9' while enabling/disabling HA scopes"),
    ({"scopes": ["server1", "server9"]},
     "invalid server name specified 'server9' while enabling/disabling HA scopes"),
]  # fmt: skip
SYNC_REFUSED = [
    ({}, "'server-name' is mandatory for the 'ha-sync' command"),
    *(({"server-name": "server1", "max-period": p},
       "'max-period' must be a positive integer in the 'ha-sync' command") for p in (0, -1, "5", 5.5, True)),
]  # fmt: skip


def test_operator_commands_answered_as_kea(pair: LBPair) -> None:
    """ha-continue, ha-scopes and ha-sync sent to either side of the running pair: Kea's answer
    from both, and the same effect (who answers which client, which leases each holds)."""
    mine1, mine2 = sample(pair)
    s1, s2 = pair.servers
    assert both_answer(pair, "ha-continue") == NOT_PAUSED
    assert both_answer(pair, "ha-continue", {"ignored": 1}) == NOT_PAUSED  # Kea ignores arguments

    for args, text in SCOPES_REFUSED:
        assert both_answer(pair, "ha-scopes", args) == {"result": 1, "text": text}
    for s in pair.servers:  # a refused list changes nothing
        assert s.heartbeat()["scopes"] == [s.name]
    assert pair.who_answers([mine1, mine2]) == {"server1": ["server1"], "server2": ["server2"]}

    # No scope: nobody answers. Both scopes on one server: it answers every client.
    assert both_answer(pair, "ha-scopes", {"scopes": []}) == SCOPES_SET
    assert [s.heartbeat()["scopes"] for s in pair.servers] == [[], []]
    assert pair.who_answers([mine1, mine2]) == {"server1": [], "server2": []}
    for everything, nothing in ((s1, s2), (s2, s1)):
        assert everything.http("ha-scopes", {"scopes": ["server1", "server2"]}) == SCOPES_SET
        assert nothing.http("ha-scopes", {"scopes": []}) == SCOPES_SET
        assert everything.heartbeat()["scopes"] == ["server1", "server2"]
        who = [everything.name]
        assert pair.who_answers([mine1, mine2]) == {"server1": who, "server2": who}, everything.flavor
    assert both_answer(pair, "ha-scopes", lambda s: {"scopes": [s.name]}) == SCOPES_SET
    assert pair.who_answers([mine1, mine2]) == {"server1": ["server1"], "server2": ["server2"]}
    wait_states({s1: LB, s2: LB}, 1)  # ha-scopes changes no state

    # ha-sync: refused arguments alike; a sync with the partner from either side, page by page.
    for args, text in SYNC_REFUSED:
        assert both_answer(pair, "ha-sync", args) == {"result": 1, "text": text}
    leases = same_leases(s1, s2, at_least=2 * CLIENTS)
    for syncer in pair.servers:
        source = pair.partner(syncer)
        with Sniffer(pair.net, f"s{source.index}") as sniffer:
            answer = syncer.http("ha-sync", {"server-name": source.name, "max-period": 5}, timeout=15)
        assert answer == SYNCED, (syncer.flavor, answer)
        pages = kea6.synced_from(sniffer, syncer, source, PAGE).count("lease6-get-page")
        assert pages >= 2 * CLIENTS // PAGE, pages
    wait_states({s1: LB, s2: LB}, 5)
    assert same_leases(s1, s2, at_least=len(leases)) == leases
    # Kea 2.2's texts for arguments hakea answers otherwise (test_argument_errors_answered_as_kea)
    kea = pair.by_flavor("kea")
    for command, args, text in ARGUMENT_ERRORS:
        assert kea.http(command, args) == {"result": 1, "text": text}, (command, args)
    pair.check_alive()


ARGUMENT_ERRORS = [
    ("ha-scopes", None, "arguments not found in the 'ha-scopes' command"),
    ("ha-sync", None, "arguments not found in the 'ha-sync' command"),
    ("ha-sync", {"server-name": 5}, "'server-name' must be a string in the 'ha-sync' command"),
]


def test_argument_errors_answered_as_kea(pair: LBPair) -> None:
    """ha-scopes / ha-sync without arguments, ha-sync with a non-string server-name: hakea must
    give Kea 2.2's texts (checked against Kea in test_operator_commands_answered_as_kea)."""
    hakea = pair.by_flavor("hakea")
    assert [hakea.http(command, args) for command, args, _ in ARGUMENT_ERRORS] == [
        {"result": 1, "text": text} for _, _, text in ARGUMENT_ERRORS]  # fmt: skip


HEARTBEAT = {"result": 0, "text": "HA peer status returned."}  # arguments not compared
NOT_A_PEER = {"result": 1, "text": "server 'server9' matches no configured 'server-name'"}
NOT_A_MAP = {"result": 1, "text": "invalid command: 'arguments' must be a map"}


def test_known_differences_from_kea(pair: LBPair) -> None:
    """Where hakea answers otherwise on purpose (docs/kea-interop.md, DHCPv6, operator commands):
    Kea 2.2's answer pinned, then hakea's."""
    kea, hakea = pair.by_flavor("kea"), pair.by_flavor("hakea")
    rows: list[tuple[str, Callable[[Server6], Any], dict[str, Any], dict[str, Any]]] = [
        # Kea 2.2 syncs with itself (dhcp-disable, lease6-get-page, ha-sync-complete-notify to its
        # own URL); hakea refuses, as later Kea versions do.
        ("ha-sync", lambda s: {"server-name": s.name, "max-period": 5}, SYNCED,
         {"result": 1, "text": f"'{hakea.name}' is this server: nothing to synchronize with"}),
        # "server-name" (a relationship, Kea >= 2.5.5) is ignored by Kea 2.2, checked by hakea.
        ("ha-heartbeat", lambda s: {"server-name": "server9"}, HEARTBEAT, NOT_A_PEER),
        ("ha-scopes", lambda s: {"scopes": [s.name], "server-name": "server9"}, SCOPES_SET, NOT_A_PEER),
        ("ha-continue", lambda s: {"server-name": "server9"}, NOT_PAUSED, NOT_A_PEER),
        # arguments that are not a map: hakea refuses them for every command
        ("ha-continue", lambda s: [1], NOT_PAUSED, NOT_A_MAP),
        ("ha-scopes", lambda s: [1],
         {"result": 1, "text": "arguments in the 'ha-scopes' command are not a map"}, NOT_A_MAP),
        # the manual's ha-scopes example names scope classes: Kea 2.2 refuses them, hakea takes
        # both forms on purpose (as test_ha4_hot_standby.py::test_ha_scopes says for v4)
        ("ha-scopes", lambda s: {"scopes": ["HA_server1"]},
         {"result": 1,
          "text": "invalid server name specified 'HA_server1' while enabling/disabling HA scopes"},
         SCOPES_SET),
    ]  # fmt: skip
    try:
        for command, args, kea_says, hakea_says in rows:
            for s, want in ((kea, kea_says), (hakea, hakea_says)):
                answer = s.http(command, args(s), timeout=15)
                if want is HEARTBEAT:
                    answer = {k: v for k, v in answer.items() if k != "arguments"}
                assert answer == want, (command, s.flavor, answer)
    finally:
        both_answer(pair, "ha-scopes", lambda s: {"scopes": [s.name]})
    for s in pair.servers:
        assert s.heartbeat()["scopes"] == [s.name]
    wait_states({pair.s1: LB, pair.s2: LB}, 5)
    same_leases(pair.s1, pair.s2, at_least=2 * CLIENTS)


def new_client_of(owner: str, start: int) -> LBClient:
    """A new client (DUID-LL) whose hash owner is `owner`."""
    return next(c for n in itertools.count(start) if (c := LBClient(dc.duid_ll(n))).owner == owner)


@pytest.mark.parametrize("victim", ["server1", "server2"])
def test_failover_and_resync(pair: LBPair, victim: str) -> None:
    dead = pair.by_name(victim)
    survivor = pair.partner(dead)
    wait_states({pair.s1: LB, pair.s2: LB}, 10)
    assert pair.clients, "needs test_each_duid_answered_by_its_hash_owner"
    theirs = [c for c in pair.clients if c.owner == dead.name][:6]
    mine = [c for c in pair.clients if c.owner == survivor.name][:2]
    unsent = survivor.heartbeat()["unsent-update-count"]

    # kill -9: the survivor goes partner-down (max-unacked-clients 0: as soon as the partner has
    # been silent for max-response-delay) and serves both scopes.
    dead.kill()
    took = wait_states({survivor: PD}, 15)
    print(f"{survivor.flavor} partner-down {took:.1f} s after {dead.flavor} was killed")
    to_survivor = relay_to(pair.cl, survivor)
    try:
        # A Renew naming the dead server is not for the survivor (RFC 8415 section 18.4) ...
        assert to_survivor.renew6(theirs[0], timeout=0.5) is None
        # ... the Rebind that follows is answered with the very address and prefix.
        for c in theirs[:4]:
            reply = to_survivor.rebind(c)
            assert same_lease(reply, c), (survivor.flavor, c, reply)
            assert reply is not None and reply.server_id == server_duid(survivor.name)
            c.server_id = reply.server_id
        for c in mine:
            assert same_lease(to_survivor.renew6(c), c), (survivor.flavor, c)
        # A new client of the dead server's scope gets a lease from the dead server's pools.
        newcomer = new_client_of(dead.name, 0xE000 + 0x100 * dead.index)
        to_survivor.lease(newcomer)
        assert in_net(newcomer.address, POOLS6_LB[dead.name]), newcomer
        assert in_net(f"{newcomer.prefix}/{DELEGATED_LEN}", PD_POOLS6_LB[dead.name]), newcomer
    finally:
        to_survivor.close()
    held = lease6_set(survivor.leases(over_http=True))
    assert len(held) == 2 * len(pair.clients) + 2, len(held)
    # one unsent update per transaction that changed leases: 4 Rebinds, 2 Renews, 1 Request
    unsent += 7
    assert survivor.heartbeat()["unsent-update-count"] == unsent

    # Back with an empty lease file, paused in waiting until the operator's ha-continue; then it
    # syncs from the survivor page by page and both return to load-balancing.
    with Sniffer(pair.net, f"s{survivor.index}") as sniffer:
        dead.start(empty=True)
        assert pair.resume(dead) == [CONTINUES, NOT_PAUSED]
        took = wait_states({pair.s1: LB, pair.s2: LB}, 30)
    print(f"{dead.flavor} synced {len(held)} leases, both load-balancing {took:.1f} s after ha-continue")
    kea6.synced_from(sniffer, dead, survivor, PAGE)
    assert same_leases(pair.s1, pair.s2, at_least=len(held)) == held
    assert survivor.heartbeat()["unsent-update-count"] == unsent  # not reset (Kea 2.2 and hakea)
    assert dead.heartbeat()["unsent-update-count"] == 0

    # The restarted server knows its clients: a Renew naming it (a client that never rebound) and
    # a Rebind get the same lease; the survivor's clients are still its own.
    to_dead = relay_to(pair.cl, dead)
    try:
        for c in theirs[4:]:
            assert same_lease(to_dead.renew6(c), c), (dead.flavor, c)
        for c in [*theirs[:2], newcomer]:
            reply = to_dead.rebind(c)
            assert same_lease(reply, c), (dead.flavor, c, reply)
            c.server_id = server_duid(dead.name)
    finally:
        to_dead.close()
    assert pair.who_answers([theirs[0], mine[0]]) == {dead.name: [dead.name], survivor.name: [survivor.name]}
    same_leases(pair.s1, pair.s2, at_least=len(held))
    pair.clients.append(newcomer)
    pair.check_alive()
