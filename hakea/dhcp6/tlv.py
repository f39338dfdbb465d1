"""DHCPv6 option TLVs (RFC 8415 section 21.1): 2-byte code, 2-byte length, payload.

The one primitive every DHCPv6 structure is made of: message options, relay options, IA and
IAADDR/IAPREFIX sub-options, vendor sub-options. Kept apart from wire.py so that ia.py can use it
without importing the message classes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

__all__ = [
    "MalformedPacket6",
    "Option6",
    "encode_options",
    "first",
    "parse_options",
]


class MalformedPacket6(ValueError):
    """The bytes are not a DHCPv6 message; the text is a short reason for logs and counters."""


Option6 = tuple[int, bytes]
"""(option code, payload): the payload excludes the 4-byte option header."""

_HEAD = struct.Struct("!HH")
_unpack_head = _HEAD.unpack_from
_pack_head = _HEAD.pack


def parse_options(buf: bytes, pos: int, end: int) -> list[Option6]:
    """The options in buf[pos:end], in order, repeated codes kept.

    A tail too short for an option header, or an option whose length runs past `end`, ends the
    list and is ignored, as kea-dhcp6 2.2 does at every level (message, relay, IA, IA address:
    observed, such queries are answered). Never raises.
    """
    opts: list[Option6] = []
    append = opts.append
    last = end - 4
    while pos <= last:
        code, size = _unpack_head(buf, pos)
        pos += 4
        stop = pos + size
        if stop > end:
            break
        append((code, buf[pos:stop]))
        pos = stop
    return opts


def encode_options(options: Iterable[Option6], out: bytearray | None = None) -> bytearray:
    """Options as TLVs, appended to `out` (a new bytearray when None). Raises ValueError for a
    code outside 0..65535 or a payload longer than 65535 bytes (it cannot be split in DHCPv6)."""
    if out is None:
        out = bytearray()
    for code, payload in options:
        try:
            out += _pack_head(code, len(payload))
        except struct.error:
            if not 0 <= code <= 0xFFFF:
                raise ValueError(f"option code {code} out of range (0..65535)") from None
            raise ValueError(f"option {code} payload of {len(payload)} bytes is too long") from None
        out += payload
    return out


def first(options: Iterable[Option6], code: int) -> bytes | None:
    """Payload of the first option with `code`, or None."""
    for c, payload in options:
        if c == code:
            return payload
    return None
