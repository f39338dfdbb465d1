"""DHCPv6 option TLVs (RFC 8415 section 21.1): 2-byte code, 2-byte length, payload.

The one primitive every DHCPv6 structure is made of: message options, relay options, IA and
IAADDR/IAPREFIX sub-options, vendor sub-options. Kept apart from wire.py so that ia.py and duid.py
can use it without importing the message classes.
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


def parse_options(buf: bytes, pos: int, end: int, where: str = "message") -> list[Option6]:
    """The options in buf[pos:end], in order, repeated codes kept.

    Raises MalformedPacket6 when an option header or payload runs past `end`. (Kea 2.2 instead
    drops such a tail silently; a truncated option is still a broken message and only hostile
    or buggy senders produce it, so it is refused here rather than half-read.)
    """
    opts: list[Option6] = []
    append = opts.append
    while pos < end:
        if pos + 4 > end:
            raise MalformedPacket6(f"truncated option header in {where}")
        code, size = _unpack_head(buf, pos)
        pos += 4
        stop = pos + size
        if stop > end:
            raise MalformedPacket6(f"option {code} length {size} past the end of {where}")
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
