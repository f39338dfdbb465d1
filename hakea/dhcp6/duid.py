"""DUIDs (RFC 8415 section 11): the 2-byte type, then a type-specific body.

LLT (1): hardware type, time (seconds since 2000-01-01 UTC), link-layer address.
EN (2): enterprise number, identifier. LL (3): hardware type, link-layer address. UUID (4,
RFC 6355): 16 bytes. Other types are kept opaque, as by Kea (a DUID is 1..130 bytes there).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "DUID_MAX_LEN",
    "Duid",
    "DuidType",
    "duid_en",
    "duid_hwaddr",
    "duid_ll",
    "duid_llt",
    "duid_uuid",
    "parse_duid",
]

DUID_MAX_LEN = 130
"""128 bytes of DUID body plus the 2-byte type (RFC 8415 section 11.1; Kea's DUID::MAX_DUID_LEN)."""

_LLT = struct.Struct("!HHI")
_LL = struct.Struct("!HH")
_EN = struct.Struct("!HI")


class DuidType(IntEnum):
    LLT = 1
    EN = 2
    LL = 3
    UUID = 4


@dataclass(frozen=True, slots=True)
class Duid:
    """A parsed DUID; fields that the type does not have are None. `identifier` is the
    link-layer address (LLT, LL), the enterprise's identifier (EN), the 16 UUID bytes (UUID) or
    the body after the type (unknown types)."""

    type: int
    identifier: bytes
    hw_type: int | None = None
    time: int | None = None
    enterprise: int | None = None

    @property
    def hwaddr(self) -> tuple[int, bytes] | None:
        """(hardware type, link-layer address) for DUID-LLT/LL with a non-empty address."""
        if self.hw_type is None or not self.identifier:
            return None
        return self.hw_type, self.identifier


def parse_duid(raw: bytes) -> Duid:
    """Raises ValueError for an empty or over-long DUID, or a known type too short for its
    fixed fields (LLT under 8 bytes, EN under 6, LL under 4, UUID not 18)."""
    size = len(raw)
    if not 2 <= size <= DUID_MAX_LEN:
        raise ValueError(f"a DUID is 2..{DUID_MAX_LEN} bytes, not {size}")
    kind = int.from_bytes(raw[:2], "big")
    if kind == DuidType.LLT:
        if size < 8:
            raise ValueError(f"DUID-LLT of {size} bytes (at least 8)")
        _, hw_type, time = _LLT.unpack_from(raw)
        return Duid(kind, raw[8:], hw_type=hw_type, time=time)
    if kind == DuidType.EN:
        if size < 6:
            raise ValueError(f"DUID-EN of {size} bytes (at least 6)")
        return Duid(kind, raw[6:], enterprise=_EN.unpack_from(raw)[1])
    if kind == DuidType.LL:
        if size < 4:
            raise ValueError(f"DUID-LL of {size} bytes (at least 4)")
        return Duid(kind, raw[4:], hw_type=_LL.unpack_from(raw)[1])
    if kind == DuidType.UUID and size != 18:
        raise ValueError(f"DUID-UUID of {size} bytes (expected 18)")
    return Duid(kind, raw[2:])


def duid_hwaddr(raw: bytes) -> tuple[int, bytes] | None:
    """(hardware type, link-layer address) from a DUID-LLT or DUID-LL, else None; never raises.
    Kea takes a client's hardware address from here when it has no better source."""
    if len(raw) < 5:
        return None
    kind = (raw[0] << 8) | raw[1]
    hw_type = (raw[2] << 8) | raw[3]
    if kind == DuidType.LLT and len(raw) > 8:
        return hw_type, raw[8:]
    if kind == DuidType.LL:
        return hw_type, raw[4:]
    return None


def duid_llt(hw_type: int, hwaddr: bytes, time: int) -> bytes:
    return _LLT.pack(DuidType.LLT, hw_type, time) + hwaddr


def duid_en(enterprise: int, identifier: bytes) -> bytes:
    return _EN.pack(DuidType.EN, enterprise) + identifier


def duid_ll(hw_type: int, hwaddr: bytes) -> bytes:
    return _LL.pack(DuidType.LL, hw_type) + hwaddr


def duid_uuid(uuid: bytes) -> bytes:
    if len(uuid) != 16:
        raise ValueError(f"a UUID is 16 bytes, not {len(uuid)}")
    return b"\x00\x04" + uuid
