"""DHCPv6 terms on a duck-typed packet (hakea.dhcp6 does not exist yet).

The values in test_matches_kea_dhcp6 were read from kea-dhcp6 2.2.0's evaluator debug log for the
same Relay-forw(Relay-forw(Solicit)) sent over loopback in a network namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hakea.classify import compile_expression, vendor_class_name


@dataclass
class Relay:
    peer_addr: Any
    link_addr: Any
    options: dict[int, list[bytes]] = field(default_factory=dict)


@dataclass
class Packet6:
    msg_type: int = 1
    transaction_id: int = 0x123456
    options: dict[int, list[bytes]] = field(default_factory=dict)
    relays: list[Relay] = field(default_factory=list)


DUID = bytes.fromhex("0002aabbccdd0102")
PKT = Packet6(
    options={
        1: [DUID],
        3: [bytes(12) + b"\x00\x05\x00\x18" + bytes(24)],  # IA_NA holding an IAADDR
        16: [b"\x00\x00\x11\x8b\x00\x09docsis3.0\x00\x03abc"],
        17: [b"\x00\x00\x11\x8b\x00\x01\x00\x02hi", b"\x00\x00\x00\x09\x00\x01\x00\x01x"],
    },
    relays=[
        Relay("2001:db8::1", "2001:db8:1::", {37: [b"\x00\x00\x0d\xe9remote"], 18: [b"eth0/1"]}),
        Relay(bytes.fromhex("fe80" + "00" * 13 + "02"), b"\x00" * 16, {18: [b"port-2"]}),
    ],
)


def matches(text: str, pkt: Any = PKT) -> bool:
    return compile_expression(text, family=6).evaluate(pkt, {"ALL"})


def test_arm_example() -> None:
    assert matches("substring(option[1].hex,0,6) == 0x0002AABBCCDD")


def test_pkt6_fields() -> None:
    assert matches("pkt6.msgtype == 1")
    assert matches("pkt6.transid == 0x00123456")
    assert not matches("pkt6.msgtype == 3")


def test_relay6_nest_levels() -> None:
    assert matches("relay6[0].peeraddr == 2001:db8::1")  # closest to the server
    assert matches("relay6[0].linkaddr == 2001:db8:1::")
    assert matches("relay6[1].peeraddr == fe80::2")
    assert matches("relay6[-1].peeraddr == fe80::2")  # closest to the client
    assert matches("relay6[-2].option[18].hex == 'eth0/1'")
    assert matches("relay6[1].option[18].hex == 'port-2'")
    assert matches("relay6[0].option[37].exists and not relay6[1].option[37].exists")
    assert matches("relay6[2].peeraddr == '' and relay6[-3].option[18].hex == ''")
    assert matches("relay6[0].option[18].text == 'type=00018, len=00006: 65:74:68:30:2f:31'")
    assert matches("relay6[5].peeraddr == ''", Packet6())


def test_options_and_suboptions() -> None:
    assert matches("option[1].exists and not option[2].exists")
    assert matches("option[3].option[5].exists")
    assert matches("option[3].option[5].hex == 0x" + "00" * 24)


def test_vendor_options_v6() -> None:
    assert matches("vendor[4491].exists and vendor.enterprise == 4491")
    assert matches("vendor[4491].option[1].hex == 'hi'")  # first instance of option 17 only
    assert not matches("vendor[9].exists")
    assert matches("vendor-class[4491].data == 'docsis3.0' and vendor-class[4491].data[1] == 'abc'")
    assert matches("vendor-class[*].exists and vendor-class.enterprise == 4491")


def test_plain_bytes_options_work_too() -> None:
    pkt = Packet6(options={1: DUID})  # type: ignore[dict-item]
    assert matches("option[1].hex == 0x0002aabbccdd0102", pkt)


def test_packet_length() -> None:
    direct = Packet6(options={1: [DUID]})
    assert compile_expression("pkt.len", family=6, result="string").evaluate_string(direct, set()) == (
        4 + 4 + len(DUID)
    ).to_bytes(4, "big")


def test_vendor_class_name_v6() -> None:
    assert vendor_class_name(PKT, family=6) == "VENDOR_CLASS_docsis3.0"
    assert vendor_class_name(Packet6(), family=6) is None


def _opt(code: int, data: bytes) -> bytes:
    return code.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data


def test_matches_kea_dhcp6() -> None:
    inner = {
        1: [DUID],
        3: [bytes(12) + _opt(5, bytes(24))],
        16: [b"\x00\x00\x11\x8b\x00\x09docsis3.0\x00\x03abc"],
        17: [b"\x00\x00\x11\x8b" + _opt(1, b"hi")],
        8: [b"\x00\x00"],
        15: [b"\x00\x00\x00\x04user"],
    }
    pkt = Packet6(
        msg_type=1,
        transaction_id=0x123456,
        options=inner,
        relays=[
            Relay("2001:db8::1", "2001:db8:1::", {18: [b"eth0/1"], 37: [b"\x00\x00\x0d\xe9remote"]}),
            Relay("fe80::2", "::", {18: [b"port-2"]}),
        ],
    )
    kea = {
        "pkt6.msgtype": b"\x00\x00\x00\x01",
        "pkt6.transid": b"\x00\x124V",
        "relay6[0].peeraddr": bytes.fromhex("20010db8000000000000000000000001"),
        "relay6[0].linkaddr": bytes.fromhex("20010db8000100000000000000000000"),
        "relay6[1].peeraddr": bytes.fromhex("fe800000000000000000000000000002"),
        "relay6[-1].peeraddr": bytes.fromhex("fe800000000000000000000000000002"),
        "relay6[-2].option[18].hex": b"eth0/1",
        "relay6[0].option[18].text": b"type=00018, len=00006: 65:74:68:30:2f:31",
        "relay6[0].option[37].hex": b"\x00\x00\r\xe9remote",
        "relay6[2].peeraddr": b"",
        "relay6[1].option[37].hex": b"",
        "option[1].hex": DUID,
        "option[1].text": b"type=00001, len=00008: 00:02:aa:bb:cc:dd:01:02",
        "option[3].option[5].hex": bytes(24),
        "option[15].text": b"type=00015, len=00008: 00:00:00:04:75:73:65:72",
        "vendor.enterprise": b"\x00\x00\x11\x8b",
        "vendor[4491].option[1].hex": b"hi",
        "vendor-class[4491].data": b"docsis3.0",
        "vendor-class[4491].data[1]": b"abc",
        "vendor-class.enterprise": b"\x00\x00\x11\x8b",
        "pkt.len": (226).to_bytes(4, "big"),  # the whole Relay-forw as sent
        "ifelse(relay6[0].option[37].exists,'y','n')": b"y",
        "ifelse(relay6[1].option[37].exists,'y','n')": b"n",
    }
    for text, expected in kea.items():
        got = compile_expression(text, family=6, result="string").evaluate_string(pkt, {"ALL"})
        assert got == expected, text
