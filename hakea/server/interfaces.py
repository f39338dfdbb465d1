"""Network interface discovery: names, indexes, IPv4 addresses and hardware addresses.

Read from the kernel with ioctls (no subprocess per start-up); only the daemon's socket adapter
uses this, the engine gets the results as plain data.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from dataclasses import dataclass

_SIOCGIFADDR = 0x8915
_SIOCGIFNETMASK = 0x891B
_SIOCGIFHWADDR = 0x8927


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    index: int
    address: int  # 0 when the interface has no IPv4 address
    prefix_len: int
    hwaddr: bytes


def _ioctl_addr(sock: socket.socket, request: int, name: str) -> bytes | None:
    try:
        return fcntl.ioctl(sock.fileno(), request, struct.pack("256s", name.encode()[:15]))
    except OSError:
        return None


def lookup(name: str) -> Interface:
    """The interface `name`; raises OSError if it does not exist."""
    index = socket.if_nametoindex(name)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        raw_addr = _ioctl_addr(s, _SIOCGIFADDR, name)
        raw_mask = _ioctl_addr(s, _SIOCGIFNETMASK, name)
        raw_hw = _ioctl_addr(s, _SIOCGIFHWADDR, name)
    address = int.from_bytes(raw_addr[20:24], "big") if raw_addr else 0
    mask = int.from_bytes(raw_mask[20:24], "big") if raw_mask else 0
    hwaddr = raw_hw[18:24] if raw_hw else b""
    return Interface(name, index, address, bin(mask).count("1"), hwaddr)


def all_interfaces() -> list[Interface]:
    found = []
    for _index, name in socket.if_nameindex():
        try:
            found.append(lookup(name))
        except OSError:
            continue
    return found


def parse_spec(spec: str) -> tuple[str, int | None]:
    """Kea's "interfaces" entry: "eth0" or "eth0/192.0.2.1" -> (name, address or None)."""
    name, _, addr = spec.partition("/")
    return name, int(ipaddress.IPv4Address(addr)) if addr else None
