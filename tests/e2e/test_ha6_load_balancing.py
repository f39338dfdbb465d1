"""A DHCPv6 load-balancing HA pair on loopback: two real hakea-dhcp6 processes (server1 primary,
server2 secondary), each on its own UDP port on ::1, peer URLs on 127.0.0.7x -- and the same with
Debian's kea-dhcp6 2.2 as either partner (when installed), so hakea and Kea must agree on the owner
of every DUID. All run one Kea configuration (HA over Kea's dedicated listener, multi-threaded, as
Kea 2.2 requires for it).

The test is a relay agent that forwards every client's Solicit and Request to both servers (as a
multicast reaches both). Exactly one answers: the one the RFC 3074 hash of the client's DUID names
(hakea.ha.query_filter.lb_hash, index 0 = the primary), from the address pool and the pd-pool of
its own HA scope class. Each server tells the other (lease6-bulk-apply before the Reply): both end
with the same leases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import KeaServer6, LoopbackHA6, Server6, lb_owner, lb_scope_of, need_kea6
from tests.e2e.ha_fixtures import same_leases
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

LB = "load-balancing"
PEERS = {"server1": ("primary", "127.0.0.71"), "server2": ("secondary", "127.0.0.72")}
CLIENTS = 150
FLAVORS = {"hakea": ("hakea", "hakea"), "hakea+kea": ("hakea", "kea"), "kea+hakea": ("kea", "hakea")}


@pytest.fixture(scope="module", params=list(FLAVORS))
def pair(request: pytest.FixtureRequest, workdir: Path, procs: Procs) -> Iterator[dict[str, Server6]]:
    flavor: str = request.param
    if "kea" in FLAVORS[flavor]:
        need_kea6()
    ha = LoopbackHA6(workdir, procs, f"lb6-{flavor}", LB, PEERS, threads=True)
    for name, program in zip(PEERS, FLAVORS[flavor], strict=True):
        ha.add(name, KeaServer6 if program == "kea" else Server6)
    with ha as servers:
        yield servers


def exchange(pair: dict[str, Server6], messages: list[bytes], timeout: float) -> dc.Answers:
    """Each message relayed to both servers at once (as a multicast reaches both), sent once."""
    targets: dict[str, tuple[str, int]] = {}
    for name, s in pair.items():
        assert s.port is not None
        targets[name] = ("::1", s.port)
    return dc.relay_to_all(targets, messages, bind="::1", link="2001:db8:1::1", timeout=timeout)


# ---- tests -------------------------------------------------------------------------------------


def test_both_reach_load_balancing(pair: dict[str, Server6]) -> None:
    s1, s2 = pair["server1"], pair["server2"]
    s1.wait_state(LB)
    s2.wait_state(LB)
    assert s1.heartbeat()["scopes"] == ["server1"]
    assert s2.heartbeat()["scopes"] == ["server2"]
    status = s2.ha_status()
    assert status["ha-mode"] == LB
    assert status["ha-servers"]["local"]["role"] == "secondary"


def test_each_duid_answered_by_its_hash_owner_only(pair: dict[str, Server6]) -> None:
    s1, s2 = pair["server1"], pair["server2"]
    s1.wait_state(LB)
    s2.wait_state(LB)
    duid_of = {dc.new_xid(): dc.random_duid(n) for n in range(CLIENTS)}
    assert len(duid_of) == CLIENTS
    owner = {xid: lb_owner(duid) for xid, duid in duid_of.items()}
    assert set(owner.values()) == {"server1", "server2"}

    advertised = exchange(pair, [dc.client_message(dc.SOLICIT, xid, duid, dc.ia_na(1), dc.ia_pd(2))
                                 for xid, duid in duid_of.items()], timeout=15.0)  # fmt: skip
    assert len(advertised) == CLIENTS, f"{CLIENTS - len(advertised)} client(s) got no Advertise"
    for xid, answers in advertised.items():
        assert [sender for sender, _ in answers] == [owner[xid]], (duid_of[xid], answers)
        assert answers[0][1].msg_type == dc.ADVERTISE

    server_ids: dict[str, bytes] = {}
    adv_of = {xid: answers[0][1] for xid, answers in advertised.items()}
    requests = []
    for xid, duid in duid_of.items():
        adv = adv_of[xid]
        assert adv.get(dc.OPT_CLIENTID) == duid
        (address,), (prefix,) = adv.addresses(), adv.prefixes()
        assert lb_scope_of(address) == owner[xid], (owner[xid], address)
        assert lb_scope_of(prefix) == owner[xid] and prefix.endswith("/64"), (owner[xid], prefix)
        assert adv.server_id is not None
        assert server_ids.setdefault(owner[xid], adv.server_id) == adv.server_id
        requests.append(dc.client_message(dc.REQUEST, xid, duid, dc.ia_na(1, address),
                                          dc.ia_pd(2, (prefix.split("/")[0], 64)), server_id=adv.server_id))
    assert server_ids["server1"] != server_ids["server2"]
    replied = exchange(pair, requests, timeout=20.0)
    assert len(replied) == CLIENTS, f"{CLIENTS - len(replied)} client(s) got no Reply"
    for xid, answers in replied.items():
        assert len(answers) == 1, answers  # nobody answered twice
        sender, reply = answers[0]
        assert sender == owner[xid] and reply.msg_type == dc.REPLY, (duid_of[xid], sender, reply)
        assert reply.addresses() == adv_of[xid].addresses()
        assert reply.prefixes() == adv_of[xid].prefixes()

    # Each server told the other before replying: both hold every lease, identical.
    wait_until(same_leases(s1, s2), 5.0, interval=0.2, what="identical lease6 sets")
    leases = s1.leases()
    assert len(leases) == 2 * CLIENTS
    assert {le["type"] for le in leases} == {"IA_NA", "IA_PD"}
    owners = {duid.hex(":"): owner[xid] for xid, duid in duid_of.items()}
    for le in leases:  # each lease in its owner's pool (address) or pd-pool (prefix), on both servers
        assert (le["type"] == "IA_NA") == ("prefix-len" not in le or le["prefix-len"] == 128), le
        assert lb_scope_of(f"{le['ip-address']}/{le.get('prefix-len', 128)}") == owners[le["duid"]], le
    for s in pair.values():
        if not isinstance(s, KeaServer6):
            assert s.stat("pkt6-reply-sent") >= 1
