"""RELEASE, DECLINE and INFORM."""

from __future__ import annotations

from hakea.dhcp4.wire import DHCPACK, DHCPDECLINE, DHCPRELEASE
from hakea.leases.model import LeaseState

from .builders import (
    NOW,
    SERVER,
    config,
    direct_meta,
    discover,
    dora,
    inform,
    ip,
    mac,
    make_engine,
    opt,
    query,
    subnet,
    txt,
    u32,
)

LAN = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.11", valid_lifetime=3600,
             option_data=(opt(3, "192.0.2.1"), opt(42, "192.0.2.5")))  # fmt: skip


def test_release_deletes_the_clients_lease() -> None:
    engine, store = make_engine(config(LAN))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    mine = txt(ack.reply.yiaddr)
    d = engine.process(query(DHCPRELEASE, mac(1), ciaddr=mine, server_id=SERVER), NOW + 10, direct_meta())
    assert d.reply is None and d.drop_reason is None
    assert [c.kind for c in d.lease_changes] == ["deleted"]
    assert d.lease_changes[0].lease.address == ip(mine)
    assert store.get(ip(mine)) is None
    assert d.stats == (("subnet[1].assigned-addresses", -1),)


def test_release_from_another_client_changes_nothing() -> None:
    engine, store = make_engine(config(LAN))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    d = engine.process(query(DHCPRELEASE, mac(2), ciaddr=txt(ack.reply.yiaddr)), NOW, direct_meta())
    assert d.lease_changes == () and store.get(ack.reply.yiaddr) is not None
    d = engine.process(query(DHCPRELEASE, mac(1), ciaddr=txt(ack.reply.yiaddr), server_id="10.1.1.1"),
                       NOW, direct_meta())  # fmt: skip
    assert d.drop_reason == "not for us" and store.get(ack.reply.yiaddr) is not None


def test_decline_puts_the_address_in_probation_then_it_is_reused() -> None:
    engine, store = make_engine(config(subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.10")),
                                )  # fmt: skip
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    d = engine.process(
        query(DHCPDECLINE, mac(1), requested="192.0.2.10", server_id=SERVER), NOW + 5, direct_meta()
    )
    assert d.reply is None
    (change,) = d.lease_changes
    assert change.kind == "updated"
    declined = store.get(ip("192.0.2.10"))
    assert declined is not None and declined == change.lease
    assert declined.state == LeaseState.DECLINED
    assert (declined.hwaddr, declined.client_id, declined.valid_lft) == (b"", b"", 86400)
    assert declined.cltt == int(NOW + 5)
    assert ("declined-addresses", 1) in d.stats and ("subnet[1].declined-addresses", 1) in d.stats
    # During probation nobody gets it, not even the client that declined it.
    for who in (1, 2):
        o = engine.process(discover(mac(who)), NOW + 100, direct_meta())
        assert o.reply is None and o.drop_reason == "no address available"
    # After probation it is free again.
    o = engine.process(discover(mac(2)), NOW + 5 + 86400, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr) == "192.0.2.10"
    ack2 = engine.process(
        query(3, mac(2), requested="192.0.2.10", server_id=SERVER), NOW + 5 + 86400, direct_meta()
    )
    assert ack2.reply is not None and ack2.reply.message_type == DHCPACK
    assert ("declined-addresses", -1) in ack2.stats


def test_decline_of_an_address_the_client_does_not_hold_is_ignored() -> None:
    engine, store = make_engine(config(LAN))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    d = engine.process(query(DHCPDECLINE, mac(2), requested=txt(ack.reply.yiaddr)), NOW, direct_meta())
    assert d.lease_changes == ()
    lease = store.get(ack.reply.yiaddr)
    assert lease is not None and lease.state == LeaseState.DEFAULT
    d = engine.process(query(DHCPDECLINE, mac(1)), NOW, direct_meta())
    assert d.drop_reason == "DECLINE without requested address"


def test_inform_gets_options_without_a_lease_at_ciaddr() -> None:
    engine, store = make_engine(config(LAN))
    meta = direct_meta(to_broadcast=False, source_address=ip("192.0.2.77"))
    d = engine.process(inform(mac(1), ciaddr="192.0.2.77", prl=bytes((1, 42))), NOW, meta)
    assert d.reply is not None and d.reply.message_type == DHCPACK
    assert d.reply.yiaddr == 0 and d.reply.ciaddr == ip("192.0.2.77")
    opts = d.reply.options
    assert 51 not in opts and 58 not in opts and 59 not in opts
    assert u32(opts[54]) == ip(SERVER)
    assert opts[42] == ip("192.0.2.5").to_bytes(4, "big") and 3 in opts and 1 in opts
    assert (d.destination, d.port, d.raw_unicast) == (ip("192.0.2.77"), 68, False)
    assert d.lease_changes == () and store.count() == 0


def test_inform_without_ciaddr_is_answered_at_its_source() -> None:
    engine, _ = make_engine(config(LAN))
    meta = direct_meta(to_broadcast=False, source_address=ip("192.0.2.78"))
    d = engine.process(inform(mac(1)), NOW, meta)
    assert d.reply is not None and d.destination == ip("192.0.2.78") and not d.raw_unicast
