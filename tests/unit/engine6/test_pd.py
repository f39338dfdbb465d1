"""Prefix delegation: IA_PD from pd-pools, length hints, exhaustion, PD exclude, mixed IAs."""

from __future__ import annotations

from hakea.dhcp6.ia import Status
from hakea.dhcp6.wire import RELEASE, RENEW, REQUEST, SOLICIT
from hakea.leases.model6 import LeaseType

from .builders import (
    NOW,
    OPTION_IA_PD,
    SERVER_DUID,
    client_reply,
    config6,
    direct_meta,
    duid_ll,
    ia_na,
    ia_pd,
    ia_status,
    ip6,
    make_engine,
    message,
    na_addresses,
    oro,
    pd_pool,
    pd_prefixes,
    subnet6,
    txt6,
)

PD = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff",
             pd_pools=(pd_pool("2001:db8:8::/48", 56),))  # fmt: skip


def test_request_delegates_a_prefix_and_stores_it() -> None:
    engine, store = make_engine(config6(PD))
    d = engine.process(message(REQUEST, duid_ll(1), ia_pd(3), server_id=SERVER_DUID), NOW, direct_meta())
    [prefix] = pd_prefixes(client_reply(d), 3)
    assert (txt6(prefix.prefix), prefix.length, prefix.valid) == ("2001:db8:8::", 56, 7200)
    lease = store.get(LeaseType.PD, prefix.prefix)
    assert lease is not None and (lease.prefix_len, lease.iaid, lease.type) == (56, 3, LeaseType.PD)
    assert ("subnet[1].assigned-pds", 1) in d.stats
    # the next client gets the next /56
    d2 = engine.process(message(REQUEST, duid_ll(2), ia_pd(3), server_id=SERVER_DUID), NOW, direct_meta())
    assert txt6(pd_prefixes(client_reply(d2))[0].prefix) == "2001:db8:8:100::"


def test_address_and_prefix_in_one_message() -> None:
    engine, store = make_engine(config6(PD))
    d = engine.process(message(REQUEST, duid_ll(1), ia_na(1), ia_pd(2), server_id=SERVER_DUID), NOW,
                       direct_meta())  # fmt: skip
    reply = client_reply(d)
    assert len(na_addresses(reply)) == 1 and len(pd_prefixes(reply)) == 1
    assert {c.lease.type for c in d.lease_changes} == {LeaseType.NA, LeaseType.PD}
    assert store.count() == 2


def test_prefix_hint_is_honoured_when_aligned_and_free() -> None:
    engine, _ = make_engine(config6(PD))
    d = engine.process(message(SOLICIT, duid_ll(1), ia_pd(1, ("2001:db8:8:4200::", 56))), NOW, direct_meta())
    assert txt6(pd_prefixes(client_reply(d))[0].prefix) == "2001:db8:8:4200::"


def test_length_hint_prefers_a_matching_pool() -> None:
    two = subnet6(
        1, "2001:db8:1::/64", pd_pools=(pd_pool("2001:db8:8::/48", 56), pd_pool("2001:db8:9::/48", 60))
    )
    engine, _ = make_engine(config6(two))
    d = engine.process(message(SOLICIT, duid_ll(1), ia_pd(1, ("::", 60))), NOW, direct_meta())
    [prefix] = pd_prefixes(client_reply(d))
    assert (txt6(prefix.prefix), prefix.length) == ("2001:db8:9::", 60)


def test_exhausted_pd_pool_gives_no_prefix_avail() -> None:
    small = subnet6(1, "2001:db8:1::/64", pd_pools=(pd_pool("2001:db8:8::/56", 56),))
    engine, _ = make_engine(config6(small))
    engine.process(message(REQUEST, duid_ll(1), ia_pd(1), server_id=SERVER_DUID), NOW, direct_meta())
    reply = client_reply(engine.process(message(SOLICIT, duid_ll(2), ia_pd(9)), NOW, direct_meta()))
    assert pd_prefixes(reply) == []
    assert ia_status(reply, OPTION_IA_PD, 9) == (
        Status.NO_PREFIX_AVAIL,
        "Sorry, no prefixes could be assigned at this time.",
    )


def test_renew_and_release_of_a_prefix() -> None:
    engine, store = make_engine(config6(PD))
    d = engine.process(message(REQUEST, duid_ll(1), ia_pd(1), server_id=SERVER_DUID), NOW, direct_meta())
    prefix = pd_prefixes(client_reply(d))[0]
    hint = (txt6(prefix.prefix), prefix.length)
    renewed = engine.process(message(RENEW, duid_ll(1), ia_pd(1, hint), server_id=SERVER_DUID), NOW + 60,
                             direct_meta())  # fmt: skip
    assert [c.kind for c in renewed.lease_changes] == ["updated"]
    assert pd_prefixes(client_reply(renewed))[0].prefix == prefix.prefix
    released = engine.process(message(RELEASE, duid_ll(1), ia_pd(1, hint), server_id=SERVER_DUID), NOW + 70,
                              direct_meta())  # fmt: skip
    assert [c.kind for c in released.lease_changes] == ["deleted"]
    assert store.get(LeaseType.PD, prefix.prefix) is None
    assert ia_status(client_reply(released), OPTION_IA_PD, 1) == (
        Status.SUCCESS,
        "Lease released. Thank you, please come again.",
    )


def test_pd_exclude_when_the_client_asks_for_it() -> None:
    excluding = pd_pool("2001:db8:8::/48", 56, excluded_prefix=ip6("2001:db8:8:1::"), excluded_prefix_len=64)
    excl = subnet6(1, "2001:db8:1::/64", pd_pools=(excluding,))
    engine, _ = make_engine(config6(excl))
    without = pd_prefixes(
        client_reply(engine.process(message(SOLICIT, duid_ll(1), ia_pd(1)), NOW, direct_meta()))
    )
    assert without[0].options == []
    asked = pd_prefixes(client_reply(engine.process(message(SOLICIT, duid_ll(1), ia_pd(1), oro(67)), NOW,
                                                    direct_meta())))  # fmt: skip
    # RFC 6603: excluded length 64, then the 8 bits between /56 and /64 of 2001:db8:8:1::/64
    assert asked[0].options == [(67, bytes((64, 0x01)))]
