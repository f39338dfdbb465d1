"""The client's hardware address as a DHCPv6 server can learn it (Kea's "mac-sources": any).

DHCPv6 carries no chaddr. In Kea's order for "any" without a raw socket: the link-layer address
inside a DUID-LLT / DUID-LL (RFC 8415 11.2, 11.4), the EUI-64 interface identifier of the client's
link-local source address (RFC 4291 appendix A; for a relayed query, the innermost relay's
peer-address), then the Client Link-Layer Address option a relay added (RFC 6939, option 79).
The source values are Kea's hwaddr_source bits, stored in the lease file.
"""

from __future__ import annotations

from typing import NamedTuple

HWADDR_SOURCE_DUID = 2
HWADDR_SOURCE_IPV6_LINK_LOCAL = 4
HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION = 8

_DUID_LLT = 1
_DUID_LL = 3
_HTYPE_ETHERNET = 1
_LINK_LOCAL_PREFIX = 0xFE80 << 112
_LINK_LOCAL_MASK = ((1 << 10) - 1) << 118


class HwAddr6(NamedTuple):  # a NamedTuple: built for every committed lease, and cheap to build
    address: bytes = b""
    htype: int = _HTYPE_ETHERNET
    source: int = 0


NO_HWADDR = HwAddr6()


def from_duid(duid: bytes) -> HwAddr6 | None:
    if len(duid) < 4:
        return None
    kind = int.from_bytes(duid[:2], "big")
    htype = int.from_bytes(duid[2:4], "big")
    if kind == _DUID_LLT and len(duid) > 8:
        return HwAddr6(duid[8:], htype, HWADDR_SOURCE_DUID)
    if kind == _DUID_LL and len(duid) > 4:
        return HwAddr6(duid[4:], htype, HWADDR_SOURCE_DUID)
    return None


def is_link_local(address: int) -> bool:
    return (address & _LINK_LOCAL_MASK) == _LINK_LOCAL_PREFIX


def from_link_local(address: int) -> HwAddr6 | None:
    """The MAC inside a modified EUI-64 interface identifier (ff:fe in the middle)."""
    if not is_link_local(address):
        return None
    iid = (address & ((1 << 64) - 1)).to_bytes(8, "big")
    if iid[3:5] != b"\xff\xfe":
        return None
    mac = bytes((iid[0] ^ 0x02,)) + iid[1:3] + iid[5:8]
    return HwAddr6(mac, _HTYPE_ETHERNET, HWADDR_SOURCE_IPV6_LINK_LOCAL)


def from_relay_option(payload: bytes | None) -> HwAddr6 | None:
    """RFC 6939: link-layer type (2 bytes) then the address."""
    if payload is None or len(payload) < 3:
        return None
    return HwAddr6(payload[2:], int.from_bytes(payload[:2], "big"), HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION)


def client_hwaddr(duid: bytes, client_link_address: int, relay_option: bytes | None) -> HwAddr6:
    """The first of the three sources that gives an address, else NO_HWADDR."""
    return (
        from_duid(duid)
        or from_link_local(client_link_address)
        or from_relay_option(relay_option)
        or NO_HWADDR
    )
