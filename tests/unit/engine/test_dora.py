"""DISCOVER/OFFER and REQUEST/ACK, direct and relayed."""

from __future__ import annotations

from hakea.dhcp4.decision import QueryMeta
from hakea.dhcp4.wire import DHCPACK, DHCPNAK, DHCPOFFER, Packet4
from hakea.leases.model import LeaseState

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
    opt,
    request,
    subnet,
    txt,
    u32,
)

LAN = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", option_data=(opt(3, "192.0.2.1"),),
             valid_lifetime=3600)  # fmt: skip
REMOTE = subnet(2, "10.0.0.0/24", "10.0.0.100 - 10.0.0.110", valid_lifetime=600)


def test_direct_dora_offers_without_storing_then_acks_and_stores() -> None:
    engine, store = make_engine(config(LAN, REMOTE))
    offer = engine.process(discover(mac(1)), NOW, direct_meta())
    assert offer.reply is not None and offer.drop_reason is None
    assert offer.reply.message_type == DHCPOFFER
    assert txt(offer.reply.yiaddr) == "192.0.2.10"
    assert offer.lease_changes == () and store.count() == 0  # Kea: OFFER is a fake allocation
    # RFC 2131 section 4.1: no giaddr, no ciaddr, no broadcast bit -> unicast to yiaddr via raw
    assert (offer.destination, offer.port, offer.raw_unicast) == (ip("192.0.2.10"), 68, True)

    ack = engine.process(request(mac(1), requested="192.0.2.10", server_id=SERVER), NOW, direct_meta())
    assert ack.reply is not None and ack.reply.message_type == DHCPACK
    assert txt(ack.reply.yiaddr) == "192.0.2.10"
    lease = store.get(ip("192.0.2.10"))
    assert lease is not None
    assert (lease.hwaddr, lease.subnet_id, lease.valid_lft, lease.cltt) == (mac(1), 1, 3600, int(NOW))
    assert lease.state == LeaseState.DEFAULT
    assert [c.kind for c in ack.lease_changes] == ["new"]
    assert ack.lease_changes[0].lease == lease
    assert ("subnet[1].assigned-addresses", 1) in ack.stats
    opts = ack.reply.options
    assert u32(opts[54]) == ip(SERVER) and u32(opts[51]) == 3600
    assert opts[1] == ip("255.255.255.0").to_bytes(4, "big")
    assert opts[3] == ip("192.0.2.1").to_bytes(4, "big")


def test_second_client_gets_next_address_and_offers_are_not_reserved() -> None:
    engine, _ = make_engine(config(LAN))
    o1 = engine.process(discover(mac(1)), NOW, direct_meta())
    o2 = engine.process(discover(mac(2)), NOW, direct_meta())
    assert o1.reply is not None and o2.reply is not None
    # The iterative cursor moves on even for offers (as Kea's allocator does).
    assert o1.reply.yiaddr != o2.reply.yiaddr


def test_discover_repeated_by_a_leased_client_offers_its_lease() -> None:
    engine, _ = make_engine(config(LAN))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    again = engine.process(discover(mac(1)), NOW + 10, direct_meta())
    assert again.reply is not None and again.reply.yiaddr == ack.reply.yiaddr


def test_relayed_dora_goes_to_the_relay_and_echoes_option_82() -> None:
    engine, store = make_engine(config(LAN, REMOTE))
    rai = bytes((1, 3)) + b"abc" + bytes((2, 2)) + b"xy"
    meta = QueryMeta(interface="eth0", interface_addresses=(ip(SERVER),), server_address=ip(SERVER),
                     source_address=ip("10.0.0.1"), source_port=67, to_broadcast=False)  # fmt: skip
    q = discover(mac(7), giaddr="10.0.0.1", extra={82: rai})
    offer = engine.process(q, NOW, meta)
    assert offer.reply is not None
    assert txt(offer.reply.yiaddr) == "10.0.0.100"
    assert (offer.destination, offer.port, offer.raw_unicast) == (ip("10.0.0.1"), 67, False)
    assert offer.reply.giaddr == ip("10.0.0.1")
    assert list(offer.reply.options)[-1] == 82 and offer.reply.options[82] == rai
    assert u32(offer.reply.options[51]) == 600
    ack = engine.process(
        request(mac(7), requested="10.0.0.100", server_id=SERVER, giaddr="10.0.0.1", extra={82: rai}),
        NOW, meta,
    )  # fmt: skip
    assert ack.reply is not None and ack.reply.message_type == DHCPACK
    assert list(ack.reply.options)[-1] == 82
    lease = store.get(ip("10.0.0.100"))
    assert lease is not None and lease.subnet_id == 2
    # The reply round-trips through the codec.
    assert Packet4.parse(ack.reply.to_bytes()).options[82] == rai


def test_relay_ip_addresses_select_the_subnet_over_the_giaddr_prefix() -> None:
    relayed = subnet(3, "198.51.100.0/24", "198.51.100.10 - 198.51.100.20", relay_addresses=(ip("10.0.0.1"),))
    engine, _ = make_engine(config(LAN, REMOTE, relayed))
    offer = engine.process(discover(mac(1), giaddr="10.0.0.1"), NOW, direct_meta())
    assert offer.reply is not None and txt(offer.reply.yiaddr) == "198.51.100.10"


def test_subnet_selection_option_118_and_link_selection() -> None:
    engine, _ = make_engine(config(LAN, REMOTE))
    o = engine.process(discover(mac(1), extra={118: ip("10.0.0.0").to_bytes(4, "big")}), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr).startswith("10.0.0.")
    link = bytes((5, 4)) + ip("10.0.0.5").to_bytes(4, "big")
    o = engine.process(discover(mac(2), giaddr="192.0.2.254", extra={82: link}), NOW, direct_meta())
    assert o.reply is not None and txt(o.reply.yiaddr).startswith("10.0.0.")


def test_direct_client_on_interface_without_subnet_is_dropped() -> None:
    engine, _ = make_engine(config(LAN))
    d = engine.process(discover(mac(1)), NOW, direct_meta("eth1", "203.0.113.1"))
    assert d.reply is None and d.drop_reason == "no subnet"


def test_subnet_interface_name_selects_the_subnet() -> None:
    named = subnet(5, "203.0.113.0/24", "203.0.113.10 - 203.0.113.20", interface="eth9")
    engine, _ = make_engine(config(LAN, named))
    meta = QueryMeta(interface="eth9", interface_addresses=(ip("192.0.2.1"),), server_address=ip("192.0.2.1"))
    d = engine.process(discover(mac(1)), NOW, meta)
    assert d.reply is not None and txt(d.reply.yiaddr) == "203.0.113.10"


def test_broadcast_bit_makes_the_offer_broadcast_and_udp_socket_falls_back_to_broadcast() -> None:
    engine, _ = make_engine(config(LAN))
    d = engine.process(discover(mac(1), flags=0x8000), NOW, direct_meta())
    assert (d.destination, d.port, d.raw_unicast) == (0xFFFFFFFF, 68, False)
    d = engine.process(discover(mac(2)), NOW, direct_meta(raw_socket=False))
    assert (d.destination, d.raw_unicast) == (0xFFFFFFFF, False)


def test_requested_address_is_offered_when_free_and_in_a_pool() -> None:
    engine, _ = make_engine(config(LAN))
    d = engine.process(discover(mac(1), requested="192.0.2.15"), NOW, direct_meta())
    assert d.reply is not None and txt(d.reply.yiaddr) == "192.0.2.15"
    d = engine.process(discover(mac(2), requested="192.0.2.99"), NOW, direct_meta())  # outside pools
    assert d.reply is not None and txt(d.reply.yiaddr) != "192.0.2.99"


def test_requested_lifetime_is_honoured_within_min_and_max() -> None:
    bounded = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", valid_lifetime=3600,
                     min_valid_lifetime=1000, max_valid_lifetime=5000)  # fmt: skip
    engine, _ = make_engine(config(bounded))
    for asked, got in ((2000, 2000), (10, 1000), (99999, 5000)):
        d = engine.process(discover(mac(asked), extra={51: asked.to_bytes(4, "big")}), NOW, direct_meta())
        assert d.reply is not None and u32(d.reply.options[51]) == got
    d = engine.process(discover(mac(9)), NOW, direct_meta())
    assert d.reply is not None and u32(d.reply.options[51]) == 3600
    # Without min/max, the client's wish is ignored (Kea bounds it by valid-lifetime both ways).
    engine, _ = make_engine(config(LAN))
    d = engine.process(discover(mac(1), extra={51: (100).to_bytes(4, "big")}), NOW, direct_meta())
    assert d.reply is not None and u32(d.reply.options[51]) == 3600


def test_sanity_drops() -> None:
    engine, _ = make_engine(config(LAN))
    assert engine.process(discover(mac(1), server_id=SERVER), NOW, direct_meta()).drop_reason == (
        "server identifier in DISCOVER"
    )
    assert engine.process(discover(b""), NOW, direct_meta()).drop_reason == (
        "no hardware address and no client identifier"
    )
    no_type = discover(mac(1))
    del no_type.options[53]
    assert engine.process(no_type, NOW, direct_meta()).drop_reason == "no message type (BOOTP)"
    offer = discover(mac(1))
    offer.options[53] = bytes((DHCPOFFER,))
    assert engine.process(offer, NOW, direct_meta()).drop_reason == "unexpected message type 2"
    nak = discover(mac(1))
    nak.options[53] = bytes((DHCPNAK,))
    assert engine.process(nak, NOW, direct_meta()).reply is None
    # A client identified by client-id only is served.
    d = engine.process(discover(b"", cid=b"\x00abc"), NOW, direct_meta())
    assert d.reply is not None
