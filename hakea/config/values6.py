"""IPv6 address and prefix values of a Kea "Dhcp6" configuration, as ints, with the key's path.

Addresses are parsed with inet_pton, as Kea does (so "2001:db8::1", "::ffff:192.0.2.1" and
"::" are addresses; "2001:db8::/64", "10.0.0.1" and "fe80::1%eth0" are not).
"""

from __future__ import annotations

import ipaddress
import socket

from hakea.config.errors import ConfigError
from hakea.config.values import AddressFamily

ALL_ONES = (1 << 128) - 1


def parse_ipv6(text: str, path: str) -> int:
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except (OSError, ValueError):
        raise ConfigError(path, f"'{text}' is not a valid IPv6 address") from None


def ipv6_text(value: int) -> str:
    """RFC 5952 text, the form Kea prints ("2001:db8::1")."""
    return str(ipaddress.IPv6Address(value))


def prefix_text(value: int, length: int) -> str:
    return f"{ipv6_text(value)}/{length}"


def mask6(length: int) -> int:
    """The network mask of a prefix length (0..128)."""
    return ALL_ONES ^ (ALL_ONES >> length)


def parse_prefix6(text: str, path: str, lo: int = 0) -> tuple[int, int]:
    """ "addr/len" -> (address as written, len); `lo` is the smallest length accepted."""
    address, sep, length = text.partition("/")
    if not sep:
        raise ConfigError(path, f"'{text}' is not prefix/len")
    base = parse_ipv6(address.strip(), path)
    length = length.strip()
    if not (length.isascii() and length.isdigit()) or not lo <= int(length) <= 128:
        raise ConfigError(path, f"invalid prefix length in '{text}': must be {lo}..128")
    return base, int(length)


def in_prefix(address: int, network: int, length: int) -> bool:
    shift = 128 - length
    return (address >> shift) == (network >> shift)


def is_multicast(address: int) -> bool:
    return address >> 120 == 0xFF


def _parse_pool_prefix6(text: str, path: str) -> tuple[int, int]:
    return parse_prefix6(text, path, lo=1)  # a pool prefix is 1..128 long (see subnets6)


IPV6 = AddressFamily("IPv6", 128, parse_ipv6, ipv6_text, parse_prefix6, _parse_pool_prefix6)
