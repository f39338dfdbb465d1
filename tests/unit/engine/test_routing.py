"""Reply destinations, RFC 2131 section 4.1."""

from __future__ import annotations

import pytest

from hakea.dhcp4.decision import QueryMeta
from hakea.dhcp4.reply_routing import BROADCAST, route
from hakea.dhcp4.wire import DHCPACK, DHCPNAK, DHCPOFFER, DHCPREQUEST, Packet4

from .builders import ip, mac, query

YI = ip("192.0.2.50")
RAW = QueryMeta(raw_socket=True)
UDP = QueryMeta(raw_socket=False)


def _reply(q: Packet4, msgtype: int) -> Packet4:
    r = Packet4.reply_to(q, msgtype)
    if msgtype != DHCPNAK:
        r.yiaddr = YI
    return r


@pytest.mark.parametrize(
    ("ciaddr", "giaddr", "flags", "msgtype", "meta", "expected"),
    [
        (None, "10.0.0.1", 0, DHCPOFFER, RAW, (ip("10.0.0.1"), 67, False)),
        (None, "10.0.0.1", 0, DHCPNAK, RAW, (ip("10.0.0.1"), 67, False)),
        ("192.0.2.50", "10.0.0.1", 0, DHCPACK, RAW, (ip("10.0.0.1"), 67, False)),
        ("192.0.2.50", None, 0, DHCPACK, RAW, (YI, 68, False)),
        ("192.0.2.50", None, 0x8000, DHCPACK, RAW, (YI, 68, False)),
        ("192.0.2.50", None, 0, DHCPNAK, RAW, (BROADCAST, 68, False)),
        (None, None, 0, DHCPNAK, RAW, (BROADCAST, 68, False)),
        (None, None, 0x8000, DHCPOFFER, RAW, (BROADCAST, 68, False)),
        (None, None, 0, DHCPOFFER, RAW, (YI, 68, True)),
        (None, None, 0, DHCPACK, RAW, (YI, 68, True)),
        (None, None, 0, DHCPOFFER, UDP, (BROADCAST, 68, False)),
    ],
)
def test_route(
    ciaddr: str | None, giaddr: str | None, flags: int, msgtype: int, meta: QueryMeta,
    expected: tuple[int, int, bool],
) -> None:  # fmt: skip
    q = query(DHCPREQUEST, mac(1), ciaddr=ciaddr, giaddr=giaddr, flags=flags)
    assert route(q, _reply(q, msgtype), meta) == expected


def test_route_without_chaddr_cannot_unicast() -> None:
    q = query(DHCPREQUEST, b"", cid=b"\x00x")
    assert route(q, _reply(q, DHCPACK), RAW) == (BROADCAST, 68, False)


def test_relay_port_suboption_answers_to_the_relays_source_port() -> None:
    q = query(DHCPREQUEST, mac(1), giaddr="10.0.0.1", extra={82: bytes((19, 2, 0x10, 0x00))})
    meta = QueryMeta(source_address=ip("10.0.0.1"), source_port=4096)
    assert route(q, _reply(q, DHCPACK), meta) == (ip("10.0.0.1"), 4096, False)


def test_custom_ports() -> None:
    q = query(DHCPREQUEST, mac(1), giaddr="10.0.0.1")
    assert route(q, _reply(q, DHCPACK), RAW, server_port=1067, client_port=1068)[1] == 1067
    q = query(DHCPREQUEST, mac(1), flags=0x8000)
    assert route(q, _reply(q, DHCPACK), RAW, server_port=1067, client_port=1068)[1] == 1068
