"""Host reservations, pools guarded by client classes, shared networks, exhaustion."""

from __future__ import annotations

from dataclasses import replace

from hakea.config.model import ClientClassDef, Reservation4, SharedNetwork4
from hakea.dhcp4.wire import DHCPACK, DHCPNAK
from hakea.leases.model import Lease4

from .builders import (
    NOW,
    SERVER,
    config,
    direct_meta,
    discover,
    dora,
    ip,
    mac,
    make_engine,
    pool,
    request,
    subnet,
    txt,
)


def test_reservation_by_hw_address_and_by_client_id() -> None:
    by_hw = Reservation4(ip_address=ip("192.0.2.100"), hw_address=mac(1), hostname="printer")
    by_cid = Reservation4(ip_address=ip("192.0.2.101"), client_id=b"\x01\x02\x00\x00\x00\x00\x09")
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", reservations=(by_hw, by_cid))
    engine, store = make_engine(config(s))
    offer, _ack = dora(engine, mac(1), prl=bytes((1, 3, 12)))
    assert offer.reply is not None and txt(offer.reply.yiaddr) == "192.0.2.100"  # outside the pool
    assert offer.reply.options[12] == b"printer"
    lease = store.get(ip("192.0.2.100"))
    assert lease is not None and lease.hostname == "printer"
    o = engine.process(discover(mac(2), cid=b"\x01\x02\x00\x00\x00\x00\x09"), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr) == "192.0.2.101"
    assert 12 not in o.reply.options  # not requested and no hostname reserved


def test_reserved_address_inside_a_pool_is_never_given_to_someone_else() -> None:
    res = Reservation4(ip_address=ip("192.0.2.10"), hw_address=mac(1))
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.11", reservations=(res,))
    engine, _ = make_engine(config(s))
    o = engine.process(discover(mac(2)), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr) == "192.0.2.11"
    o = engine.process(discover(mac(3), requested="192.0.2.10"), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr) == "192.0.2.11"
    d = engine.process(request(mac(3), requested="192.0.2.10", server_id=SERVER), NOW, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPNAK


def test_client_with_reservation_asking_for_another_address_is_naked() -> None:
    res = Reservation4(ip_address=ip("192.0.2.100"), hw_address=mac(1))
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", reservations=(res,))
    engine, _ = make_engine(config(s))
    d = engine.process(request(mac(1), requested="192.0.2.12", server_id=SERVER), NOW, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPNAK


def test_reserved_address_held_by_another_client_falls_back_to_the_pool() -> None:
    res = Reservation4(ip_address=ip("192.0.2.15"), hw_address=mac(1))
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", reservations=(res,))
    engine, store = make_engine(config(s))
    store.add(Lease4(ip("192.0.2.15"), mac(9), b"", 3600, int(NOW), 1))
    _offer, ack = dora(engine, mac(1))
    assert ack.reply is not None and ack.reply.message_type == DHCPACK
    assert txt(ack.reply.yiaddr) != "192.0.2.15"


def test_global_reservations_follow_the_subnet_flags() -> None:
    res = Reservation4(ip_address=ip("192.0.2.200"), hw_address=mac(1), client_classes=("vip",))
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20")
    engine, _ = make_engine(config(s, reservations=(res,)))
    o = engine.process(discover(mac(1)), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr) == "192.0.2.10"  # global lookups off
    engine, _ = make_engine(config(replace(s, reservation_mode_global=True), reservations=(res,)))
    o = engine.process(discover(mac(1)), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr) == "192.0.2.200"


def test_reservation_classes_and_known_select_pools() -> None:
    vip = pool("192.0.2.50 - 192.0.2.50", client_class="vip")
    known = pool("192.0.2.60 - 192.0.2.60", client_class="KNOWN")
    unknown = pool("192.0.2.70 - 192.0.2.70", client_class="UNKNOWN")
    res_vip = Reservation4(hw_address=mac(1), client_classes=("vip",))
    res_plain = Reservation4(hw_address=mac(2))
    s = subnet(1, "192.0.2.0/24", vip, known, unknown, reservations=(res_vip, res_plain))
    engine, _ = make_engine(config(s, client_classes=(ClientClassDef("vip"),)))
    got = {}
    for n in (1, 2, 3):
        o = engine.process(discover(mac(n)), NOW, direct_meta())
        assert o.reply is not None
        got[n] = txt(o.reply.yiaddr)
    assert got == {1: "192.0.2.50", 2: "192.0.2.60", 3: "192.0.2.70"}


def test_ha_class_given_by_the_caller_is_seen_by_pool_selection() -> None:
    p1 = pool("192.0.2.10 - 192.0.2.19", client_class="HA_server1")
    p2 = pool("192.0.2.20 - 192.0.2.29", client_class="HA_server2")
    classes = (ClientClassDef("HA_server1"), ClientClassDef("HA_server2"))
    engine, _store = make_engine(config(subnet(1, "192.0.2.0/24", p1, p2), client_classes=classes))
    none = engine.process(discover(mac(1)), NOW, direct_meta())
    assert none.reply is None and ("v4-allocation-fail-classes", 1) in none.stats
    one = engine.process(discover(mac(1)), NOW, direct_meta(), ha_classes=("HA_server1",))
    two = engine.process(discover(mac(2)), NOW, direct_meta(), ha_classes=("HA_server2",))
    assert one.reply is not None and txt(one.reply.yiaddr) == "192.0.2.10"
    assert two.reply is not None and txt(two.reply.yiaddr) == "192.0.2.20"
    ack = engine.process(request(mac(2), requested="192.0.2.20", server_id=SERVER), NOW, direct_meta(),
                         ha_classes=("HA_server2",))  # fmt: skip
    assert ack.reply is not None and ack.reply.message_type == DHCPACK
    # Asking for an address in the other server's pool is refused.
    nak = engine.process(request(mac(3), requested="192.0.2.11", server_id=SERVER), NOW, direct_meta(),
                         ha_classes=("HA_server2",))  # fmt: skip
    assert nak.reply is not None and nak.reply.message_type == DHCPNAK


def test_shared_network_falls_over_to_the_next_subnet_when_a_pool_is_exhausted() -> None:
    a = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.11")
    b = subnet(2, "198.51.100.0/24", "198.51.100.10 - 198.51.100.20")
    engine, store = make_engine(config(networks=[SharedNetwork4("floor", (a, b))]))
    got = []
    for n in range(4):
        _, ack = dora(engine, mac(n))
        assert ack.reply is not None and ack.reply.message_type == DHCPACK
        got.append(txt(ack.reply.yiaddr))
    assert got == ["192.0.2.10", "192.0.2.11", "198.51.100.10", "198.51.100.11"]
    lease = store.get(ip("198.51.100.10"))
    assert lease is not None and lease.subnet_id == 2
    # The reply for an address of subnet 2 carries subnet 2's mask and options.
    o = engine.process(discover(mac(9)), NOW, direct_meta())
    assert o.reply is not None and o.reply.options[1] == ip("255.255.255.0").to_bytes(4, "big")


def test_shared_network_skips_subnets_the_client_is_not_allowed_in() -> None:
    a = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.10")
    b = subnet(2, "198.51.100.0/24", "198.51.100.10 - 198.51.100.20", client_class="gold")
    c = subnet(3, "203.0.113.0/24", "203.0.113.10 - 203.0.113.20")
    engine, _ = make_engine(config(networks=[SharedNetwork4("floor", (a, b, c))],
                                   client_classes=(ClientClassDef("gold"),)))  # fmt: skip
    _, first = dora(engine, mac(1))
    assert first.reply is not None
    o = engine.process(discover(mac(2)), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr) == "203.0.113.10"
    o = engine.process(discover(mac(3)), NOW, direct_meta(), ha_classes=("gold",))
    assert o.reply is not None and txt(o.reply.yiaddr) == "198.51.100.10"


def test_pool_exhaustion_gives_no_offer_and_is_counted() -> None:
    engine, _ = make_engine(config(subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.11")))
    for n in range(2):
        dora(engine, mac(n))
    d = engine.process(discover(mac(5)), NOW, direct_meta())
    assert d.reply is None and d.drop_reason == "no address available"
    assert ("v4-allocation-fail", 1) in d.stats and ("v4-allocation-fail-subnet", 1) in d.stats
    assert ("subnet[1].v4-allocation-fail", 1) in d.stats
    engine, _ = make_engine(config(subnet(1, "192.0.2.0/24")))
    d = engine.process(discover(mac(5)), NOW, direct_meta())
    assert ("v4-allocation-fail-no-pools", 1) in d.stats


def test_existing_lease_in_a_pool_no_longer_allowed_is_not_reused() -> None:
    gold = pool("192.0.2.10 - 192.0.2.10", client_class="gold")
    rest = pool("192.0.2.20 - 192.0.2.20")
    engine, store = make_engine(config(subnet(1, "192.0.2.0/24", gold, rest),
                                       client_classes=(ClientClassDef("gold"),)))  # fmt: skip
    store.add(Lease4(ip("192.0.2.10"), mac(1), b"", 3600, int(NOW), 1))
    o = engine.process(discover(mac(1)), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr) == "192.0.2.20"
    o = engine.process(discover(mac(1)), NOW, direct_meta(), ha_classes=("gold",))
    assert o.reply is not None and txt(o.reply.yiaddr) == "192.0.2.10"
