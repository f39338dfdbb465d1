"""`option[N].text`: Kea's textual form of an option, reproduced from what Kea 2.2 prints.

For a string option Kea gives the string (trailing NULs removed). For anything else it gives its
debug rendering, e.g. "type=054, len=004: 192.0.2.1 (ipv4-address)", "type=055, len=003:
1(uint8) 3(uint8) 6(uint8)" or, for an option without definition, "type=061, len=007: 01:0a:...".
The shapes below were observed with kea-dhcp4 2.2.0; option types not listed fall back to the
binary shape (Kea's own rendering of e.g. FQDN or vendor options differs: a known gap).
"""

from __future__ import annotations

import socket
import struct
from typing import Any

_INTS: dict[str, struct.Struct] = {
    "uint8": struct.Struct("!B"),
    "uint16": struct.Struct("!H"),
    "uint32": struct.Struct("!I"),
    "int8": struct.Struct("!b"),
    "int16": struct.Struct("!h"),
    "int32": struct.Struct("!i"),
}


def header(code: int, length: int, family: int) -> str:
    if family == 4:
        return f"type={code:03d}, len={length:03d}:"
    return f"type={code:05d}, len={length:05d}:"


def binary_text(code: int, payload: bytes, family: int) -> bytes:
    return f"{header(code, len(payload), family)} {payload.hex(':')}".encode()


def container_text(code: int, subs: dict[int, bytes], family: int) -> bytes:
    """An option holding sub-options (option 82), as Kea prints it."""
    length = sum((2 if family == 4 else 4) + len(v) for v in subs.values())
    lines = [f"{header(code, length, family)},", "options:"]
    lines += ["  " + binary_text(c, v, family).decode().rstrip() for c, v in sorted(subs.items())]
    return "\n".join(lines).encode()


def _field(kind: str, data: bytes, pos: int, last: bool) -> tuple[str, int] | None:
    """One record field rendered as Kea does, and the next position; None when unsupported."""
    if kind in _INTS:
        st = _INTS[kind]
        if pos + st.size > len(data):
            return None
        return f"{st.unpack_from(data, pos)[0]} ({kind})", pos + st.size
    if kind == "ipv4-address":
        if pos + 4 > len(data):
            return None
        return f"{socket.inet_ntop(socket.AF_INET, data[pos : pos + 4])} (ipv4-address)", pos + 4
    if kind == "ipv6-address":
        if pos + 16 > len(data):
            return None
        return f"{socket.inet_ntop(socket.AF_INET6, data[pos : pos + 16])} (ipv6-address)", pos + 16
    if kind == "boolean":
        if pos + 1 > len(data) or data[pos] > 1:
            return None
        return f"{'true' if data[pos] else 'false'} (boolean)", pos + 1
    if kind == "binary" and last:
        return f"{data[pos:].hex().upper()} (binary)", len(data)
    return None


def typed_text(defn: Any, payload: bytes, family: int) -> bytes | None:
    """The value part for a defined option type, or None to fall back to the binary shape."""
    kind = getattr(defn, "type", "binary")
    array = bool(getattr(defn, "array", False))
    if kind in _INTS:
        st = _INTS[kind]
        if array:
            if not payload or len(payload) % st.size:
                return None
            return " ".join(f"{v}({kind})" for (v,) in st.iter_unpack(payload)).encode()
        if len(payload) != st.size:
            return None
        return f"{st.unpack(payload)[0]} ({kind})".encode()
    if kind == "ipv4-address":
        if array:  # Kea's address-list option prints bare addresses
            if not payload or len(payload) % 4:
                return None
            return " ".join(
                socket.inet_ntop(socket.AF_INET, payload[i : i + 4]) for i in range(0, len(payload), 4)
            ).encode()
        if len(payload) != 4:
            return None
        return f"{socket.inet_ntop(socket.AF_INET, payload)} (ipv4-address)".encode()
    if kind == "boolean" and not array:
        rendered = _field(kind, payload, 0, True)
        return rendered[0].encode() if rendered and rendered[1] == len(payload) else None
    if kind == "record" and not array:
        fields = tuple(getattr(defn, "record_types", ()))
        parts: list[str] = []
        pos = 0
        for index, field_kind in enumerate(fields):
            rendered = _field(field_kind, payload, pos, index == len(fields) - 1)
            if rendered is None:
                return None
            parts.append(rendered[0])
            pos = rendered[1]
        if pos != len(payload) or not parts:
            return None
        return " ".join(parts).encode()
    return None


# DHCPv4 options Kea 2.2 renders with dedicated classes (vendor-encapsulated, client FQDN, relay
# agent information, V-I vendor class and vendor-specific): binary shape here, a known gap.
_SPECIAL_V4 = frozenset({43, 81, 82, 124, 125})


def option_text(code: int, payload: bytes, defn: Any, family: int) -> bytes:
    """Kea's `.text` of a top-level option whose definition is `defn` (None: undefined)."""
    if defn is not None and not (family == 4 and code in _SPECIAL_V4):
        if getattr(defn, "type", "") == "string":
            return payload.rstrip(b"\x00")
        value = typed_text(defn, payload, family)
        if value is not None:
            return f"{header(code, len(payload), family)} ".encode() + value
    return binary_text(code, payload, family)
