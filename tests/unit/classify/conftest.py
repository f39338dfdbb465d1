"""Shared helpers for the classify tests: packets built with the real hakea.dhcp4.wire.Packet4."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from hakea.dhcp4.wire import Packet4


def make_packet(
    options: dict[int, bytes] | None = None,
    *,
    chaddr: bytes = bytes.fromhex("0a0b0c0d0e0f"),
    htype: int = 1,
    xid: int = 0x12345678,
    ciaddr: str = "0.0.0.0",
    giaddr: str = "0.0.0.0",
    yiaddr: str = "0.0.0.0",
    siaddr: str = "0.0.0.0",
) -> Packet4:
    return Packet4(
        op=1,
        htype=htype,
        hlen=len(chaddr),
        xid=xid,
        ciaddr=int(ipaddress.IPv4Address(ciaddr)),
        yiaddr=int(ipaddress.IPv4Address(yiaddr)),
        siaddr=int(ipaddress.IPv4Address(siaddr)),
        giaddr=int(ipaddress.IPv4Address(giaddr)),
        chaddr=chaddr,
        options=dict(options or {53: b"\x01"}),
    )


@pytest.fixture
def pkt() -> Any:
    return make_packet
