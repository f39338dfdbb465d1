"""Reading a packet the way Kea's evaluator sees it: options, sub-options, vendor options, metadata.

Packets are duck-typed. DHCPv4 follows the hakea.dhcp4.wire.Packet4 contract (`options` maps a code
to its payload). DHCPv6 packets are expected to offer `msg_type`, `transaction_id`, `options`
(code -> payload, or code -> list of payloads: Kea looks at the first instance) and `relays`, a
sequence whose element 0 is the relay closest to the server (the outermost Relay-forw), each with
`peer_addr`, `link_addr` (16 bytes or text) and `options`.
"""

from __future__ import annotations

import importlib
import socket
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from hakea.classify.errors import EvalError

U32 = struct.Struct("!I")


@dataclass(slots=True)
class PacketMeta:
    """What the socket layer knows about a packet: Kea's pkt.iface / pkt.src / pkt.dst.

    A plain mapping with the same keys works too. (pkt.len is computed from the packet.)
    """

    iface: str = ""
    src: str | bytes = b""  # text ("10.0.0.1") or packed
    dst: str | bytes = b""


def meta_value(meta: Any, key: str) -> Any:
    if meta is None:
        return None
    if isinstance(meta, Mapping):
        return meta.get(key)
    return getattr(meta, key, None)


@cache
def option_lookup(family: int) -> Callable[[str | int], Any] | None:
    """find_v4 / find_v6 of the codec modules, or None while a module does not exist (imported
    by name so this keeps type-checking before and after hakea.dhcp6.options is written)."""
    try:
        module = importlib.import_module(f"hakea.dhcp{family}.options")
    except ImportError:
        return None
    find: Callable[[str | int], Any] | None = getattr(module, f"find_v{family}", None)
    return find


@cache
def string_option_codes(family: int) -> frozenset[int]:
    """Standard options Kea 2.2 holds as strings: trailing NULs dropped, absent when empty."""
    lookup = option_lookup(family)
    if lookup is None:
        return frozenset({12, 15, 60} if family == 4 else ())
    limit = 256 if family == 4 else 65536
    found = {code for code in range(1, limit) if getattr(lookup(code), "type", "") == "string"}
    if family == 4:
        found.add(15)  # domain-name: listed as fqdn by the ARM, read as a string by Kea 2.2
    return frozenset(found)


def packed_address(value: Any) -> bytes:
    """An address as 4 or 16 bytes; text is converted, anything unusable gives b''."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        for family in (socket.AF_INET, socket.AF_INET6):
            try:
                return socket.inet_pton(family, value)
            except OSError:
                continue
        return b""
    packed = getattr(value, "packed", None)  # ipaddress objects
    return bytes(packed) if isinstance(packed, bytes) else b""


def first_option(options: Any, code: int) -> bytes | None:
    """Payload of the first instance of `code` (v6 packets may carry several)."""
    value = options.get(code)
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, Sequence):
        return bytes(value[0]) if len(value) else None
    return None


def parse_tlv(data: bytes, wide: bool) -> dict[int, bytes]:
    """Sub-options: code/length of 1 byte (DHCPv4) or 2 bytes (DHCPv6).

    Observed in Kea 2.2 for option 82: a truncated tail is ignored (what precedes it is kept),
    codes 0 and 255 are ordinary sub-options, and repeated DHCPv4 sub-options are concatenated
    (RFC 3396 style). DHCPv6 keeps the first instance.
    """
    out: dict[int, bytes] = {}
    pos = 0
    end = len(data)
    if wide:
        while pos + 4 <= end:
            code = (data[pos] << 8) | data[pos + 1]
            size = (data[pos + 2] << 8) | data[pos + 3]
            pos += 4
            if pos + size > end:
                break
            out.setdefault(code, data[pos : pos + size])
            pos += size
    else:
        while pos < end:
            code = data[pos]
            if pos + 2 > end:
                break
            size = data[pos + 1]
            pos += 2
            if pos + size > end:
                break
            previous = out.get(code)
            chunk = data[pos : pos + size]
            out[code] = chunk if previous is None else previous + chunk
            pos += size
    return out


class _SubOptionCache:
    """One-entry cache: every class test of a packet reads the same option 82 payload."""

    __slots__ = ("_entry",)

    def __init__(self) -> None:
        # One tuple, replaced as a whole, so a reader never pairs one payload with another's parse.
        self._entry: tuple[bytes | None, bool, dict[int, bytes]] = (None, False, {})

    def get(self, data: bytes, wide: bool) -> dict[int, bytes]:
        cached_data, cached_wide, parsed = self._entry
        # `is` is safe: the cache holds a reference, so the id cannot be recycled meanwhile.
        if data is cached_data and wide == cached_wide:
            return parsed
        parsed = parse_tlv(data, wide)
        self._entry = (data, wide, parsed)
        return parsed


suboptions = _SubOptionCache().get


def serialize_tlv(subs: dict[int, bytes]) -> bytes:
    """DHCPv4 sub-options packed again, as Kea's option 82 object returns them: in code order
    (observed; Kea keeps sub-options in a map sorted by code)."""
    return b"".join(bytes((code, len(data) & 0xFF)) + data for code, data in sorted(subs.items()))


def string_option(value: bytes | None) -> bytes | None:
    """A string option as Kea 2.2 keeps it (observed): without trailing NULs, gone when empty."""
    if not value:
        return None
    value = value.rstrip(b"\x00")
    return value or None


def option_v4(options: Mapping[int, bytes], code: int, strings: frozenset[int]) -> bytes | None:
    """Option `code` as Kea's parsed packet holds it: string options trimmed (or absent) and the
    relay agent information option re-packed from its sub-options (observed: a truncated tail is
    dropped and repeated sub-options are merged)."""
    value = options.get(code)
    if value is None:
        return None
    if code in strings:
        return string_option(value)
    if code == 82:
        return serialize_tlv(suboptions(value, False))
    return value


def packet_length_v4(pkt: Any) -> int:
    """Kea's pkt.len for DHCPv4: the fixed header (236) plus every option with its 2-byte header,
    as the parsed packet holds them (observed; the magic cookie and the end option do not count)."""
    strings = string_option_codes(4)
    total = 236
    for code in pkt.options:
        value = option_v4(pkt.options, code, strings)
        if value is not None:
            total += 2 + len(value)
    return total


def _options_length_v6(options: Mapping[int, Any]) -> int:
    total = 0
    for value in options.values():
        values = [value] if isinstance(value, bytes | bytearray) else list(value)
        total += sum(4 + len(v) for v in values)
    return total


def packet_length_v6(pkt: Any) -> int:
    """pkt.len for DHCPv6: the message as it would be sent, relay encapsulations included
    (4-byte header plus options; each Relay-forw adds 34 bytes, its options and the 4-byte
    relay-message header); matches kea-dhcp6 2.2.0 for a doubly relayed Solicit."""
    total = 4 + _options_length_v6(pkt.options)
    for relay in reversed(list(getattr(pkt, "relays", ()))):
        total = 34 + _options_length_v6(relay.options) + 4 + total
    return total


# DHCPv6 options whose payload holds sub-options after a fixed header (RFC 8415 section 21):
# IA_NA / IA_PD (IAID, T1, T2), IA_TA (IAID), IAADDR (address, lifetimes), IAPREFIX.
V6_ENCAPSULATED_AT = {3: 12, 4: 4, 5: 24, 25: 12, 26: 25}
# DHCPv4: only the Relay Agent Information option (82) is parsed into sub-options by Kea 2.2
# without extra option definitions (observed: option[43].option[1] and option[60].option[1]
# are empty even when the payload is well-formed TLV).
V4_ENCAPSULATED = frozenset({82})


def vendor_option(payload: bytes | None, wide: bool) -> tuple[int, dict[int, bytes]] | None:
    """(enterprise-id, sub-options) of the first vendor in option 125 (v4) or 17 (v6)."""
    if payload is None or len(payload) < 4:
        return None
    enterprise = U32.unpack_from(payload)[0]
    if wide:
        return enterprise, suboptions(payload[4:], True)
    if len(payload) < 5:
        return enterprise, {}
    size = payload[4]
    return enterprise, suboptions(payload[5 : 5 + size], False)


def vendor_class(payload: bytes | None, wide: bool) -> tuple[int, list[bytes]] | None:
    """(enterprise-id, data tuples) of option 124 (v4) or 16 (v6).

    Kea 2.2 reads one enterprise-id and then length-prefixed tuples to the end of the option
    (observed: in DHCPv4 the RFC 3925 data-len byte becomes the length of tuple 0).
    """
    if payload is None or len(payload) < 4:
        return None
    enterprise = U32.unpack_from(payload)[0]
    tuples: list[bytes] = []
    pos = 4
    width = 2 if wide else 1
    while pos + width <= len(payload):
        size = int.from_bytes(payload[pos : pos + width], "big")
        pos += width
        if pos + size > len(payload):
            break
        tuples.append(payload[pos : pos + size])
        pos += size
    return enterprise, tuples


def uint32(value: int) -> bytes:
    return U32.pack(value & 0xFFFFFFFF)


def check_int32(value: int, what: str) -> int:
    if not -0x80000000 <= value <= 0x7FFFFFFF:
        raise EvalError(f"{what} {value} is not a 32-bit signed integer")
    return value
