"""hakea.dhcp4.wire: parse/build of DHCPv4 packets, with real bytes from dhclient and Kea 2.2."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hakea.dhcp4.wire import (
    BOOTP_MIN_LEN,
    DHCPACK,
    DHCPDISCOVER,
    DHCPINFORM,
    DHCPNAK,
    DHCPOFFER,
    DHCPREQUEST,
    MAGIC_COOKIE,
    MalformedPacket,
    MessageType,
    Packet4,
    encode_options,
    encode_suboptions,
    parse_suboptions,
)

COOKIE = bytes.fromhex("63825363")


def ip(text: str) -> int:
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


def header(
    *,
    op: int = 1,
    htype: int = 1,
    hlen: int = 6,
    hops: int = 0,
    xid: int = 0x11223344,
    secs: int = 0,
    flags: int = 0,
    ciaddr: int = 0,
    yiaddr: int = 0,
    siaddr: int = 0,
    giaddr: int = 0,
    chaddr: bytes = bytes.fromhex("001122334455"),
    sname: bytes = b"",
    file: bytes = b"",
) -> bytes:
    """The 236-byte BOOTP header, written field by field (RFC 2131 figure 1), not with the codec."""
    return (
        bytes((op, htype, hlen, hops))
        + xid.to_bytes(4, "big")
        + secs.to_bytes(2, "big")
        + flags.to_bytes(2, "big")
        + b"".join(a.to_bytes(4, "big") for a in (ciaddr, yiaddr, siaddr, giaddr))
        + chaddr.ljust(16, b"\x00")
        + sname.ljust(64, b"\x00")
        + file.ljust(128, b"\x00")
    )


# A DHCPDISCOVER sent by ISC dhclient 4.4 (Debian) on a veth, captured by a UDP socket on its peer.
DHCLIENT_DISCOVER = (
    bytes.fromhex("01010600f459f328000000000000000000000000000000000000000052540012345600000000000000000000")
    + bytes(192)
    + bytes.fromhex("638253633501010c02766d370d011c02030f06770c2c2f1a792aff")
    + bytes(37)
)

# The DHCPOFFER Debian's kea-dhcp4 2.2.0 sent to a relayed DISCOVER (giaddr 192.0.2.1, hops 1,
# client-id 01:02:00:00:00:00:01) with no option-data configured: 271 bytes, no padding.
KEA_OFFER = (
    bytes.fromhex("020106010000abcd0000000000000000c000026400000000c000020102000000000100000000000000000000")
    + bytes(192)
    + bytes.fromhex("638253633501020104ffffff00330400000fa036047f0000013d0701020000000001ff")
)


# --- real packets -------------------------------------------------------------------------------


def test_parse_dhclient_discover() -> None:
    p = Packet4.parse(DHCLIENT_DISCOVER)
    assert (p.op, p.htype, p.hlen, p.hops, p.xid, p.secs, p.flags) == (1, 1, 6, 0, 0xF459F328, 0, 0)
    assert (p.ciaddr, p.yiaddr, p.siaddr, p.giaddr) == (0, 0, 0, 0)
    assert p.chaddr == bytes.fromhex("525400123456")
    assert p.sname == b"" and p.file == b""
    assert p.message_type == DHCPDISCOVER
    assert list(p.options) == [53, 12, 55]
    assert p.options[12] == b"vm"
    assert list(p.options[55]) == [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]
    assert p.client_id is None and p.requested_address is None and p.server_id is None
    assert not p.broadcast


def test_dhclient_discover_rebuilt_byte_for_byte() -> None:
    assert Packet4.parse(DHCLIENT_DISCOVER).to_bytes() == DHCLIENT_DISCOVER


def test_hand_built_dhclient_like_discover() -> None:
    options = (
        b"\x35\x01\x01"  # message type DISCOVER
        + b"\x3d\x07\x01" + bytes.fromhex("001122334455")  # client-id: htype 1 + MAC
        + b"\x32\x04" + bytes((192, 0, 2, 77))  # requested address
        + b"\x0c\x05host1"  # host-name
        + b"\x37\x04\x01\x03\x06\x0f"  # parameter request list
        + b"\x39\x02\x05\xdc"  # max message size 1500
        + b"\xff"
    )  # fmt: skip
    raw = header(flags=0x8000, secs=3) + COOKIE + options + bytes(10)
    p = Packet4.parse(raw)
    assert p.message_type == DHCPDISCOVER
    assert p.client_id == bytes.fromhex("01001122334455")
    assert p.requested_address == ip("192.0.2.77")
    assert p.broadcast and p.secs == 3
    assert list(p.options) == [53, 61, 50, 12, 55, 57]
    assert p.options[57] == b"\x05\xdc"
    rebuilt = p.to_bytes()
    assert len(rebuilt) == BOOTP_MIN_LEN
    assert rebuilt[: len(raw) - 10] == raw[:-10]


def test_parse_kea_offer_and_rebuild_without_padding() -> None:
    p = Packet4.parse(KEA_OFFER)
    assert p.op == 2 and p.message_type == DHCPOFFER
    assert p.xid == 0xABCD and p.hops == 1
    assert p.yiaddr == ip("192.0.2.100") and p.giaddr == ip("192.0.2.1")
    assert p.server_id == ip("127.0.0.1")
    assert list(p.options) == [53, 1, 51, 54, 61]
    assert p.options[51] == (4000).to_bytes(4, "big")
    # Kea 2.2 does not pad its replies: min_size=0 reproduces its bytes exactly.
    assert p.to_bytes(min_size=0) == KEA_OFFER
    assert len(p.to_bytes()) == BOOTP_MIN_LEN


# --- building -----------------------------------------------------------------------------------


def test_message_type_first_then_insertion_order_then_end_and_padding() -> None:
    p = Packet4(options={3: b"\x01\x02\x03\x04", 53: b"\x05", 1: b"\xff\xff\xff\x00"})
    raw = p.to_bytes()
    assert raw[236:240] == COOKIE
    options = b"\x35\x01\x05" + b"\x03\x04\x01\x02\x03\x04" + b"\x01\x04\xff\xff\xff\x00" + b"\xff"
    assert raw[240:] == options + bytes(300 - 240 - len(options))


def test_header_fields_encoded_in_network_order() -> None:
    p = Packet4(
        op=2, htype=6, hlen=6, hops=3, xid=0x01020304, secs=0x0506, flags=0x8000,
        ciaddr=ip("10.0.0.1"), yiaddr=ip("10.0.0.2"), siaddr=ip("10.0.0.3"), giaddr=ip("10.0.0.4"),
        chaddr=b"\xaa\xbb\xcc\xdd\xee\xff", sname=b"server", file=b"boot/pxelinux.0",
    )  # fmt: skip
    expected = header(
        op=2, htype=6, hlen=6, hops=3, xid=0x01020304, secs=0x0506, flags=0x8000,
        ciaddr=ip("10.0.0.1"), yiaddr=ip("10.0.0.2"), siaddr=ip("10.0.0.3"), giaddr=ip("10.0.0.4"),
        chaddr=b"\xaa\xbb\xcc\xdd\xee\xff", sname=b"server", file=b"boot/pxelinux.0",
    )  # fmt: skip
    assert p.to_bytes()[:236] == expected


def test_long_option_split_into_255_byte_instances() -> None:
    payload = bytes(range(256)) * 2 + b"xyz"  # 515 bytes
    raw = Packet4(options={53: b"\x02", 43: payload}).to_bytes()
    body = raw[243:]
    assert body[0:2] == b"\x2b\xff" and body[2:257] == payload[:255]
    assert body[257:259] == b"\x2b\xff" and body[259:514] == payload[255:510]
    assert body[514:516] == b"\x2b\x05" and body[516:521] == payload[510:]
    assert body[521] == 255
    assert Packet4.parse(raw).options[43] == payload


def test_exactly_255_is_one_instance_and_empty_payload_is_kept() -> None:
    raw = Packet4(options={60: b"v" * 255, 80: b""}).to_bytes()
    assert raw[240:242] == b"\x3c\xff" and raw[497:500] == b"\x50\x00\xff"
    assert Packet4.parse(raw).options == {60: b"v" * 255, 80: b""}


def test_long_message_type_is_split_too() -> None:
    raw = Packet4(options={53: b"\x01" * 300}).to_bytes()
    assert raw[240:242] == b"\x35\xff"
    assert Packet4.parse(raw).options[53] == b"\x01" * 300


def test_tail_is_inserted_before_end() -> None:
    tail = encode_options({6: b"\x08\x08\x08\x08", 15: b"example.org"})
    raw = Packet4(options={53: b"\x02"}).to_bytes(tail=tail)
    assert raw[240:].startswith(b"\x35\x01\x02" + tail + b"\xff")
    assert Packet4.parse(raw).options == {53: b"\x02", 6: b"\x08\x08\x08\x08", 15: b"example.org"}


def test_min_size_padding() -> None:
    p = Packet4(options={53: b"\x01"})
    assert len(p.to_bytes(min_size=0)) == 244
    assert len(p.to_bytes(min_size=576)) == 576
    assert p.to_bytes(min_size=576).endswith(bytes(576 - 244))


@pytest.mark.parametrize("code", [0, 255, 256, -1])
def test_unsendable_option_codes_are_refused(code: int) -> None:
    with pytest.raises(ValueError):
        Packet4(options={code: b"x"}).to_bytes()


def test_encode_options_splits_and_keeps_order() -> None:
    assert encode_options({3: b"\x01\x02\x03\x04", 1: b""}) == b"\x03\x04\x01\x02\x03\x04\x01\x00"
    assert encode_options({9: b"a" * 256}) == b"\x09\xff" + b"a" * 255 + b"\x09\x01a"


def test_reply_to_copies_what_rfc2131_table3_says() -> None:
    query = Packet4(
        op=1, htype=1, hlen=6, hops=2, xid=77, secs=9, flags=0x8000, ciaddr=ip("192.0.2.9"),
        yiaddr=5, siaddr=6, giaddr=ip("10.1.1.1"), chaddr=b"\x01\x02\x03\x04\x05\x06",
        sname=b"s", file=b"f", options={53: b"\x03", 61: b"\x01abc"},
    )  # fmt: skip
    offer = Packet4.reply_to(query, DHCPOFFER)
    assert (offer.op, offer.hops, offer.xid, offer.secs, offer.flags) == (2, 0, 77, 0, 0x8000)
    assert (offer.ciaddr, offer.yiaddr, offer.siaddr, offer.giaddr) == (0, 0, 0, ip("10.1.1.1"))
    assert (offer.htype, offer.hlen, offer.chaddr) == (1, 6, b"\x01\x02\x03\x04\x05\x06")
    assert offer.sname == b"" and offer.file == b""
    assert offer.options == {53: b"\x02"}
    assert Packet4.reply_to(query, DHCPACK).ciaddr == ip("192.0.2.9")
    assert Packet4.reply_to(query, DHCPNAK).ciaddr == 0
    # The reply's options are its own: changing them leaves the query alone.
    offer.options[54] = b"\x7f\x00\x00\x01"
    assert 54 not in query.options


# --- parsing ------------------------------------------------------------------------------------


def test_rfc3396_repeated_option_is_concatenated_in_first_seen_order() -> None:
    opts = b"\x35\x01\x01" + b"\x0c\x03abc" + b"\x3c\x02xy" + b"\x0c\x02de" + b"\x0c\x01f" + b"\xff"
    p = Packet4.parse(header() + COOKIE + opts)
    assert p.options == {53: b"\x01", 12: b"abcdef", 60: b"xy"}
    assert list(p.options) == [53, 12, 60]


def test_pads_are_skipped_and_missing_end_is_tolerated() -> None:
    p = Packet4.parse(header() + COOKIE + b"\x00\x00\x35\x01\x03\x00\x32\x04\xc0\x00\x02\x01")
    assert p.options == {53: b"\x03", 50: b"\xc0\x00\x02\x01"}


def test_bytes_after_end_are_ignored() -> None:
    p = Packet4.parse(header() + COOKIE + b"\x35\x01\x01\xff\x99\x99garbage")
    assert p.options == {53: b"\x01"}


def test_missing_message_type_is_not_a_parse_error() -> None:
    p = Packet4.parse(header() + COOKIE + b"\xff")
    assert p.options == {} and p.message_type is None


def test_bootp_without_vendor_area() -> None:
    p = Packet4.parse(header(file=b"boot.img"))
    assert p.options == {} and p.file == b"boot.img"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "truncated header"),
        (header()[:235], "truncated header"),
        (header() + COOKIE[:3], "truncated magic cookie"),
        (header() + b"\x63\x82\x53\x64" + b"\xff", "bad magic cookie"),
        (header() + COOKIE + b"\x35", "option 53 truncated"),
        (header() + COOKIE + b"\x35\x02\x01", "length past end"),
        (header() + COOKIE + b"\x35\x01\x01\x0c\x09abc", "length past end"),
    ],
)
def test_malformed_packets(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedPacket, match=reason):
        Packet4.parse(raw)


def test_malformed_duplicate_option_past_end_is_still_caught() -> None:
    with pytest.raises(MalformedPacket, match="length past end"):
        Packet4.parse(header() + COOKIE + b"\x0c\x01a\x0c\x01b\x0c\x05c")


@pytest.mark.parametrize("hlen", [17, 200, 255])
def test_hlen_above_16_is_capped(hlen: int) -> None:
    p = Packet4.parse(header(hlen=hlen, chaddr=bytes(range(16))) + COOKIE + b"\xff")
    assert p.hlen == 16 and p.chaddr == bytes(range(16))


def test_chaddr_is_cut_to_hlen() -> None:
    assert Packet4.parse(header(hlen=0) + COOKIE).chaddr == b""
    assert Packet4.parse(header(htype=32, hlen=3, chaddr=b"abcdef") + COOKIE).chaddr == b"abc"


def test_sname_and_file_strip_trailing_nuls_only() -> None:
    p = Packet4.parse(header(sname=b"srv\x00x", file=b"/boot/img") + COOKIE)
    assert p.sname == b"srv\x00x" and p.file == b"/boot/img"


def test_option_overload_file() -> None:
    file_area = b"\x42\x04tftp" + b"\x0c\x02ab" + b"\xff"
    raw = header(sname=b"keep-me", file=file_area) + COOKIE + b"\x35\x01\x02\x34\x01\x01\x0c\x01z\xff"
    p = Packet4.parse(raw)
    assert p.file == b"" and p.sname == b"keep-me"
    assert p.options == {53: b"\x02", 52: b"\x01", 12: b"zab", 66: b"tftp"}


def test_option_overload_sname() -> None:
    raw = header(sname=b"\x43\x03pxe\xff", file=b"real-file") + COOKIE + b"\x34\x01\x02\xff"
    p = Packet4.parse(raw)
    assert p.sname == b"" and p.file == b"real-file"
    assert p.options == {52: b"\x02", 67: b"pxe"}


def test_option_overload_both_concatenates_options_then_file_then_sname() -> None:
    # RFC 3396 section 5: a split option is reassembled in the order options, file, sname.
    raw = (
        header(sname=b"\x0c\x01C\x00\x00", file=b"\x0c\x01B\x00\x3c\x01v")
        + COOKIE
        + b"\x35\x01\x01\x34\x01\x03\x0c\x01A\xff"
    )
    p = Packet4.parse(raw)
    assert p.sname == b"" and p.file == b""
    assert p.options[12] == b"ABC" and p.options[60] == b"v"


def test_option_overload_unknown_value_is_ignored() -> None:
    raw = header(file=b"\x0c\x01B") + COOKIE + b"\x34\x01\x04\xff"
    p = Packet4.parse(raw)
    assert p.file == b"\x0c\x01B" and 12 not in p.options


def test_option_overload_with_truncated_option_in_file_is_malformed() -> None:
    raw = header(file=b"\x00" * 126 + b"\x0c\x05") + COOKIE + b"\x34\x01\x01\xff"
    with pytest.raises(MalformedPacket, match=r"(in|of) file"):
        Packet4.parse(raw)


def test_overload_kept_for_round_trip() -> None:
    raw = header(file=b"\x0c\x02hi\xff") + COOKIE + b"\x35\x01\x01\x34\x01\x01\xff"
    p = Packet4.parse(raw)
    assert Packet4.parse(p.to_bytes()) == p


def test_parse_accepts_bytearray_and_memoryview() -> None:
    assert Packet4.parse(bytearray(DHCLIENT_DISCOVER)) == Packet4.parse(memoryview(DHCLIENT_DISCOVER))


def test_accessor_edge_cases() -> None:
    p = Packet4(options={53: b"", 61: b"", 50: b"\x01\x02\x03", 54: b"\x01\x02\x03\x04\x05"})
    assert p.message_type is None and p.client_id is None
    assert p.requested_address is None and p.server_id is None


def test_message_type_names() -> None:
    assert [int(m) for m in MessageType] == list(range(1, 9))
    assert MessageType(3).name == "DHCPREQUEST" and DHCPREQUEST == 3 and DHCPINFORM == 8
    assert MAGIC_COOKIE.to_bytes(4, "big") == bytes((99, 130, 83, 99))


# --- relay agent information (option 82) --------------------------------------------------------


def test_parse_relay_agent_suboptions() -> None:
    payload = b"\x01\x04eth0" + b"\x02\x06" + bytes.fromhex("001122334455") + b"\x05\x04\xc0\x00\x02\x00"
    subs = parse_suboptions(payload)
    assert subs == {1: b"eth0", 2: bytes.fromhex("001122334455"), 5: b"\xc0\x00\x02\x00"}
    assert encode_suboptions(subs) == payload


def test_suboptions_repeated_and_empty_and_long() -> None:
    assert parse_suboptions(b"\x01\x01a\x01\x01b\x09\x00") == {1: b"ab", 9: b""}
    long = encode_suboptions({1: b"x" * 300})
    assert long[:2] == b"\x01\xff" and long[257:259] == b"\x01\x2d"
    assert parse_suboptions(long) == {1: b"x" * 300}
    assert encode_suboptions({9: b""}) == b"\x09\x00"


@pytest.mark.parametrize("payload", [b"\x01", b"\x01\x05abc", b"\x01\x01a\x02"])
def test_truncated_suboptions(payload: bytes) -> None:
    with pytest.raises(MalformedPacket):
        parse_suboptions(payload)


# --- properties ---------------------------------------------------------------------------------

_option_code = st.integers(1, 254)
_options = st.dictionaries(_option_code, st.binary(max_size=600), max_size=12)


@st.composite
def packets(draw: st.DrawFn) -> Packet4:
    hlen = draw(st.integers(0, 16))
    opts = draw(_options)
    opts.pop(52, None)  # overload would reinterpret sname/file
    return Packet4(
        op=draw(st.integers(0, 255)), htype=draw(st.integers(0, 255)), hlen=hlen,
        hops=draw(st.integers(0, 255)), xid=draw(st.integers(0, 2**32 - 1)),
        secs=draw(st.integers(0, 65535)), flags=draw(st.integers(0, 65535)),
        ciaddr=draw(st.integers(0, 2**32 - 1)), yiaddr=draw(st.integers(0, 2**32 - 1)),
        siaddr=draw(st.integers(0, 2**32 - 1)), giaddr=draw(st.integers(0, 2**32 - 1)),
        chaddr=draw(st.binary(min_size=hlen, max_size=hlen)),
        sname=draw(st.binary(max_size=64).map(lambda b: b.rstrip(b"\x00"))),
        file=draw(st.binary(max_size=128).map(lambda b: b.rstrip(b"\x00"))),
        options=opts,
    )  # fmt: skip


@given(packets())
def test_round_trip(p: Packet4) -> None:
    assert Packet4.parse(p.to_bytes()) == p


@given(packets())
def test_round_trip_keeps_order_with_message_type_first(p: Packet4) -> None:
    order = list(Packet4.parse(p.to_bytes()).options)
    expected = [53] if 53 in p.options else []
    expected += [c for c in p.options if c != 53]
    assert order == expected


def _parse_or_malformed(raw: bytes) -> None:
    try:
        p = Packet4.parse(raw)
    except MalformedPacket:
        return
    assert isinstance(p, Packet4)
    # Whatever parses must also build (for codes 1..254, which is all parse can yield).
    Packet4.parse(p.to_bytes())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=700))
def test_random_bytes_only_raise_malformed(raw: bytes) -> None:
    _parse_or_malformed(raw)


@settings(max_examples=300)
@given(st.binary(max_size=64), st.binary(min_size=192, max_size=192))
def test_random_options_after_valid_header_only_raise_malformed(options: bytes, fields: bytes) -> None:
    # sname/file random too, so option overload in random options walks random bytes.
    _parse_or_malformed(header()[:44] + fields + COOKIE + options)


_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2000), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, 2000), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 2000), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 2000), st.just(0)),
)


@settings(max_examples=200)
@given(
    st.sampled_from([DHCLIENT_DISCOVER, KEA_OFFER]) | packets().map(lambda p: p.to_bytes()),
    st.lists(_mutation, min_size=1, max_size=6),
)
def test_mutated_valid_packets_only_raise_malformed(
    raw: bytes, mutations: list[tuple[str, int, int]]
) -> None:
    buf = bytearray(raw)
    for kind, where, value in mutations:
        i = where % (len(buf) + 1)
        if kind == "flip" and i < len(buf):
            buf[i] = value
        elif kind == "cut":
            del buf[i:]
        elif kind == "insert":
            buf.insert(i, value)
        elif kind == "delete" and i < len(buf):
            del buf[i]
    _parse_or_malformed(bytes(buf))


@given(st.binary(max_size=300))
def test_suboptions_only_raise_malformed(raw: bytes) -> None:
    try:
        subs = parse_suboptions(raw)
    except MalformedPacket:
        return
    assert parse_suboptions(encode_suboptions(subs)) == subs


def test_header_struct_is_240_bytes() -> None:
    # Guards the single-struct header decode: 236 bytes of BOOTP header plus the cookie.
    assert struct.calcsize("!4BI2H4I16s64s128sI") == 240
