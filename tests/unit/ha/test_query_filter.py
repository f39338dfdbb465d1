"""RFC 3074 load balancing and scopes (kea-ha-facts.md, kea-ha-behaviour.md 2.9)."""

from __future__ import annotations

import random

import pytest

from hakea.dhcp4.wire import Packet4
from hakea.ha.query_filter import (
    HA_TYPES_V4,
    HA_TYPES_V6,
    MIX_TABLE,
    QueryFilter,
    QueryInfo,
    ScopeError,
    lb_hash,
    query_info_v4,
)
from tests.sim.harness import make_configs


def _b(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


# (key bytes, hash, owner) -- every verified vector of kea-ha-behaviour.md 2.9
VECTORS = [
    ("02:03:0d:04:0b:01", 165, "secondary"),
    ("03:04:0e:05:0c:02", 99, "secondary"),
    ("04:05:0f:06:0d:03", 127, "secondary"),
    ("05:06:10:07:0e:04", 137, "secondary"),
    ("01:14:e5:cf:c4:e2", 100, "primary"),
    ("01:13:d9:bb:b9:d2", 198, "primary"),
    ("01:12:c5:ae:b0:c7", 148, "primary"),
    ("01:0e:9b:7f:92:8b", 110, "primary"),
    ("00:03:00:01:01:03:0d:04:0b:01", 79, "secondary"),
    ("00:03:00:01:05:06:10:07:0e:04", 59, "secondary"),
    ("00:03:00:01:09:0a:14:0b:12:08", 145, "secondary"),
    ("00:03:00:01:0a:0b:15:0c:13:09", 181, "secondary"),
    ("00:03:00:01:02:03:0d:04:0b:01", 75, "secondary"),
    ("00:03:00:01:01:13:c7:96:d6:b4", 230, "primary"),
    ("00:03:00:01:01:14:d4:aa:e1:c0", 238, "primary"),
    ("00:03:00:01:01:15:d9:b8:e8:c9", 104, "primary"),
    ("00:03:00:01:01:16:ea:ca:eb:dc", 48, "primary"),
    ("00:03:00:01:66:55:44:33:22:11", 240, "primary"),
    ("00:03:00:01:02:04:0e:05:0c:02", 77, "secondary"),
    ("00:03:00:01:05:07:11:08:0f:05", 23, "secondary"),
    ("00:03:00:01:09:0b:15:0c:13:09", 61, "secondary"),
    ("00:03:00:01:0a:0c:16:0d:14:0a", 1, "secondary"),
    ("11:01:03:0d:04:0b:01", 86, "primary"),
    ("11:01:04:0e:05:0c:02", 83, "secondary"),
    ("11:01:05:0f:06:0d:03", 222, "primary"),
    ("11:01:06:10:07:0e:04", 105, "secondary"),
]

LB = make_configs("load-balancing")
HS = make_configs("hot-standby")
OWNER = {"primary": "server1", "secondary": "server2"}


def test_mix_table_is_a_permutation() -> None:
    assert sorted(MIX_TABLE) == list(range(256))
    assert MIX_TABLE[:4] == (251, 175, 119, 215) and MIX_TABLE[-1] == 151


@pytest.mark.parametrize(("key", "expected", "owner"), VECTORS)
def test_hash_vectors(key: str, expected: int, owner: str) -> None:
    assert lb_hash(_b(key)) == expected
    assert QueryFilter(LB["server1"]).owner(_b(key)) == OWNER[owner]


def test_hash_walks_from_the_last_byte_seeded_with_the_length() -> None:
    key = b"\x01\x02"
    assert lb_hash(key) == MIX_TABLE[MIX_TABLE[2 ^ 2] ^ 1]
    assert lb_hash(b"") == 0


@pytest.mark.parametrize(("key", "expected", "owner"), [v for v in VECTORS if len(_b(v[0])) == 6])
def test_v4_mac_vectors_as_queries(key: str, expected: int, owner: str) -> None:
    q = QueryInfo.v4(1, _b(key))
    for name, cfg in LB.items():
        d = QueryFilter(cfg).classify(q)
        assert d.scope_class == "HA_" + OWNER[owner]
        assert d.in_scope is (name == OWNER[owner])


def test_v4_client_id_wins_over_chaddr() -> None:
    # forge's first generated client: client-id 11:01:03:0d:04:0b:01 -> primary, whatever chaddr.
    q = QueryInfo.v4(3, _b("02:03:0d:04:0b:01"), _b("11:01:03:0d:04:0b:01"))
    assert q.lb_key == _b("11:01:03:0d:04:0b:01")
    assert QueryFilter(LB["server1"]).classify(q).scope_class == "HA_server1"
    # An empty client identifier falls back to chaddr.
    q = QueryInfo.v4(3, _b("02:03:0d:04:0b:01"), b"")
    assert QueryFilter(LB["server1"]).classify(q).scope_class == "HA_server2"


def test_v6_duid_key() -> None:
    q = QueryInfo.v6(1, _b("00:03:00:01:66:55:44:33:22:11"), elapsed=0)
    assert QueryFilter(LB["server1"]).classify(q).scope_class == "HA_server1"
    q = QueryInfo.v6(1, _b("00:03:00:01:02:04:0e:05:0c:02"))
    d = QueryFilter(LB["server1"]).classify(q)
    assert d.scope_class == "HA_server2" and not d.in_scope


def test_no_key_is_dropped_in_load_balancing() -> None:
    d = QueryFilter(LB["server1"]).classify(QueryInfo.v4(1, b""))
    assert d.in_scope is False and d.scope_class is None
    assert QueryFilter(LB["server1"]).classify(QueryInfo.v6(1, None)).in_scope is False
    # Hot-standby needs no key: everything belongs to the primary.
    d = QueryFilter(HS["server1"]).classify(QueryInfo.v4(1, b""))
    assert d.in_scope and d.scope_class == "HA_server1"


def test_filtered_message_types() -> None:
    assert {1, 3, 4, 7, 8} == HA_TYPES_V4  # DISCOVER REQUEST DECLINE RELEASE INFORM
    assert {1, 3, 4, 5, 6, 8, 9} == HA_TYPES_V6  # not INFORMATION-REQUEST (11)
    secondary_key = _b("02:03:0d:04:0b:01")
    qf = QueryFilter(LB["server1"])
    assert not qf.classify(QueryInfo.v4(3, secondary_key)).in_scope
    for other in (2, 5, 6, 9, 10, 13):  # not HA-filtered: in scope, classed with the primary
        d = qf.classify(QueryInfo.v4(other, secondary_key))
        assert d.in_scope and d.scope_class == "HA_server1"
    d = QueryFilter(LB["server2"]).classify(QueryInfo.v6(11, _b("00:03:00:01:66:55:44:33:22:11")))
    assert d.in_scope and d.scope_class == "HA_server1"


def test_hot_standby_scopes() -> None:
    primary, standby = QueryFilter(HS["server1"]), QueryFilter(HS["server2"])
    q = QueryInfo.v4(1, _b("02:03:0d:04:0b:01"))
    assert primary.classify(q).in_scope and primary.classify(q).scope_class == "HA_server1"
    assert not standby.classify(q).in_scope and standby.classify(q).scope_class == "HA_server1"
    standby.serve_failover()
    assert standby.served == {"server1"}


def test_load_balancing_spreads_about_evenly() -> None:
    rng = random.Random(7)
    qf = QueryFilter(LB["server1"])
    owners = [qf.owner(bytes(rng.randrange(256) for _ in range(6))) for _ in range(100)]
    assert owners.count("server1") > 25 and owners.count("server2") > 25


def test_ha_scopes_accepts_names_and_class_names() -> None:
    qf = QueryFilter(LB["server1"])
    qf.serve_scopes(["HA_server1", "server2"])
    assert qf.served == {"server1", "server2"}
    qf.serve_scopes([])
    assert qf.served == set()
    qf.serve_scopes(["server1"])
    with pytest.raises(
        ScopeError, match="invalid server name specified 'unsupported' while enabling/disabling HA scopes"
    ):
        qf.serve_scopes(["server2", "unsupported"])
    assert qf.served == {"server1"}  # all or nothing


def test_backup_never_owns_queries() -> None:
    cfgs = make_configs("load-balancing", backups=("server3",))
    qf = QueryFilter(cfgs["server3"])
    assert qf.served == set()
    assert qf.peer_names == ("server1", "server2", "server3")
    assert qf.active_servers == 2


def test_lease_scope() -> None:
    qf = QueryFilter(LB["server1"])
    assert qf.key_in_scope(_b("01:14:e5:cf:c4:e2"))
    assert not qf.key_in_scope(_b("02:03:0d:04:0b:01"))
    assert not qf.key_in_scope(None)


def test_query_info_from_packet4() -> None:
    pkt = Packet4(chaddr=_b("02:03:0d:04:0b:01"), secs=0x0500, xid=0x1234)
    pkt.options[53] = b"\x01"
    q = query_info_v4(pkt)
    assert (q.family, q.msg_type, q.hwaddr, q.client_id, q.secs) == (
        4,
        1,
        _b("02:03:0d:04:0b:01"),
        b"",
        0x0500,
    )
    pkt.options[61] = _b("11:01:03:0d:04:0b:01")
    q = query_info_v4(pkt)
    assert q.lb_key == _b("11:01:03:0d:04:0b:01") and q.client_key == (_b("02:03:0d:04:0b:01"), q.lb_key)
    assert "tid=0x1234" in q.label
