"""Identity associations and status codes (RFC 8415 sections 21.4-21.6, 21.13, 21.21, 21.22).

IA_NA (3) and IA_PD (25) carry IAID, T1, T2 then sub-options; IA_TA (4) carries only the IAID.
Addresses (IAADDR, 5) and prefixes (IAPREFIX, 26) are pulled out into typed lists; any other
sub-option (typically a status code) stays in `options`, in order. Addresses and prefixes are
ints, as everywhere in hakea. `encode` writes the addresses or prefixes first, then the other
sub-options.

`decode` raises MalformedPacket6 where kea-dhcp6 2.2 drops the query (observed): a fixed part
too short (IA_NA/IA_PD under 12 bytes, IA_TA under 4, IAADDR under 24, IAPREFIX under 25) or a
status code under 2 bytes. A truncated tail of sub-options is ignored, as by Kea.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from hakea.dhcp6.tlv import MalformedPacket6, Option6, encode_options, first, parse_options

__all__ = [
    "INFINITY",
    "ONE_ADDRESS_IA_NA",
    "IaAddress",
    "IaNa",
    "IaPd",
    "IaPrefix",
    "IaTa",
    "Status",
    "StatusCode",
    "check_ia_na",
    "check_ia_pd",
    "check_ia_ta",
    "ia_na_option",
    "status_option",
]

INFINITY = 0xFFFFFFFF
"""A lifetime, T1 or T2 of 0xffffffff means infinity (RFC 8415 section 7.7)."""

_OPT_IA_NA, _OPT_IA_TA, _OPT_IAADDR, _OPT_STATUS, _OPT_IA_PD, _OPT_IAPREFIX = 3, 4, 5, 13, 25, 26

_IA = struct.Struct("!III")  # IAID, T1, T2 (IA_NA, IA_PD)
_IAID = struct.Struct("!I")  # IA_TA
_IAADDR = struct.Struct("!16sII")  # address, preferred, valid
_IAPREFIX = struct.Struct("!IIB16s")  # preferred, valid, prefix length, prefix
_U16 = struct.Struct("!H")
_HEAD = struct.Struct("!HH")
_IAADDR_OPT = struct.Struct("!HH16sII")  # a whole IAADDR option without sub-options


class Status(IntEnum):
    """Status codes (RFC 8415 section 21.13 and the IANA registry), as Kea names them."""

    SUCCESS = 0
    UNSPEC_FAIL = 1
    NO_ADDRS_AVAIL = 2
    NO_BINDING = 3
    NOT_ON_LINK = 4
    USE_MULTICAST = 5
    NO_PREFIX_AVAIL = 6


@dataclass(frozen=True, slots=True)
class StatusCode:
    """Status Code option (13): a 16-bit code and a UTF-8 message for humans."""

    code: int
    message: str = ""

    def encode(self) -> bytes:
        return _U16.pack(self.code) + self.message.encode()

    def to_option(self) -> Option6:
        return (_OPT_STATUS, self.encode())

    @classmethod
    def decode(cls, payload: bytes) -> StatusCode:
        if len(payload) < 2:
            raise MalformedPacket6(f"status code option of {len(payload)} bytes (at least 2)")
        # RFC 8415 section 21.13: the message is UTF-8 and not NUL-terminated; a bad byte from a
        # peer is replaced rather than failing the whole message.
        return cls(_U16.unpack_from(payload)[0], payload[2:].decode("utf-8", "replace"))


def status_option(code: int, message: str = "") -> Option6:
    """A ready (13, payload) Status Code option."""
    return (_OPT_STATUS, _U16.pack(code) + message.encode())


def _status_of(options: list[Option6]) -> StatusCode | None:
    payload = first(options, _OPT_STATUS)
    return None if payload is None else StatusCode.decode(payload)


def _check_status(options: list[Option6], where: str) -> None:
    for code, payload in options:
        if code == _OPT_STATUS and len(payload) < 2:
            raise MalformedPacket6(f"status code of {len(payload)} bytes in {where}")


@dataclass(slots=True)
class IaAddress:
    """IA Address option (5): an address with lifetimes, inside an IA_NA or IA_TA."""

    address: int
    preferred: int
    valid: int
    options: list[Option6] = field(default_factory=list)

    @property
    def status(self) -> StatusCode | None:
        return _status_of(self.options)

    def encode(self) -> bytes:
        head = _IAADDR.pack(self.address.to_bytes(16, "big"), self.preferred, self.valid)
        return head + encode_options(self.options) if self.options else head

    def to_option(self) -> Option6:
        return (_OPT_IAADDR, self.encode())

    @classmethod
    def decode(cls, payload: bytes) -> IaAddress:
        size = len(payload)
        if size < 24:
            raise MalformedPacket6(f"IA address option of {size} bytes (at least 24)")
        packed, preferred, valid = _IAADDR.unpack_from(payload)
        options = parse_options(payload, 24, size) if size > 24 else []
        _check_status(options, "IA address")
        return cls(int.from_bytes(packed, "big"), preferred, valid, options)


@dataclass(slots=True)
class IaPrefix:
    """IA Prefix option (26): a delegated prefix with lifetimes, inside an IA_PD."""

    prefix: int
    length: int
    preferred: int
    valid: int
    options: list[Option6] = field(default_factory=list)

    @property
    def status(self) -> StatusCode | None:
        return _status_of(self.options)

    def encode(self) -> bytes:
        if not 0 <= self.length <= 128:
            raise ValueError(f"prefix length {self.length} out of range (0..128)")
        head = _IAPREFIX.pack(self.preferred, self.valid, self.length, self.prefix.to_bytes(16, "big"))
        return head + encode_options(self.options) if self.options else head

    def to_option(self) -> Option6:
        return (_OPT_IAPREFIX, self.encode())

    @classmethod
    def decode(cls, payload: bytes) -> IaPrefix:
        size = len(payload)
        if size < 25:
            raise MalformedPacket6(f"IA prefix option of {size} bytes (at least 25)")
        # A prefix length above 128 is kept as sent: kea-dhcp6 2.2 answers a Solicit whose hint
        # has one (observed); making sense of the hint is the allocator's job.
        preferred, valid, length, packed = _IAPREFIX.unpack_from(payload)
        options = parse_options(payload, 25, size) if size > 25 else []
        _check_status(options, "IA prefix")
        return cls(int.from_bytes(packed, "big"), length, preferred, valid, options)


def _split(payload: bytes, start: int, item: int, where: str) -> tuple[list[bytes], list[Option6]]:
    """Sub-options after a fixed IA header: payloads of `item` options, and the others."""
    items: list[bytes] = []
    others: list[Option6] = []
    for opt in parse_options(payload, start, len(payload)):
        if opt[0] == item:
            items.append(opt[1])
        else:
            others.append(opt)
    _check_status(others, where)
    return items, others


def _encode_ia(
    head: bytes, code: int, items: list[IaAddress] | list[IaPrefix], options: list[Option6]
) -> bytes:
    out = bytearray(head)
    for item in items:
        if type(item) is IaAddress and not item.options:  # the usual answer: one struct call
            out += _IAADDR_OPT.pack(
                _OPT_IAADDR, 24, item.address.to_bytes(16, "big"), item.preferred, item.valid
            )
            continue
        body = item.encode()
        out += _HEAD.pack(code, len(body))
        out += body
    if options:
        encode_options(options, out)
    return bytes(out)


def ia_na_option(
    iaid: int, t1: int, t2: int, addresses: Iterable[tuple[int, int, int, list[Option6]]],
    status: tuple[int, str] | None = None,
) -> Option6:
    """An IA_NA option, (address, preferred, valid, sub-options) per address, then a status code:
    encoded into one buffer without IaNa/IaAddress objects (every Advertise and Reply)."""
    out = bytearray(_IA.pack(iaid, t1, t2))
    for address, preferred, valid, options in addresses:
        if options:
            body = IaAddress(address, preferred, valid, options).encode()
            out += _HEAD.pack(_OPT_IAADDR, len(body))
            out += body
        else:
            out += _IAADDR_OPT.pack(_OPT_IAADDR, 24, address.to_bytes(16, "big"), preferred, valid)
    if status is not None:
        code, payload = status_option(*status)
        out += _HEAD.pack(code, len(payload))
        out += payload
    return (_OPT_IA_NA, bytes(out))


def _check_ia(payload: bytes, fixed: int, decode: Callable[[bytes], object], name: str) -> None:
    size = len(payload)
    if size < fixed:
        raise MalformedPacket6(f"{name} option of {size} bytes (at least {fixed})")
    if size > fixed:  # hints or status codes inside: rare in queries, checked by decoding
        decode(payload)


ONE_ADDRESS_IA_NA = b"\x00\x05\x00\x18"
"""Bytes 12-15 of an IA_NA holding exactly one IAADDR without sub-options (40 bytes in all): the
Request, Renew and Rebind of almost every client."""


def check_ia_na(payload: bytes) -> None:
    """Raises MalformedPacket6 where IaNa.decode would, without building anything when the
    IA_NA has no sub-options (the common Solicit) or one plain address (the common Request)."""
    if len(payload) == 40 and payload[12:16] == ONE_ADDRESS_IA_NA:
        return
    _check_ia(payload, 12, IaNa.decode, "IA_NA")


def check_ia_ta(payload: bytes) -> None:
    _check_ia(payload, 4, IaTa.decode, "IA_TA")


def check_ia_pd(payload: bytes) -> None:
    _check_ia(payload, 12, IaPd.decode, "IA_PD")


@dataclass(slots=True)
class IaNa:
    """Identity Association for Non-temporary Addresses (3)."""

    iaid: int
    t1: int = 0
    t2: int = 0
    addresses: list[IaAddress] = field(default_factory=list)
    options: list[Option6] = field(default_factory=list)  # sub-options other than IAADDR

    @property
    def status(self) -> StatusCode | None:
        return _status_of(self.options)

    def encode(self) -> bytes:
        return _encode_ia(_IA.pack(self.iaid, self.t1, self.t2), _OPT_IAADDR, self.addresses, self.options)

    def to_option(self) -> Option6:
        return (_OPT_IA_NA, self.encode())

    @classmethod
    def decode(cls, payload: bytes) -> IaNa:
        size = len(payload)
        if size < 12:
            raise MalformedPacket6(f"IA_NA option of {size} bytes (at least 12)")
        iaid, t1, t2 = _IA.unpack_from(payload)
        if size == 12:  # the usual Solicit: no hints
            return cls(iaid, t1, t2, [], [])
        items, others = _split(payload, 12, _OPT_IAADDR, "IA_NA")
        return cls(iaid, t1, t2, [IaAddress.decode(p) for p in items], others)


@dataclass(slots=True)
class IaTa:
    """Identity Association for Temporary Addresses (4): no T1/T2."""

    iaid: int
    addresses: list[IaAddress] = field(default_factory=list)
    options: list[Option6] = field(default_factory=list)

    @property
    def status(self) -> StatusCode | None:
        return _status_of(self.options)

    def encode(self) -> bytes:
        return _encode_ia(_IAID.pack(self.iaid), _OPT_IAADDR, self.addresses, self.options)

    def to_option(self) -> Option6:
        return (_OPT_IA_TA, self.encode())

    @classmethod
    def decode(cls, payload: bytes) -> IaTa:
        size = len(payload)
        if size < 4:
            raise MalformedPacket6(f"IA_TA option of {size} bytes (at least 4)")
        iaid = _IAID.unpack_from(payload)[0]
        if size == 4:
            return cls(iaid, [], [])
        items, others = _split(payload, 4, _OPT_IAADDR, "IA_TA")
        return cls(iaid, [IaAddress.decode(p) for p in items], others)


@dataclass(slots=True)
class IaPd:
    """Identity Association for Prefix Delegation (25)."""

    iaid: int
    t1: int = 0
    t2: int = 0
    prefixes: list[IaPrefix] = field(default_factory=list)
    options: list[Option6] = field(default_factory=list)  # sub-options other than IAPREFIX

    @property
    def status(self) -> StatusCode | None:
        return _status_of(self.options)

    def encode(self) -> bytes:
        return _encode_ia(_IA.pack(self.iaid, self.t1, self.t2), _OPT_IAPREFIX, self.prefixes, self.options)

    def to_option(self) -> Option6:
        return (_OPT_IA_PD, self.encode())

    @classmethod
    def decode(cls, payload: bytes) -> IaPd:
        size = len(payload)
        if size < 12:
            raise MalformedPacket6(f"IA_PD option of {size} bytes (at least 12)")
        iaid, t1, t2 = _IA.unpack_from(payload)
        if size == 12:
            return cls(iaid, t1, t2, [], [])
        items, others = _split(payload, 12, _OPT_IAPREFIX, "IA_PD")
        return cls(iaid, t1, t2, [IaPrefix.decode(p) for p in items], others)
