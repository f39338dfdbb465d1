"""Solicit/Advertise, Request/Reply, Renew, Rebind and rapid commit: the DORA equivalents."""

from __future__ import annotations

from hakea.dhcp6.ia import Status
from hakea.dhcp6.wire import (
    ADVERTISE,
    OPTION_RAPID_COMMIT,
    REBIND,
    RENEW,
    REPLY,
    REQUEST,
    SOLICIT,
)
from hakea.leases.model6 import LeaseType

from .builders import (
    NOW,
    OPTION_IA_NA,
    SERVER_DUID,
    addr_of,
    client_reply,
    config6,
    direct_meta,
    dns,
    duid_ll,
    ia_na,
    ia_status,
    ip6,
    make_engine,
    message,
    na_addresses,
    oro,
    rapid_commit,
    subnet6,
    txt6,
)

LAN = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff", preferred_lifetime=3000,
              valid_lifetime=4000, option_data=(dns("2001:db8:1::53"),))  # fmt: skip


def solicit(n: int, *extra: object, iaid: int = 1) -> object:
    return message(SOLICIT, duid_ll(n), ia_na(iaid), oro(23), *extra)  # type: ignore[arg-type]


def test_solicit_advertises_without_storing() -> None:
    engine, store = make_engine(config6(LAN))
    d = engine.process(message(SOLICIT, duid_ll(1), ia_na(7), oro(23)), NOW, direct_meta())
    assert d.drop_reason is None and d.reply_type == ADVERTISE
    reply = client_reply(d)
    assert reply.msg_type == ADVERTISE and reply.transaction_id == 0x1234
    assert reply.client_id == duid_ll(1) and reply.server_id == SERVER_DUID
    [address] = na_addresses(reply, 7)
    assert txt6(address.address) == "2001:db8:1::100"
    assert (address.preferred, address.valid) == (3000, 4000)
    [ia] = reply.ia_na
    assert (ia.t1, ia.t2) == (1500, 2400)  # calculate-tee-times: 50 % / 80 % of preferred
    assert reply.get(23) == ip6("2001:db8:1::53").to_bytes(16, "big")
    assert d.lease_changes == () and store.count() == 0
    # a direct client is answered at its link-local source, port 546, on the receiving interface
    assert (d.destination, d.port, d.interface_index) == (ip6("fe80::200:ff:fe00:1"), 546, 2)


def test_request_commits_the_advertised_address() -> None:
    engine, store = make_engine(config6(LAN))
    adv = engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta())
    offered = addr_of(adv)
    d = engine.process(
        message(REQUEST, duid_ll(1), ia_na(1, offered), server_id=SERVER_DUID), NOW, direct_meta()
    )
    assert d.reply_type == REPLY and addr_of(d) == offered
    lease = store.get(LeaseType.NA, ip6(offered))
    assert lease is not None
    assert (lease.duid, lease.iaid, lease.subnet_id, lease.valid_lft, lease.preferred_lft) == (
        duid_ll(1), 1, 1, 4000, 3000,
    )  # fmt: skip
    assert lease.cltt == int(NOW) and lease.hwaddr == bytes.fromhex("020000000001")
    assert [c.kind for c in d.lease_changes] == ["new"]
    assert ("subnet[1].assigned-nas", 1) in d.stats and ("cumulative-assigned-nas", 1) in d.stats


def test_two_clients_get_different_addresses() -> None:
    engine, _ = make_engine(config6(LAN))
    a = engine.process(message(REQUEST, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    b = engine.process(message(REQUEST, duid_ll(2), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    assert addr_of(a) != addr_of(b)


def test_solicit_from_a_leased_client_offers_its_lease() -> None:
    engine, _ = make_engine(config6(LAN))
    first = engine.process(message(REQUEST, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    engine.process(message(SOLICIT, duid_ll(9), ia_na(1)), NOW, direct_meta())  # moves the cursor
    again = engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW + 5, direct_meta())
    assert addr_of(again) == addr_of(first)


def test_renew_extends_and_reports_an_update() -> None:
    engine, store = make_engine(config6(LAN))
    got = addr_of(engine.process(message(REQUEST, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW,
                                 direct_meta()))  # fmt: skip
    d = engine.process(message(RENEW, duid_ll(1), ia_na(1, got), server_id=SERVER_DUID), NOW + 1000,
                       direct_meta(multicast=False))  # fmt: skip
    assert addr_of(d) == got
    lease = store.get(LeaseType.NA, ip6(got))
    assert lease is not None and lease.cltt == int(NOW) + 1000
    [change] = d.lease_changes
    assert change.kind == "updated" and change.old is not None and change.old.cltt == int(NOW)


def test_renew_of_an_address_it_does_not_hold_returns_it_with_zero_lifetimes() -> None:
    engine, store = make_engine(config6(LAN))
    got = addr_of(engine.process(message(REQUEST, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW,
                                 direct_meta()))  # fmt: skip
    stale = "2001:db8:1::1ff"
    d = engine.process(message(RENEW, duid_ll(1), ia_na(1, got, stale), server_id=SERVER_DUID), NOW,
                       direct_meta())  # fmt: skip
    lifetimes = {txt6(a.address): (a.preferred, a.valid) for a in na_addresses(client_reply(d))}
    assert lifetimes == {got: (3000, 4000), stale: (0, 0)}
    assert store.get(LeaseType.NA, ip6(stale)) is None


def test_renew_without_a_lease_allocates_one() -> None:
    engine, store = make_engine(config6(LAN))
    d = engine.process(message(RENEW, duid_ll(3), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    assert addr_of(d) == "2001:db8:1::100" and store.count() == 1


def test_renew_from_an_unknown_link_gets_no_binding() -> None:
    engine, _ = make_engine(config6(LAN))
    meta = direct_meta(interface="eth9")
    d = engine.process(
        message(RENEW, duid_ll(3), ia_na(4, "2001:db8:9::1"), server_id=SERVER_DUID), NOW, meta
    )
    assert ia_status(client_reply(d), OPTION_IA_NA, 4) == (
        Status.NO_BINDING,
        "Sorry, no known leases for this duid/iaid/subnet.",
    )


def test_rebind_of_an_unknown_but_appropriate_address_binds_it() -> None:
    engine, store = make_engine(config6(LAN))
    d = engine.process(message(REBIND, duid_ll(4), ia_na(1, "2001:db8:1::1a0")), NOW, direct_meta())
    assert addr_of(d) == "2001:db8:1::1a0"
    assert store.get(LeaseType.NA, ip6("2001:db8:1::1a0")) is not None


def test_rebind_from_an_unknown_link_sets_lifetimes_to_zero() -> None:
    engine, store = make_engine(config6(LAN))
    meta = direct_meta(interface="eth9")
    d = engine.process(message(REBIND, duid_ll(4), ia_na(1, "2001:db8:9::5")), NOW, meta)
    [a] = na_addresses(client_reply(d))
    assert (txt6(a.address), a.preferred, a.valid) == ("2001:db8:9::5", 0, 0)
    assert store.count() == 0


def test_rebind_of_an_address_off_the_link_gets_zero_lifetimes_and_a_new_address() -> None:
    engine, _ = make_engine(config6(LAN))
    d = engine.process(message(REBIND, duid_ll(4), ia_na(1, "2001:db8:9::5")), NOW, direct_meta())
    lifetimes = {txt6(a.address): a.valid for a in na_addresses(client_reply(d))}
    assert lifetimes == {"2001:db8:1::100": 4000, "2001:db8:9::5": 0}


def test_rapid_commit_replies_and_stores_when_the_subnet_allows_it() -> None:
    rapid = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff", rapid_commit=True)
    engine, store = make_engine(config6(rapid))
    d = engine.process(message(SOLICIT, duid_ll(1), ia_na(1), rapid_commit()), NOW, direct_meta())
    reply = client_reply(d)
    assert reply.msg_type == REPLY and reply.get(OPTION_RAPID_COMMIT) == b""
    assert store.count() == 1 and [c.kind for c in d.lease_changes] == ["new"]


def test_rapid_commit_is_ignored_when_the_subnet_does_not_allow_it() -> None:
    engine, store = make_engine(config6(LAN))
    d = engine.process(message(SOLICIT, duid_ll(1), ia_na(1), rapid_commit()), NOW, direct_meta())
    reply = client_reply(d)
    assert reply.msg_type == ADVERTISE and reply.get(OPTION_RAPID_COMMIT) is None
    assert store.count() == 0


def test_rapid_commit_needs_the_client_to_ask_for_it() -> None:
    rapid = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff", rapid_commit=True)
    engine, store = make_engine(config6(rapid))
    d = engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta())
    assert client_reply(d).msg_type == ADVERTISE and store.count() == 0


def test_multiple_ia_na_get_distinct_addresses() -> None:
    engine, store = make_engine(config6(LAN))
    d = engine.process(message(REQUEST, duid_ll(1), ia_na(1), ia_na(2), ia_na(3), server_id=SERVER_DUID), NOW,
                       direct_meta())  # fmt: skip
    reply = client_reply(d)
    got = {ia.iaid: txt6(ia.addresses[0].address) for ia in reply.ia_na}
    assert set(got) == {1, 2, 3} and len(set(got.values())) == 3
    assert store.count() == 3 and len(d.lease_changes) == 3
    # a Solicit with several IAs does not hand one address to two IAs either (nothing stored)
    adv = client_reply(engine.process(message(SOLICIT, duid_ll(2), ia_na(1), ia_na(2)), NOW, direct_meta()))
    assert len({a.addresses[0].address for a in adv.ia_na}) == 2


def test_exhausted_pool_gives_no_addrs_avail() -> None:
    tiny = subnet6(1, "2001:db8:1::/64", "2001:db8:1::10 - 2001:db8:1::10")
    engine, _ = make_engine(config6(tiny))
    engine.process(message(REQUEST, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    d = engine.process(message(SOLICIT, duid_ll(2), ia_na(5)), NOW, direct_meta())
    reply = client_reply(d)
    assert na_addresses(reply) == []
    assert ia_status(reply, OPTION_IA_NA, 5) == (
        Status.NO_ADDRS_AVAIL,
        "Sorry, no addresses could be assigned at this time.",
    )
    assert ("v6-allocation-fail", 1) in d.stats and ("subnet[1].v6-allocation-fail-subnet", 1) in d.stats


def test_expired_lease_of_another_client_is_reused() -> None:
    tiny = subnet6(1, "2001:db8:1::/64", "2001:db8:1::10 - 2001:db8:1::10", valid_lifetime=100,
                   preferred_lifetime=50)  # fmt: skip
    engine, store = make_engine(config6(tiny))
    engine.process(message(REQUEST, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    d = engine.process(
        message(REQUEST, duid_ll(2), ia_na(1), server_id=SERVER_DUID), NOW + 101, direct_meta()
    )
    assert addr_of(d) == "2001:db8:1::10"
    [change] = d.lease_changes
    assert change.kind == "new" and change.old is not None and change.old.duid == duid_ll(1)
    lease = store.get(LeaseType.NA, ip6("2001:db8:1::10"))
    assert lease is not None and lease.duid == duid_ll(2)


def test_configured_timers_and_no_tee_when_disabled() -> None:
    timed = subnet6(
        1, "2001:db8:1::/64", "2001:db8:1::10 - 2001:db8:1::20", renew_timer=100, rebind_timer=200
    )
    engine, _ = make_engine(config6(timed))
    [ia] = client_reply(engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta())).ia_na
    assert (ia.t1, ia.t2) == (100, 200)
    off = subnet6(1, "2001:db8:1::/64", "2001:db8:1::10 - 2001:db8:1::20", calculate_tee_times=False)
    engine, _ = make_engine(config6(off))
    [ia] = client_reply(engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta())).ia_na
    assert (ia.t1, ia.t2) == (0, 0)


def test_hint_in_the_pool_is_honoured_and_one_outside_ignored() -> None:
    engine, _ = make_engine(config6(LAN))
    d = engine.process(message(SOLICIT, duid_ll(1), ia_na(1, "2001:db8:1::1aa")), NOW, direct_meta())
    assert addr_of(d) == "2001:db8:1::1aa"
    d = engine.process(message(SOLICIT, duid_ll(2), ia_na(1, "2001:db8:1::5")), NOW, direct_meta())
    assert addr_of(d) == "2001:db8:1::100"
