"""Subnet selection (relays, interface-id, interface, shared networks) and Relay-repl wrapping."""

from __future__ import annotations

from hakea.config.model6 import SharedNetwork6
from hakea.dhcp6.wire import (
    OPTION_INTERFACE_ID,
    OPTION_RELAY_SOURCE_PORT,
    RELAY_REPL,
    REQUEST,
    SOLICIT,
    Packet6,
    RelayMessage6,
)

from .builders import (
    NOW,
    SERVER_DUID,
    addr_of,
    config6,
    direct_meta,
    duid_ll,
    ia_na,
    ip6,
    make_engine,
    message,
    relay_meta,
    relayed,
    subnet6,
)

LAN = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff")
REMOTE = subnet6(2, "2001:db8:2::/64", "2001:db8:2::100 - 2001:db8:2::1ff", interface="")
BY_RELAY = subnet6(3, "2001:db8:3::/64", "2001:db8:3::100 - 2001:db8:3::1ff", interface="",
                   relay_addresses=(ip6("2001:db8:77::1"),))  # fmt: skip
BY_IID = subnet6(
    4, "2001:db8:4::/64", "2001:db8:4::100 - 2001:db8:4::1ff", interface="", interface_id=b"port-7"
)


def test_relayed_solicit_selects_by_link_address_and_is_wrapped_in_relay_repl() -> None:
    engine, _ = make_engine(config6(LAN, REMOTE))
    q = relayed(message(SOLICIT, duid_ll(1), ia_na(1)), link="2001:db8:2::1", interface_id=b"eth7")
    d = engine.process(q, NOW, relay_meta())
    assert isinstance(d.reply, RelayMessage6)
    assert d.reply.msg_type == RELAY_REPL
    assert (d.reply.link_address, d.reply.peer_address) == (ip6("2001:db8:2::1"), ip6("fe80::200:ff:fe00:1"))
    assert d.reply.options == [(OPTION_INTERFACE_ID, b"eth7")]  # RFC 8415 19.3: echoed
    assert addr_of(d).startswith("2001:db8:2::")
    # to the relay's source address, port 547
    assert (d.destination, d.port) == (ip6("2001:db8:ffff::1"), 547)
    # and it encodes into a real Relay-repl datagram
    parsed = Packet6.parse(d.reply.to_bytes())
    assert isinstance(parsed, RelayMessage6) and isinstance(parsed.inner, Packet6)


def test_nested_relays_use_the_innermost_link_address_and_mirror_every_level() -> None:
    engine, _ = make_engine(config6(LAN, REMOTE))
    inner = relayed(message(SOLICIT, duid_ll(1), ia_na(1)), link="2001:db8:2::1", interface_id=b"in")
    outer = relayed(inner, link="2001:db8:1::1", peer="2001:db8:2::1", hops=1, interface_id=b"out")
    d = engine.process(outer, NOW, relay_meta())
    assert addr_of(d).startswith("2001:db8:2::")
    assert isinstance(d.reply, RelayMessage6) and isinstance(d.reply.inner, RelayMessage6)
    assert d.reply.hop_count == 1 and d.reply.options == [(OPTION_INTERFACE_ID, b"out")]
    assert d.reply.inner.hop_count == 0 and d.reply.inner.options == [(OPTION_INTERFACE_ID, b"in")]


def test_lightweight_relay_without_link_address_falls_back_to_the_next_relay() -> None:
    engine, _ = make_engine(config6(LAN, REMOTE))
    ldra = relayed(message(SOLICIT, duid_ll(1), ia_na(1)), link="::")
    outer = relayed(ldra, link="2001:db8:2::1", peer="fe80::1", hops=1)
    assert addr_of(engine.process(outer, NOW, relay_meta())).startswith("2001:db8:2::")


def test_relay_ip_addresses_select_a_subnet_before_prefixes() -> None:
    engine, _ = make_engine(config6(REMOTE, BY_RELAY))
    q = relayed(message(SOLICIT, duid_ll(1), ia_na(1)), link="2001:db8:77::1")
    assert addr_of(engine.process(q, NOW, relay_meta())).startswith("2001:db8:3::")


def test_interface_id_selects_its_subnet() -> None:
    engine, _ = make_engine(config6(REMOTE, BY_IID))
    q = relayed(message(SOLICIT, duid_ll(1), ia_na(1)), link="2001:db8:2::1", interface_id=b"port-7")
    assert addr_of(engine.process(q, NOW, relay_meta())).startswith("2001:db8:4::")


def test_relay_source_port_gets_the_reply_on_its_port() -> None:
    engine, _ = make_engine(config6(REMOTE))
    q = relayed(message(SOLICIT, duid_ll(1), ia_na(1)), link="2001:db8:2::1",
                extra=[(OPTION_RELAY_SOURCE_PORT, (1547).to_bytes(2, "big"))])  # fmt: skip
    d = engine.process(q, NOW, relay_meta(port=1547))
    assert d.port == 1547


def test_relay_from_an_unknown_link_gets_no_addrs_avail() -> None:
    engine, _ = make_engine(config6(LAN))
    q = relayed(message(SOLICIT, duid_ll(1), ia_na(1)), link="2001:db8:99::1")
    d = engine.process(q, NOW, relay_meta())
    reply = d.reply
    assert isinstance(reply, RelayMessage6) and isinstance(reply.inner, Packet6)
    assert reply.inner.ia_na[0].status is not None
    assert reply.inner.ia_na[0].status.message == "Server could not select subnet for this client"


def test_direct_client_is_placed_by_the_receiving_interface() -> None:
    eth1 = subnet6(5, "2001:db8:5::/64", "2001:db8:5::100 - 2001:db8:5::1ff", interface="eth1")
    engine, _ = make_engine(config6(LAN, eth1))
    assert addr_of(
        engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta("eth1"))
    ).startswith("2001:db8:5::")
    assert addr_of(
        engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta("eth0"))
    ).startswith("2001:db8:1::")


def test_unicast_solicit_from_a_direct_client_is_dropped() -> None:
    engine, _ = make_engine(config6(LAN))
    d = engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta(multicast=False))
    assert d.reply is None and d.drop_reason is not None and "unicast" in d.drop_reason


def test_shared_network_moves_to_the_next_subnet_when_the_first_is_full() -> None:
    a = subnet6(10, "2001:db8:a::/64", "2001:db8:a::1 - 2001:db8:a::1", interface="", shared_network="net")
    b = subnet6(11, "2001:db8:b::/64", "2001:db8:b::1 - 2001:db8:b::1", interface="", shared_network="net")
    net = SharedNetwork6("net", (a, b), interface="eth0")
    engine, store = make_engine(config6(networks=[net]))
    first = engine.process(message(REQUEST, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    second = engine.process(message(REQUEST, duid_ll(2), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    assert {addr_of(first), addr_of(second)} == {"2001:db8:a::1", "2001:db8:b::1"}
    assert {le.subnet_id for le in store.all()} == {10, 11}
    # the shared network has no more room
    third = engine.process(message(SOLICIT, duid_ll(3), ia_na(1)), NOW, direct_meta())
    assert ("v6-allocation-fail-shared-network", 1) in third.stats
