"""hakea.dhcp6.wire / ia / build: parse and build DHCPv6 messages.

Real bytes: Solicits and an Information-request sent by ISC dhclient 4.4.3-P1 (`dhclient -6`,
captured in a private network namespace), and Advertise/Relay-repl messages sent by Debian's
kea-dhcp6 2.2.0 for the relayed queries written out below. The parse rules (what is malformed)
follow what kea-dhcp6 2.2.0 answered or dropped, query by query (see KEA_ACCEPTS / KEA_DROPS).
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hakea.dhcp6.build import (
    RELAY_ECHOED,
    elapsed_time_option,
    ia_na_option,
    ia_pd_option,
    interface_id_option,
    kea_order,
    oro_option,
    preference_option,
    rapid_commit_option,
    relay_reply,
    reply_to,
    unicast_option,
)
from hakea.dhcp6.ia import INFINITY, IaAddress, IaNa, IaPd, IaPrefix, IaTa, Status, StatusCode, status_option
from hakea.dhcp6.tlv import encode_options, first, parse_options
from hakea.dhcp6.wire import (
    ADVERTISE,
    HOP_COUNT_LIMIT,
    INFORMATION_REQUEST,
    MAX_RELAY_NESTING,
    RELAY_FORW,
    RELAY_REPL,
    REPLY,
    SOLICIT,
    MalformedPacket6,
    MessageType6,
    Packet6,
    RelayMessage6,
    parse_message,
    unwrap,
)

# --- bytes written by hand (RFC 8415 figures 2 and 3), not with the codec -------------------


def opt(code: int, payload: bytes) -> bytes:
    return struct.pack("!HH", code, len(payload)) + payload


def msg(msg_type: int, xid: int, *options: bytes) -> bytes:
    return bytes((msg_type,)) + xid.to_bytes(3, "big") + b"".join(options)


def relay_forw(inner: bytes, *options: bytes, hops: int = 0, link: int = 0, peer: int = 0) -> bytes:
    head = bytes((RELAY_FORW, hops)) + link.to_bytes(16, "big") + peer.to_bytes(16, "big")
    return head + b"".join(options) + opt(9, inner)


def ip6(text: str) -> int:
    import ipaddress

    return int(ipaddress.IPv6Address(text))


DUID = bytes.fromhex("000100012a2b2c2d020000000042")  # DUID-LLT, ethernet 02:00:00:00:00:42
IA_NA_7 = struct.pack("!III", 7, 0, 0)
IA_PD_9 = struct.pack("!III", 9, 0, 0)
LINK, PEER = ip6("2001:db8:1::1"), ip6("fe80::2")

# --- real messages ------------------------------------------------------------------------------

# dhclient -6 (no flags): client-id DUID-LLT, ORO (dns-servers 23, domain-search 24, 39, 31),
# elapsed time 0, IA_NA iaid 0x42 with T1 3600 / T2 5400 hints.
DHCLIENT_SOLICIT = bytes.fromhex(
    "019e2c840001000e00010001329b6ef002000000004200060008001700180027001f00080002000000"
    "03000c0000004200000e1000001518"
)
# dhclient -6 -N -P: an IA_NA and an IA_PD.
DHCLIENT_SOLICIT_NA_PD = bytes.fromhex(
    "0175d4a00001000e00010001329b6ef102000000004200060008001700180027001f00080002000000"
    "03000c0000004200000e10000015180019000c0000004200000e1000001518"
)
# dhclient -6 -S: Information-request with a DUID-LL.
DHCLIENT_INFO_REQUEST = bytes.fromhex(
    "0b7b23c60001000a0003000102000000004200060008001700180027001f000800020000"
)

# The query: Relay-forw(link 2001:db8:1::1, peer fe80::2, Solicit(xid 0a0b0c: client-id, ORO 23,
# elapsed 0, IA_NA 7, IA_PD 9)); kea-dhcp6 2.2.0 (dns-servers 2001:db8::1, a /64 pool, a /48
# pd-pool delegating /56) answered KEA_ADVERTISE.
KEA_QUERY = relay_forw(
    msg(
        SOLICIT,
        0x0A0B0C,
        opt(1, DUID),
        opt(6, b"\x00\x17"),
        opt(8, b"\0\0"),
        opt(3, IA_NA_7),
        opt(25, IA_PD_9),
    ),
    link=LINK,
    peer=PEER,
)
KEA_ADVERTISE = bytes.fromhex(
    "0d0020010db8000100000000000000000001fe80000000000000000000000000000200090091020a0b0c"
    "0001000e000100012a2b2c2d0200000000420002000a00030001020000000001"
    "00030028000000070000070800000b400005001820010db8000100000000000000000010"
    "00000e1000001c20"
    "0017001020010db8000000000000000000000001"
    "00190029000000090000070800000b40001a001900000e1000001c203820010db8000800000000000000000000"
)
KEA_SERVER_ID = bytes.fromhex("00030001020000000001")

# Relay options echoed: the Relay-forw held remote-id (37), the relay message, interface-id
# "eth7" and relay-source-port 547, in that order; Kea's Relay-repl holds 18 and 135, then 9.
ECHO_INNER = msg(SOLICIT, 0x0A0B0C, opt(1, DUID), opt(6, b"\x00\x17"), opt(8, b"\0\0"), opt(3, IA_NA_7))
ECHO_QUERY = (
    bytes((RELAY_FORW, 0))
    + LINK.to_bytes(16, "big")
    + PEER.to_bytes(16, "big")
    + opt(37, bytes.fromhex("0000000901020304"))
    + opt(9, ECHO_INNER)
    + opt(18, b"eth7")
    + opt(135, b"\x02\x23")
)
KEA_ECHO_REPLY = bytes.fromhex(
    "0d0020010db8000100000000000000000001fe80000000000000000000000000000200120004657468370087"
    "0002022300090064020a0b0c0001000e000100012a2b2c2d0200000000420002000a00030001020000000001"
    "00030028000000070000070800000b400005001820010db800010000000000000000001900000e1000001c20"
    "0017001020010db8000000000000000000000001"
)

# Two relays (interface-ids "L0" next to the client, hop 0; "L1" outside, hop 1).
NESTED_INNER = msg(SOLICIT, 0x0A0B0C, opt(1, DUID), opt(8, b"\0\0"), opt(3, IA_NA_7))
NESTED_QUERY = relay_forw(
    relay_forw(NESTED_INNER, opt(18, b"L0"), link=LINK, peer=PEER), opt(18, b"L1"), hops=1, peer=PEER
)
KEA_NESTED_REPLY = bytes.fromhex(
    "0d0100000000000000000000000000000000fe800000000000000000000000000002001200024c310009007c"
    "0d0020010db8000100000000000000000001fe800000000000000000000000000002001200024c3000090050"
    "020a0b0c0001000e000100012a2b2c2d0200000000420002000a000300010200000000010003002800000007"
    "0000070800000b400005001820010db800010000000000000000001600000e1000001c20"
)


def parse_client(data: bytes) -> Packet6:
    m = Packet6.parse(data)
    assert isinstance(m, Packet6)
    return m


def parse_relay(data: bytes) -> RelayMessage6:
    m = Packet6.parse(data)
    assert isinstance(m, RelayMessage6)
    return m


# --- message types ------------------------------------------------------------------------------


def test_message_type_values() -> None:
    assert [t.value for t in MessageType6] == list(range(1, 14))
    assert MessageType6(11).name == "INFORMATION_REQUEST"
    assert (SOLICIT, ADVERTISE, REPLY, RELAY_FORW, RELAY_REPL) == (1, 2, 7, 12, 13)
    assert HOP_COUNT_LIMIT == MAX_RELAY_NESTING == 32


# --- real client messages -------------------------------------------------------------------


def test_dhclient_solicit() -> None:
    m = parse_client(DHCLIENT_SOLICIT)
    assert (m.msg_type, m.transaction_id) == (SOLICIT, 0x9E2C84)
    assert m.client_id == bytes.fromhex("00010001329b6ef0020000000042")
    assert m.server_id is None
    assert m.oro == [23, 24, 39, 31]
    assert m.elapsed_time == 0
    assert m.ia_na == [IaNa(0x42, 3600, 5400)]
    assert m.ia_pd == [] and m.ia_ta == [] and not m.rapid_commit
    assert [code for code, _ in m.options] == [1, 6, 8, 3]
    assert m.to_bytes() == DHCLIENT_SOLICIT


def test_dhclient_solicit_na_pd() -> None:
    m = parse_client(DHCLIENT_SOLICIT_NA_PD)
    assert m.ia_na == [IaNa(0x42, 3600, 5400)]
    assert m.ia_pd == [IaPd(0x42, 3600, 5400)]
    assert m.to_bytes() == DHCLIENT_SOLICIT_NA_PD


def test_dhclient_information_request() -> None:
    m = parse_client(DHCLIENT_INFO_REQUEST)
    assert m.msg_type == INFORMATION_REQUEST
    assert m.client_id == bytes.fromhex("00030001020000000042")
    assert m.ia_na == [] and m.oro == [23, 24, 39, 31]
    assert m.to_bytes() == DHCLIENT_INFO_REQUEST


def test_built_solicit_matches_dhclient() -> None:
    """The same Solicit written with the codec's builders gives dhclient's bytes."""
    built = Packet6(
        SOLICIT,
        0x9E2C84,
        [
            (1, bytes.fromhex("00010001329b6ef0020000000042")),
            oro_option([23, 24, 39, 31]),
            elapsed_time_option(0),
            IaNa(0x42, 3600, 5400).to_option(),
        ],
    )
    assert built.to_bytes() == DHCLIENT_SOLICIT


# --- Kea's answers, parsed and rebuilt byte for byte -----------------------------------------


def test_kea_advertise_parses() -> None:
    r = parse_relay(KEA_ADVERTISE)
    assert (r.msg_type, r.hop_count, r.link_address, r.peer_address, r.options) == (
        RELAY_REPL,
        0,
        LINK,
        PEER,
        [],
    )
    a = r.inner
    assert isinstance(a, Packet6)
    assert (a.msg_type, a.transaction_id, a.client_id, a.server_id) == (
        ADVERTISE,
        0x0A0B0C,
        DUID,
        KEA_SERVER_ID,
    )
    assert a.ia_na == [IaNa(7, 1800, 2880, [IaAddress(ip6("2001:db8:1::10"), 3600, 7200)])]
    assert a.ia_pd == [IaPd(9, 1800, 2880, [IaPrefix(ip6("2001:db8:8::"), 56, 3600, 7200)])]
    assert a.get(23) == ip6("2001:db8::1").to_bytes(16, "big")
    assert r.to_bytes() == KEA_ADVERTISE


def test_builders_reproduce_kea_advertise() -> None:
    forw = parse_relay(KEA_QUERY)
    query = forw.innermost
    answer = reply_to(query, ADVERTISE, KEA_SERVER_ID)
    answer.options += [
        ia_pd_option(9, 1800, 2880, [(ip6("2001:db8:8::"), 56, 3600, 7200)]),
        (23, ip6("2001:db8::1").to_bytes(16, "big")),
        ia_na_option(7, 1800, 2880, [(ip6("2001:db8:1::10"), 3600, 7200)]),
    ]
    kea_order(answer.options)
    assert relay_reply(forw, answer).to_bytes() == KEA_ADVERTISE


def test_relay_reply_echoes_interface_id_and_source_port() -> None:
    forw = parse_relay(ECHO_QUERY)
    assert [code for code, _ in forw.options] == [37, 18, 135]  # the relay message is `inner`
    assert forw.interface_id == b"eth7" and forw.relay_source_port == 547
    kea = parse_relay(KEA_ECHO_REPLY)
    rebuilt = relay_reply(forw, kea.innermost)
    assert rebuilt.options == [(18, b"eth7"), (135, b"\x02\x23")]
    assert rebuilt.to_bytes() == KEA_ECHO_REPLY
    assert frozenset({18, 135}) == RELAY_ECHOED


def test_relay_reply_mirrors_a_nested_chain() -> None:
    forw = parse_relay(NESTED_QUERY)
    assert [(r.hop_count, r.interface_id) for r in forw.relays] == [(1, b"L1"), (0, b"L0")]
    kea = parse_relay(KEA_NESTED_REPLY)
    rebuilt = relay_reply(forw, kea.innermost)
    assert rebuilt == kea
    assert rebuilt.to_bytes() == KEA_NESTED_REPLY
    assert relay_reply(forw.relays, kea.innermost) == kea  # the chain as a list works too


def test_relay_reply_needs_a_relay() -> None:
    with pytest.raises(ValueError, match="at least one relay"):
        relay_reply([], Packet6(REPLY))


def test_relay_repl_custom_echo_set() -> None:
    forw = parse_relay(ECHO_QUERY)
    assert relay_reply(forw, Packet6(REPLY), echoed={37}).options == [(37, bytes.fromhex("0000000901020304"))]


# --- relays -------------------------------------------------------------------------------------


def test_unwrap_and_relays_order() -> None:
    forw = parse_relay(NESTED_QUERY)
    inner, relays = unwrap(forw)
    assert inner == forw.innermost and inner.transaction_id == 0x0A0B0C
    assert relays == forw.relays and relays[0] is forw and relays[1] is forw.inner
    assert relays[1].link_address == LINK and relays[0].link_address == 0
    assert unwrap(inner) == (inner, [])


def test_relay_message_option_position_and_duplicates() -> None:
    """Kea uses the first relay message option and ignores a second one (observed: answered);
    to_bytes puts the relay message last, as Kea does."""
    inner = msg(SOLICIT, 1, opt(1, DUID))
    other = msg(SOLICIT, 2, opt(1, DUID))
    head = bytes((RELAY_FORW, 0)) + bytes(32)
    r = parse_relay(head + opt(9, inner) + opt(18, b"x") + opt(9, other))
    assert r.inner == parse_client(inner) and r.options == [(18, b"x")]
    assert r.to_bytes() == head + opt(18, b"x") + opt(9, inner)


def test_relay_to_bytes_refuses_relay_message_in_options() -> None:
    r = RelayMessage6(RELAY_FORW, 0, 0, 0, [(9, b"")], Packet6(SOLICIT))
    with pytest.raises(ValueError, match="relay message"):
        r.to_bytes()


def nest(levels: int) -> bytes:
    data = msg(SOLICIT, 1, opt(1, DUID))
    for i in range(levels):
        data = relay_forw(data, opt(18, b"L%d" % i), hops=i)
    return data


def test_nesting_limit_is_kea_s() -> None:
    """kea-dhcp6 2.2.0 answered 32 nested Relay-forw and dropped 33 and 34 (observed)."""
    deepest = parse_relay(nest(32))
    assert len(deepest.relays) == 32
    assert deepest.relays[-1].interface_id == b"L0" and deepest.hop_count == 31
    assert deepest.to_bytes() == nest(32)
    for levels in (33, 34, 100):
        with pytest.raises(MalformedPacket6, match="nested deeper than 32"):
            Packet6.parse(nest(levels))


def test_hop_count_values_are_not_checked() -> None:
    # Kea answered a single Relay-forw with hop-count 32 and with 255 (observed).
    assert parse_relay(relay_forw(msg(SOLICIT, 1), hops=255)).hop_count == 255


def test_relay_repl_inside_relay_forw_parses() -> None:
    data = relay_forw(bytes((RELAY_REPL, 0)) + bytes(32) + opt(9, msg(SOLICIT, 1)))
    r = parse_relay(data)
    assert isinstance(r.inner, RelayMessage6) and r.inner.msg_type == RELAY_REPL


# --- options --------------------------------------------------------------------------------


def test_options_keep_order_and_duplicates() -> None:
    data = msg(REPLY, 5, opt(23, b"a" * 16), opt(1, DUID), opt(23, b"b" * 16), opt(300, b""), opt(0, b"z"))
    m = parse_client(data)
    assert m.options == [(23, b"a" * 16), (1, DUID), (23, b"b" * 16), (300, b""), (0, b"z")]
    assert m.get(23) == b"a" * 16 and m.get_all(23) == [b"a" * 16, b"b" * 16] and m.get(24) is None
    assert m.get_all(24) == []
    assert m.to_bytes() == data


def test_typed_accessors() -> None:
    m = Packet6(
        REPLY,
        1,
        [
            preference_option(255),
            unicast_option(ip6("2001:db8::9")),
            rapid_commit_option(),
            status_option(Status.USE_MULTICAST, "use multicast"),
            elapsed_time_option(123456),  # capped at 0xffff
            interface_id_option(b"ignored at top level"),
        ],
    )
    m = parse_client(m.to_bytes())
    assert m.preference == 255 and m.unicast == ip6("2001:db8::9") and m.rapid_commit
    assert m.status == StatusCode(Status.USE_MULTICAST, "use multicast")
    assert m.elapsed_time == 0xFFFF
    empty = Packet6(SOLICIT)
    assert (empty.preference, empty.unicast, empty.status, empty.elapsed_time, empty.oro) == (
        None,
        None,
        None,
        None,
        [],
    )
    assert empty.client_id is None and Packet6(SOLICIT, 0, [(1, b"")]).client_id is None


def test_longer_fixed_options_read_their_first_bytes() -> None:
    # Kea answered an elapsed time of 3 bytes, a preference of 2 and a unicast of 17 (observed).
    m = parse_client(
        msg(SOLICIT, 1, opt(8, b"\x01\x02\x03"), opt(7, b"\x05\x06"), opt(12, bytes(15) + b"\x01\xff"))
    )
    assert (m.elapsed_time, m.preference, m.unicast) == (0x0102, 5, 1)


# What kea-dhcp6 2.2.0 answered (accepts) or dropped, as a relayed Solicit with client-id and
# IA_NA 7 plus the option shown (or with the shown change).
SOLICIT_BASE = (opt(1, DUID), opt(8, b"\0\0"))
KEA_ACCEPTS = {
    "truncated trailing option": msg(SOLICIT, 1, *SOLICIT_BASE, opt(3, IA_NA_7))
    + bytes.fromhex("001700102001"),
    "2 trailing bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(3, IA_NA_7)) + b"\x00\x17",
    "IA_NA with 3 junk bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(3, IA_NA_7 + b"\x00\x05\x00")),
    "IAADDR of 25 bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(3, IA_NA_7 + opt(5, bytes(25)))),
    "IAPREFIX length 200": msg(
        SOLICIT, 1, *SOLICIT_BASE, opt(25, IA_PD_9 + opt(26, bytes(8) + b"\xc8" + bytes(16)))
    ),
    "rapid commit with data": msg(SOLICIT, 1, *SOLICIT_BASE, opt(14, b"ab")),
    "unknown option 300": msg(SOLICIT, 1, *SOLICIT_BASE, opt(300, b"xyz")),
    "empty message": msg(SOLICIT, 1),
}
KEA_DROPS = {
    "elapsed time of 1 byte": msg(SOLICIT, 1, opt(1, DUID), opt(8, b"\0")),
    "IA_NA of 11 bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(3, bytes(11))),
    "IA_TA of 3 bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(4, bytes(3))),
    "IA_PD of 11 bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(25, bytes(11))),
    "odd ORO": msg(SOLICIT, 1, *SOLICIT_BASE, opt(6, b"\x00\x17\x00")),
    "empty ORO": msg(SOLICIT, 1, *SOLICIT_BASE, opt(6, b"")),
    "unicast of 4 bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(12, bytes(4))),
    "status code of 1 byte": msg(SOLICIT, 1, *SOLICIT_BASE, opt(13, b"\0")),
    "IAADDR of 20 bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(3, IA_NA_7 + opt(5, bytes(20)))),
    "IAPREFIX of 24 bytes": msg(SOLICIT, 1, *SOLICIT_BASE, opt(25, IA_PD_9 + opt(26, bytes(24)))),
    "status of 1 byte in IA_NA": msg(SOLICIT, 1, *SOLICIT_BASE, opt(3, IA_NA_7 + opt(13, b"\0"))),
    "status of 1 byte in IAADDR": msg(
        SOLICIT, 1, *SOLICIT_BASE, opt(3, IA_NA_7 + opt(5, bytes(24) + opt(13, b"\0")))
    ),
    "message of 3 bytes": b"\x01\x00\x00",
}


@pytest.mark.parametrize("data", KEA_ACCEPTS.values(), ids=KEA_ACCEPTS.keys())
def test_parses_what_kea_answers(data: bytes) -> None:
    for wire in (data, relay_forw(data, link=LINK, peer=PEER)):
        m = Packet6.parse(wire)
        inner = unwrap(m)[0]
        inner.ia_na, inner.ia_pd, inner.status, inner.oro, inner.elapsed_time  # noqa: B018


@pytest.mark.parametrize("data", KEA_DROPS.values(), ids=KEA_DROPS.keys())
def test_refuses_what_kea_drops(data: bytes) -> None:
    for wire in (data, relay_forw(data, link=LINK, peer=PEER)):
        with pytest.raises(MalformedPacket6):
            Packet6.parse(wire)


def test_relay_framing_errors() -> None:
    whole = relay_forw(msg(SOLICIT, 1, opt(1, DUID)))
    for bad, reason in (
        (whole[:33], "truncated relay header"),
        (whole[:34] + opt(18, b"a"), "without a relay message"),
        (whole[:34] + opt(9, b"\x01\x02\x03"), "truncated relayed message"),
        (b"", "truncated header"),
    ):
        with pytest.raises(MalformedPacket6, match=reason):
            Packet6.parse(bad)
    # Kea answered both: junk after the relay message, a truncated interface-id at the end.
    assert parse_relay(whole + b"\x00\x12\x00").options == []
    assert parse_relay(whole + b"\x00\x12\x00\x09ab").options == []


def test_parse_accepts_bytearray_and_memoryview() -> None:
    assert Packet6.parse(bytearray(DHCLIENT_SOLICIT)) == Packet6.parse(memoryview(DHCLIENT_SOLICIT))
    assert RelayMessage6.parse(KEA_ADVERTISE) == parse_message(KEA_ADVERTISE)


def test_to_bytes_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="24 bits"):
        Packet6(SOLICIT, 1 << 24).to_bytes()
    with pytest.raises(ValueError, match="message type"):
        Packet6(256).to_bytes()
    with pytest.raises(ValueError, match="too long"):
        Packet6(REPLY, 0, [(23, bytes(65536))]).to_bytes()
    with pytest.raises(ValueError, match="out of range"):
        Packet6(REPLY, 0, [(65536, b"")]).to_bytes()


def test_tlv_helpers() -> None:
    data = opt(1, b"ab") + opt(2, b"") + opt(1, b"c")
    assert parse_options(data, 0, len(data)) == [(1, b"ab"), (2, b""), (1, b"c")]
    assert parse_options(data, 0, len(data) - 1) == [(1, b"ab"), (2, b"")]  # truncated tail dropped
    assert bytes(encode_options([(1, b"ab"), (2, b""), (1, b"c")])) == data
    assert first([(1, b"ab"), (1, b"c")], 1) == b"ab" and first([], 1) is None


# --- IA options ---------------------------------------------------------------------------------


def test_ia_na_with_address_and_status() -> None:
    ia = IaNa(
        0x01020304,
        100,
        200,
        [IaAddress(ip6("2001:db8::1"), 300, 400, [status_option(Status.SUCCESS, "ok")])],
        [status_option(Status.NOT_ON_LINK, "not here")],
    )
    wire = ia.encode()
    expected = (
        struct.pack("!III", 0x01020304, 100, 200)
        + opt(
            5, ip6("2001:db8::1").to_bytes(16, "big") + struct.pack("!II", 300, 400) + opt(13, b"\x00\x00ok")
        )
        + opt(13, b"\x00\x04not here")
    )
    assert wire == expected
    back = IaNa.decode(wire)
    assert back == ia
    assert back.status == StatusCode(Status.NOT_ON_LINK, "not here")
    assert back.addresses[0].status == StatusCode(0, "ok")


def test_ia_pd_and_ia_ta() -> None:
    pd = IaPd(1, 2, 3, [IaPrefix(ip6("2001:db8:8::"), 56, INFINITY, INFINITY)])
    assert IaPd.decode(pd.encode()) == pd
    assert pd.encode()[12:] == opt(
        26, struct.pack("!IIB", INFINITY, INFINITY, 56) + ip6("2001:db8:8::").to_bytes(16, "big")
    )
    ta = IaTa(9, [IaAddress(5, 6, 7)])
    assert IaTa.decode(ta.encode()) == ta and ta.to_option()[0] == 4
    assert IaTa.decode(b"\x00\x00\x00\x09") == IaTa(9)
    assert pd.status is None and ta.status is None and pd.prefixes[0].status is None


def test_ia_prefix_length_checked_when_building() -> None:
    with pytest.raises(ValueError, match="prefix length"):
        IaPrefix(0, 129, 0, 0).encode()


def test_no_addrs_avail_answer() -> None:
    code, payload = ia_na_option(7, 0, 0, status=(Status.NO_ADDRS_AVAIL, "No addresses available"))
    assert code == 3
    assert payload == IA_NA_7 + opt(13, b"\x00\x02No addresses available")
    code, payload = ia_pd_option(9, 0, 0, status=(Status.NO_PREFIX_AVAIL, ""))
    assert (code, payload) == (25, IA_PD_9 + opt(13, b"\x00\x06"))


def test_status_code_text_is_utf8_and_bad_bytes_replaced() -> None:
    assert StatusCode(0, "été").encode() == b"\x00\x00\xc3\xa9t\xc3\xa9"
    assert StatusCode.decode(b"\x00\x01\xffok") == StatusCode(1, "\ufffdok")
    assert StatusCode(2, "x").to_option() == status_option(2, "x")
    with pytest.raises(MalformedPacket6):
        StatusCode.decode(b"\x00")


def test_reply_to_without_client_id() -> None:
    r = reply_to(Packet6(INFORMATION_REQUEST, 0x123456, []), REPLY, b"srv")
    assert (r.msg_type, r.transaction_id, r.options) == (REPLY, 0x123456, [(2, b"srv")])


def test_kea_order_is_stable() -> None:
    opts = [(25, b"p"), (23, b"d"), (3, b"a"), (2, b"s"), (3, b"b"), (1, b"c")]
    assert kea_order(opts) == [(1, b"c"), (2, b"s"), (3, b"a"), (3, b"b"), (23, b"d"), (25, b"p")]


# --- properties (hypothesis) ----------------------------------------------------------------

u32 = st.integers(0, 0xFFFFFFFF)
addr = st.integers(0, (1 << 128) - 1)
payloads = st.binary(max_size=40)
plain_options = st.lists(
    st.tuples(st.integers(0, 0xFFFF).filter(lambda c: c not in (3, 4, 6, 7, 8, 12, 13, 25)), payloads),
    max_size=6,
)
sub_options = st.lists(st.tuples(st.integers(27, 0xFFFF), payloads), max_size=2)
addresses = st.builds(IaAddress, addr, u32, u32, sub_options)
prefixes = st.builds(IaPrefix, addr, st.integers(0, 128), u32, u32, sub_options)
ia_nas = st.builds(IaNa, u32, u32, u32, st.lists(addresses, max_size=3), sub_options)
ia_pds = st.builds(IaPd, u32, u32, u32, st.lists(prefixes, max_size=3), sub_options)
ia_tas = st.builds(IaTa, u32, st.lists(addresses, max_size=2), sub_options)


@st.composite
def client_messages(draw: st.DrawFn) -> Packet6:
    options = draw(plain_options)
    options += [ia.to_option() for ia in draw(st.lists(ia_nas, max_size=2))]
    options += [ia.to_option() for ia in draw(st.lists(ia_pds, max_size=2))]
    options += [ia.to_option() for ia in draw(st.lists(ia_tas, max_size=1))]
    options = draw(st.permutations(options))
    msg_type = draw(st.integers(0, 255).filter(lambda t: t not in (RELAY_FORW, RELAY_REPL)))
    return Packet6(msg_type, draw(st.integers(0, 0xFFFFFF)), list(options))


relay_options = st.lists(st.tuples(st.integers(0, 0xFFFF).filter(lambda c: c != 9), payloads), max_size=3)


@st.composite
def messages(draw: st.DrawFn) -> Packet6 | RelayMessage6:
    m: Packet6 | RelayMessage6 = draw(client_messages())
    for _ in range(draw(st.integers(0, 3))):  # deep chains: test_deep_nesting
        m = RelayMessage6(
            draw(st.sampled_from((RELAY_FORW, RELAY_REPL))),
            draw(st.integers(0, 255)),
            draw(addr),
            draw(addr),
            draw(relay_options),
            m,
        )
    return m


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_round_trip(m: Packet6 | RelayMessage6) -> None:
    wire = m.to_bytes()
    back = Packet6.parse(wire)
    assert back == m
    assert back.to_bytes() == wire
    inner = unwrap(back)[0]
    assert [ia.to_option() for ia in inner.ia_na] == [o for o in inner.options if o[0] == 3]
    assert [ia.to_option() for ia in inner.ia_pd] == [o for o in inner.options if o[0] == 25]


@given(ia_nas)
def test_ia_na_round_trip(ia: IaNa) -> None:
    assert IaNa.decode(ia.encode()) == ia


@given(ia_pds)
def test_ia_pd_round_trip(ia: IaPd) -> None:
    assert IaPd.decode(ia.encode()) == ia


def check_hostile(data: bytes) -> None:
    """Parse raises MalformedPacket6 or gives a message whose accessors work and whose encoding
    parses back to the same thing."""
    try:
        m = Packet6.parse(data)
    except MalformedPacket6:
        return
    inner, relays = unwrap(m)
    assert len(relays) <= MAX_RELAY_NESTING
    inner.ia_na, inner.ia_ta, inner.ia_pd, inner.status, inner.oro  # noqa: B018
    inner.elapsed_time, inner.preference, inner.unicast, inner.client_id, inner.rapid_commit  # noqa: B018
    for relay in relays:
        relay.interface_id, relay.relay_source_port  # noqa: B018
    for ia in inner.ia_na:
        assert all(a.status is None or a.status.code >= 0 for a in ia.addresses)
    again = Packet6.parse(m.to_bytes())
    assert again == m


@settings(max_examples=800)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    check_hostile(data)


@settings(max_examples=500)
@given(st.integers(0, 255), st.binary(max_size=120))
def test_random_relay_bytes(msg_type: int, data: bytes) -> None:
    check_hostile(bytes((RELAY_FORW if msg_type & 1 else RELAY_REPL,)) + data)


SEEDS = [DHCLIENT_SOLICIT, DHCLIENT_SOLICIT_NA_PD, DHCLIENT_INFO_REQUEST, KEA_ADVERTISE, KEA_ECHO_REPLY,
         KEA_NESTED_REPLY, ECHO_QUERY, NESTED_QUERY, KEA_QUERY]  # fmt: skip


@settings(max_examples=500)
@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(st.integers(0, 1000), st.integers(0, 255), st.sampled_from(("set", "insert", "delete"))),
        max_size=6,
    ),
    st.integers(0, 1000),
)
def test_mutated_real_messages(seed: bytes, edits: list[tuple[int, int, str]], cut: int) -> None:
    data = bytearray(seed)
    for pos, value, kind in edits:
        at = pos % (len(data) + 1)
        if kind == "insert":
            data.insert(at, value)
        elif data and at < len(data):
            if kind == "set":
                data[at] = value
            else:
                del data[at]
    check_hostile(bytes(data[: len(data) - cut % 40]))


@settings(max_examples=200)
@given(st.integers(1, 60), st.integers(0, 255))
def test_deep_nesting(levels: int, hops: int) -> None:
    data = msg(SOLICIT, 1, opt(1, DUID))
    for _ in range(levels):
        data = relay_forw(data, hops=hops)
    if levels <= MAX_RELAY_NESTING:
        assert len(parse_relay(data).relays) == levels
    else:
        with pytest.raises(MalformedPacket6):
            Packet6.parse(data)
