"""DHCPv4 packets on the wire: parse and build (RFC 2131 section 2, RFC 2132, RFC 3396).

Parsing is the first thing done to every datagram, and building the last, so both are written for
speed: one struct call for the fixed BOOTP header, one slice per option, no per-byte loops except
over pad options. `Packet4.parse` raises MalformedPacket and nothing else, for any bytes; what a
packet means (no message type, unknown type, ...) is the engine's business, not the codec's.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

__all__ = [
    "BOOTP_MIN_LEN",
    "DHCPACK",
    "DHCPDECLINE",
    "DHCPDISCOVER",
    "DHCPINFORM",
    "DHCPNAK",
    "DHCPOFFER",
    "DHCPRELEASE",
    "DHCPREQUEST",
    "MAGIC_COOKIE",
    "MalformedPacket",
    "MessageType",
    "Packet4",
    "encode_options",
    "encode_suboptions",
    "parse_suboptions",
]


class MalformedPacket(ValueError):
    """The bytes are not a DHCPv4 packet; the message is a short reason for logs and counters."""


class MessageType(IntEnum):
    """Option 53 values (RFC 2132 section 9.6), named as Kea logs them."""

    DHCPDISCOVER = 1
    DHCPOFFER = 2
    DHCPREQUEST = 3
    DHCPDECLINE = 4
    DHCPACK = 5
    DHCPNAK = 6
    DHCPRELEASE = 7
    DHCPINFORM = 8


DHCPDISCOVER = MessageType.DHCPDISCOVER
DHCPOFFER = MessageType.DHCPOFFER
DHCPREQUEST = MessageType.DHCPREQUEST
DHCPDECLINE = MessageType.DHCPDECLINE
DHCPACK = MessageType.DHCPACK
DHCPNAK = MessageType.DHCPNAK
DHCPRELEASE = MessageType.DHCPRELEASE
DHCPINFORM = MessageType.DHCPINFORM

MAGIC_COOKIE = 0x63825363  # 99.130.83.99 (RFC 2131 section 3)
BOOTP_MIN_LEN = 300  # RFC 1542 section 2.1: relays may drop shorter BOOTP messages

# op htype hlen hops | xid | secs flags | ciaddr yiaddr siaddr giaddr | chaddr sname file | cookie
_HEADER = struct.Struct("!4BI2H4I16s64s128sI")
_BOOTP_LEN = 236  # the header without the cookie
_OPTIONS_AT = _HEADER.size  # 240
_SNAME_AT, _FILE_AT = 44, 108

_OPT_PAD, _OPT_END, _OPT_OVERLOAD, _OPT_MSGTYPE = 0, 255, 52, 53
_EMPTY_SNAME, _EMPTY_FILE = bytes(64), bytes(128)


def _parse_options(buf: bytes, pos: int, opts: dict[int, bytes], where: str) -> None:
    """Options in buf[pos:] into opts. A repeated code is concatenated (RFC 3396 section 5).
    A missing end option is tolerated, as by Kea; an option running past the end is not."""
    size = len(buf)
    first = pos
    if not opts:
        # Fast path: no bounds checks in the loop, the IndexError at the end of buf tells; codes
        # are counted so a repeated one (rare) is detected and sent to the merging loop below.
        count = 0
        try:
            while True:
                code = buf[pos]
                if code == _OPT_END:
                    break
                if code:
                    start = pos + 2
                    pos = start + buf[pos + 1]
                    opts[code] = buf[start:pos]
                    count += 1
                else:
                    pos += 1
        except IndexError:
            if pos > size:
                raise MalformedPacket(f"option length past end of {where}") from None
            if pos < size:
                raise MalformedPacket(f"option {buf[pos]} truncated in {where}") from None
        if count == len(opts):
            return
        opts.clear()
        pos = first
    while pos < size:
        code = buf[pos]
        if code == _OPT_PAD:
            pos += 1
            continue
        if code == _OPT_END:
            return
        if pos + 1 >= size:
            raise MalformedPacket(f"option {code} truncated in {where}")
        end = pos + 2 + buf[pos + 1]
        if end > size:
            raise MalformedPacket(f"option {code} length past end of {where}")
        if code in opts:
            opts[code] += buf[pos + 2 : end]
        else:
            opts[code] = buf[pos + 2 : end]
        pos = end


def _put_option(out: bytearray, code: int, payload: bytes) -> None:
    """Append one option, split into several instances when longer than 255 (RFC 3396 section 4)."""
    if not 0 < code < 255:
        raise ValueError(f"option code {code} cannot be sent (0 and 255 are pad and end)")
    n = len(payload)
    if n <= 255:
        out += bytes((code, n))
        out += payload
        return
    for i in range(0, n, 255):
        chunk = payload[i : i + 255]
        out += bytes((code, len(chunk)))
        out += chunk


@dataclass(slots=True)
class Packet4:
    """A DHCPv4 message. Addresses are ints (host order); options map code -> payload in
    insertion order, with RFC 3396 split options concatenated, overloaded sname/file options
    merged (option 52 itself is kept) and pad/end removed."""

    op: int = 1
    htype: int = 1
    hlen: int = 6
    hops: int = 0
    xid: int = 0
    secs: int = 0
    flags: int = 0
    ciaddr: int = 0
    yiaddr: int = 0
    siaddr: int = 0
    giaddr: int = 0
    chaddr: bytes = b""  # the first hlen bytes of the 16-byte field
    sname: bytes = b""  # NUL-stripped; empty when the field carried options
    file: bytes = b""  # NUL-stripped; empty when the field carried options
    options: dict[int, bytes] = field(default_factory=dict)

    @property
    def message_type(self) -> int | None:
        v = self.options.get(_OPT_MSGTYPE)
        return v[0] if v else None

    @property
    def client_id(self) -> bytes | None:
        return self.options.get(61) or None

    @property
    def requested_address(self) -> int | None:
        v = self.options.get(50)
        return int.from_bytes(v, "big") if v is not None and len(v) == 4 else None

    @property
    def server_id(self) -> int | None:
        v = self.options.get(54)
        return int.from_bytes(v, "big") if v is not None and len(v) == 4 else None

    @property
    def broadcast(self) -> bool:
        return bool(self.flags & 0x8000)

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> Packet4:
        """Decode a datagram. Raises MalformedPacket (and nothing else) when it is not DHCPv4."""
        buf = data if type(data) is bytes else bytes(data)
        size = len(buf)
        if size < _BOOTP_LEN:
            raise MalformedPacket(f"truncated header ({size} bytes)")
        if size < _OPTIONS_AT:
            if size != _BOOTP_LEN:
                raise MalformedPacket("truncated magic cookie")
            # A BOOTP message without vendor extensions: valid, just no options (as in Kea).
            buf += bytes(4)
            cookie_ok = True
        else:
            cookie_ok = False
        (op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
         chaddr, sname, file, cookie) = _HEADER.unpack_from(buf)  # fmt: skip
        opts: dict[int, bytes] = {}
        if not cookie_ok:
            if cookie != MAGIC_COOKIE:
                raise MalformedPacket(f"bad magic cookie 0x{cookie:08x}")
            _parse_options(buf, _OPTIONS_AT, opts, "options")
            overload = opts.get(_OPT_OVERLOAD)
            if overload is not None and len(overload) == 1 and overload[0] & 3:
                # RFC 2131 section 4.1: options field, then file, then sname; RFC 3396 section 5
                # concatenates an option split across them. Only values 1..3 are defined; other
                # bits are ignored rather than fatal (a misconfigured Kea sends what it is given).
                if overload[0] & 1:
                    _parse_options(buf[_FILE_AT:_BOOTP_LEN], 0, opts, "file")
                    file = b""
                if overload[0] & 2:
                    _parse_options(buf[_SNAME_AT:_FILE_AT], 0, opts, "sname")
                    sname = b""
        if hlen > 16:
            hlen = 16  # a bogus hlen is capped, not fatal
        # bytes.rstrip scans byte by byte (~0.6 us for an empty file field); compare first.
        sname = b"" if sname == _EMPTY_SNAME else sname.rstrip(b"\x00")
        file = b"" if file == _EMPTY_FILE else file.rstrip(b"\x00")
        return cls(op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
                   chaddr[:hlen], sname, file, opts)  # fmt: skip

    def to_bytes(self, tail: bytes = b"", min_size: int = BOOTP_MIN_LEN) -> bytes:
        """Encode: header, cookie, option 53 first, the rest in insertion order (split when longer
        than 255), end, then zero padding up to `min_size` bytes.

        The 300-byte default is the BOOTP minimum (RFC 1542 section 2.1: relays may drop shorter
        messages). Kea 2.2 itself does not pad DHCP replies (an OFFER of 271 bytes was seen);
        min_size=0 gives the same bytes as Kea.
        `tail` is optional pre-encoded options (see encode_options) placed after `options` and
        before the end option: lets the engine reuse one encoding of, say, a subnet's options."""
        out = bytearray(_OPTIONS_AT)
        _HEADER.pack_into(
            out, 0, self.op, self.htype, self.hlen, self.hops, self.xid, self.secs, self.flags,
            self.ciaddr, self.yiaddr, self.siaddr, self.giaddr,
            self.chaddr, self.sname, self.file, MAGIC_COOKIE,
        )  # fmt: skip
        opts = self.options
        msgtype = opts.get(_OPT_MSGTYPE)
        items: Iterable[tuple[int, bytes]]
        if msgtype is None or next(iter(opts)) == _OPT_MSGTYPE:
            items = opts.items()  # the usual case (reply_to puts 53 first): wire order = dict order
        else:
            _put_option(out, _OPT_MSGTYPE, msgtype)
            items = [(code, payload) for code, payload in opts.items() if code != _OPT_MSGTYPE]
        append = out.append
        for code, payload in items:
            n = len(payload)
            if n <= 255 and 0 < code < 255:
                append(code)
                append(n)
                out += payload
            else:
                _put_option(out, code, payload)
        if tail:
            out += tail
        append(_OPT_END)
        if len(out) < min_size:
            out += bytes(min_size - len(out))
        return bytes(out)

    @classmethod
    def reply_to(cls, query: Packet4, msgtype: int) -> Packet4:
        """A reply skeleton (RFC 2131 section 4.3.1, table 3): op 2, hops 0, and xid, flags,
        giaddr, htype/hlen/chaddr copied; ciaddr copied for DHCPACK only (for an INFORM or a
        renewing client), zero in OFFER and NAK. Option 53 is set; the engine adds the rest
        (and echoes option 82 last, RFC 3046 section 2.2)."""
        return cls(
            2, query.htype, query.hlen, 0, query.xid, 0, query.flags,
            query.ciaddr if msgtype == DHCPACK else 0, 0, 0, query.giaddr,
            query.chaddr, b"", b"", {_OPT_MSGTYPE: bytes((msgtype,))},
        )  # fmt: skip


def encode_options(opts: Mapping[int, bytes]) -> bytes:
    """Options as TLVs in the given order, long ones split (RFC 3396), without end or padding."""
    out = bytearray()
    for code, payload in opts.items():
        _put_option(out, code, payload)
    return bytes(out)


def parse_suboptions(payload: bytes) -> dict[int, bytes]:
    """Relay agent information (option 82) sub-options (RFC 3046 section 2.0): code, length,
    value, with no pad or end. A repeated code is concatenated. Raises MalformedPacket when a
    sub-option runs past the payload."""
    subs: dict[int, bytes] = {}
    pos, size = 0, len(payload)
    while pos < size:
        code = payload[pos]
        if pos + 1 >= size:
            raise MalformedPacket(f"relay agent sub-option {code} truncated")
        end = pos + 2 + payload[pos + 1]
        if end > size:
            raise MalformedPacket(f"relay agent sub-option {code} length past end")
        if code in subs:
            subs[code] += payload[pos + 2 : end]
        else:
            subs[code] = payload[pos + 2 : end]
        pos = end
    return subs


def encode_suboptions(subs: Mapping[int, bytes]) -> bytes:
    """Relay agent information sub-options -> option 82 payload (long values split)."""
    out = bytearray()
    for code, value in subs.items():
        if not 0 <= code <= 255:
            raise ValueError(f"sub-option code {code} out of range")
        for i in range(0, max(len(value), 1), 255):
            chunk = value[i : i + 255]
            out += bytes((code, len(chunk)))
            out += chunk
    return bytes(out)
