"""DHCPv6 messages on the wire: parse and build (RFC 8415 sections 8, 9, 21).

Client/server messages are msg-type, a 3-byte transaction id and options; Relay-forw/Relay-repl
are msg-type, hop-count, link-address, peer-address and options, one of which (relay message, 9)
holds the relayed message, possibly another relay message. Options are kept as (code, payload)
tuples in wire order, repeated codes included: DHCPv6 has no RFC 3396-style concatenation.

`Packet6.parse` raises MalformedPacket6 and nothing else, for any bytes, and only where
kea-dhcp6 2.2 drops the query while unpacking it (each rule below was observed with Debian's
kea-dhcp6 2.2.0): a message under 4 bytes, a relay header under 34 bytes, a relay without relay
message option, relays nested deeper than MAX_RELAY_NESTING, and the options whose typed
accessors hakea offers when their fixed part does not parse (IA_NA/IA_TA/IA_PD and what they
hold, see hakea.dhcp6.ia; elapsed time under 2 bytes, preference under 1, server unicast under
16, status code under 2, an option request option that is empty or of odd length). Like Kea, it
ignores a truncated tail of options and reads the first bytes of a longer-than-needed fixed option,
so the accessors below never raise. What a message means (type, missing client id, ...) is the
engine's business. (Kea 2.2 also drops a query in which another standard option does not fit
its definition, e.g. a 2-byte vendor-class or an empty client-fqdn: observed, not replicated.)
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

from hakea.dhcp6.ia import (
    IaAddress,
    IaNa,
    IaPd,
    IaPrefix,
    IaTa,
    Status,
    StatusCode,
    check_ia_na,
    check_ia_pd,
    check_ia_ta,
    status_option,
)
from hakea.dhcp6.tlv import MalformedPacket6, Option6, encode_options, first

__all__ = [
    "ADVERTISE",
    "CONFIRM",
    "DECLINE",
    "HOP_COUNT_LIMIT",
    "INFORMATION_REQUEST",
    "MAX_RELAY_NESTING",
    "OPTION_CLIENTID",
    "OPTION_ELAPSED_TIME",
    "OPTION_IAADDR",
    "OPTION_IAPREFIX",
    "OPTION_IA_NA",
    "OPTION_IA_PD",
    "OPTION_IA_TA",
    "OPTION_INTERFACE_ID",
    "OPTION_ORO",
    "OPTION_PREFERENCE",
    "OPTION_RAPID_COMMIT",
    "OPTION_RELAY_MSG",
    "OPTION_RELAY_SOURCE_PORT",
    "OPTION_SERVERID",
    "OPTION_STATUS_CODE",
    "OPTION_UNICAST",
    "REBIND",
    "RECONFIGURE",
    "RELAY_FORW",
    "RELAY_REPL",
    "RELEASE",
    "RENEW",
    "REPLY",
    "REQUEST",
    "SOLICIT",
    "IaAddress",
    "IaNa",
    "IaPd",
    "IaPrefix",
    "IaTa",
    "MalformedPacket6",
    "MessageType6",
    "Option6",
    "Packet6",
    "RelayMessage6",
    "Status",
    "StatusCode",
    "parse_message",
    "status_option",
    "unwrap",
]


class MessageType6(IntEnum):
    """DHCPv6 message types (RFC 8415 section 7.3)."""

    SOLICIT = 1
    ADVERTISE = 2
    REQUEST = 3
    CONFIRM = 4
    RENEW = 5
    REBIND = 6
    REPLY = 7
    RELEASE = 8
    DECLINE = 9
    RECONFIGURE = 10
    INFORMATION_REQUEST = 11
    RELAY_FORW = 12
    RELAY_REPL = 13


SOLICIT = MessageType6.SOLICIT
ADVERTISE = MessageType6.ADVERTISE
REQUEST = MessageType6.REQUEST
CONFIRM = MessageType6.CONFIRM
RENEW = MessageType6.RENEW
REBIND = MessageType6.REBIND
REPLY = MessageType6.REPLY
RELEASE = MessageType6.RELEASE
DECLINE = MessageType6.DECLINE
RECONFIGURE = MessageType6.RECONFIGURE
INFORMATION_REQUEST = MessageType6.INFORMATION_REQUEST
RELAY_FORW = MessageType6.RELAY_FORW
RELAY_REPL = MessageType6.RELAY_REPL

# Option codes the codec itself reads (RFC 8415 section 21, RFC 8357 for 135).
OPTION_CLIENTID = 1
OPTION_SERVERID = 2
OPTION_IA_NA = 3
OPTION_IA_TA = 4
OPTION_IAADDR = 5
OPTION_ORO = 6
OPTION_PREFERENCE = 7
OPTION_ELAPSED_TIME = 8
OPTION_RELAY_MSG = 9
OPTION_UNICAST = 12
OPTION_STATUS_CODE = 13
OPTION_RAPID_COMMIT = 14
OPTION_INTERFACE_ID = 18
OPTION_IA_PD = 25
OPTION_IAPREFIX = 26
OPTION_RELAY_SOURCE_PORT = 135

HOP_COUNT_LIMIT = 32
"""RFC 8415 section 7.6: the most relays a message may cross."""

MAX_RELAY_NESTING = HOP_COUNT_LIMIT
"""Relay messages nested deeper are refused as malformed: kea-dhcp6 2.2 answers 32 nested
Relay-forw and drops 33 (observed). As in Kea, hop-count values themselves are not checked."""

_MSG_HEAD = struct.Struct("!I")  # msg-type << 24 | transaction-id
_RELAY_HEAD = struct.Struct("!BB16s16s")  # msg-type, hop-count, link-address, peer-address
_OPT_HEAD = struct.Struct("!HH")
_U16 = struct.Struct("!H")
_RELAY_HEAD_LEN = 34


def _at_least(size: int, name: str) -> Callable[[bytes], object]:
    def check(payload: bytes) -> None:
        if len(payload) < size:
            raise MalformedPacket6(f"{name} option of {len(payload)} bytes (at least {size})")

    return check


def _check_oro(payload: bytes) -> None:
    # Kea 2.2 unpacks the ORO as a uint16 array, which must be non-empty and whole.
    if not payload or len(payload) & 1:
        raise MalformedPacket6(f"option request option of length {len(payload)}")


# Options checked at parse time, so that the typed accessors below cannot fail later.
_CHECKS: dict[int, Callable[[bytes], object]] = {
    OPTION_IA_NA: check_ia_na,
    OPTION_IA_TA: check_ia_ta,
    OPTION_IA_PD: check_ia_pd,
    OPTION_ORO: _check_oro,
    OPTION_PREFERENCE: _at_least(1, "preference"),
    OPTION_ELAPSED_TIME: _at_least(2, "elapsed time"),
    OPTION_UNICAST: _at_least(16, "server unicast"),
    OPTION_STATUS_CODE: _at_least(2, "status code"),
}


@dataclass(slots=True)
class Packet6:
    """A client/server message (RFC 8415 section 8): every type but Relay-forw/Relay-repl."""

    msg_type: int
    transaction_id: int = 0  # 24 bits
    options: list[Option6] = field(default_factory=list)

    def get(self, code: int) -> bytes | None:
        """Payload of the first option `code`, or None."""
        for c, payload in self.options:
            if c == code:
                return payload
        return None

    def get_all(self, code: int) -> list[bytes]:
        """Payloads of every option `code`, in order."""
        return [payload for c, payload in self.options if c == code]

    @property
    def client_id(self) -> bytes | None:
        """The client DUID (option 1), None if absent or empty."""
        return first(self.options, OPTION_CLIENTID) or None

    @property
    def server_id(self) -> bytes | None:
        """The server DUID (option 2), None if absent or empty."""
        return first(self.options, OPTION_SERVERID) or None

    @property
    def elapsed_time(self) -> int | None:
        """Elapsed time (option 8) in hundredths of a second."""
        payload = first(self.options, OPTION_ELAPSED_TIME)
        return None if payload is None else _U16.unpack_from(payload)[0]

    @property
    def oro(self) -> list[int]:
        """Codes in the option request option (6), in order; empty when absent."""
        payload = first(self.options, OPTION_ORO)
        if not payload:
            return []
        return list(struct.unpack_from(f"!{len(payload) >> 1}H", payload))

    @property
    def preference(self) -> int | None:
        payload = first(self.options, OPTION_PREFERENCE)
        return None if payload is None else payload[0]

    @property
    def rapid_commit(self) -> bool:
        return any(c == OPTION_RAPID_COMMIT for c, _ in self.options)

    @property
    def unicast(self) -> int | None:
        """Server unicast address (option 12) as an int."""
        payload = first(self.options, OPTION_UNICAST)
        return None if payload is None else int.from_bytes(payload[:16], "big")

    @property
    def status(self) -> StatusCode | None:
        """The message-level status code (option 13), if any."""
        payload = first(self.options, OPTION_STATUS_CODE)
        return None if payload is None else StatusCode.decode(payload)

    @property
    def ia_na(self) -> list[IaNa]:
        """Every IA_NA, decoded (a new list each call: keep it)."""
        return [IaNa.decode(p) for c, p in self.options if c == OPTION_IA_NA]

    @property
    def ia_ta(self) -> list[IaTa]:
        return [IaTa.decode(p) for c, p in self.options if c == OPTION_IA_TA]

    @property
    def ia_pd(self) -> list[IaPd]:
        return [IaPd.decode(p) for c, p in self.options if c == OPTION_IA_PD]

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> Packet6 | RelayMessage6:
        """Decode a datagram: a Packet6, or a RelayMessage6 for Relay-forw/Relay-repl.
        Raises MalformedPacket6 (and nothing else) when it is not a DHCPv6 message."""
        return parse_message(data)

    def to_bytes(self) -> bytes:
        """Encode: header, then the options in list order. Raises ValueError for a field or an
        option that does not fit (a payload over 65535 bytes cannot be split in DHCPv6)."""
        xid = self.transaction_id
        if not 0 <= xid <= 0xFFFFFF:
            raise ValueError(f"transaction id {xid} does not fit in 24 bits")
        if not 0 <= self.msg_type <= 0xFF:
            raise ValueError(f"message type {self.msg_type} out of range")
        parts = [_MSG_HEAD.pack(self.msg_type << 24 | xid)]
        append = parts.append
        pack_head = _OPT_HEAD.pack
        try:
            for code, payload in self.options:
                append(pack_head(code, len(payload)))
                append(payload)
        except struct.error:
            encode_options(self.options)  # raises ValueError naming the option
            raise
        return b"".join(parts)


@dataclass(slots=True)
class RelayMessage6:
    """A Relay-forw or Relay-repl message (RFC 8415 section 9). `options` are the relay's own
    options without the relay message option: that one is `inner`, encoded last by to_bytes (as
    Kea 2.2 does). Addresses are ints."""

    msg_type: int
    hop_count: int
    link_address: int
    peer_address: int
    options: list[Option6]
    inner: Packet6 | RelayMessage6

    def get(self, code: int) -> bytes | None:
        for c, payload in self.options:
            if c == code:
                return payload
        return None

    def get_all(self, code: int) -> list[bytes]:
        return [payload for c, payload in self.options if c == code]

    @property
    def interface_id(self) -> bytes | None:
        """Interface-id (option 18) set by this relay, echoed in the Relay-repl."""
        return first(self.options, OPTION_INTERFACE_ID)

    @property
    def relay_source_port(self) -> int | None:
        """Relay source port (option 135, RFC 8357) when the relay uses a port other than 547."""
        payload = first(self.options, OPTION_RELAY_SOURCE_PORT)
        return _U16.unpack(payload)[0] if payload is not None and len(payload) == 2 else None

    @property
    def innermost(self) -> Packet6:
        """The client's (or server's) message at the bottom of the relay chain."""
        msg = self.inner
        while type(msg) is RelayMessage6:
            msg = msg.inner
        assert isinstance(msg, Packet6)
        return msg

    @property
    def relays(self) -> list[RelayMessage6]:
        """This relay and the ones it encapsulates, outermost (closest to the server) first."""
        return unwrap(self)[1]

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> Packet6 | RelayMessage6:
        return parse_message(data)

    def to_bytes(self) -> bytes:
        """Encode the whole chain: each relay's header, its options, then the relay message."""
        inner, relays = unwrap(self)
        body = inner.to_bytes()
        pack_head = _OPT_HEAD.pack
        for relay in reversed(relays):
            key = (relay.msg_type, relay.hop_count, relay.link_address, relay.peer_address)
            head = _relay_heads.get(key)
            if head is None:
                link, peer = relay.link_address.to_bytes(16, "big"), relay.peer_address.to_bytes(16, "big")
                head = _RELAY_HEAD.pack(relay.msg_type, relay.hop_count, link, peer)
                if len(_relay_heads) >= _RELAY_HEADS_MAX:
                    _relay_heads.clear()
                _relay_heads[key] = head
            parts = [head]
            for code, payload in relay.options:
                if code == OPTION_RELAY_MSG:
                    raise ValueError("a relay's options must not hold a relay message option: use inner")
                parts.append(pack_head(code, len(payload)))
                parts.append(payload)
            parts.append(pack_head(OPTION_RELAY_MSG, len(body)))
            parts.append(body)
            body = b"".join(parts)
        return body


# Relay-repl headers, remembered: answers go back through a handful of relays (bounded).
_relay_heads: dict[tuple[int, int, int, int], bytes] = {}
_RELAY_HEADS_MAX = 4096


def client_message_type(data: bytes) -> int:
    """The type of the client message inside `data` (through any Relay-forw layers) without
    parsing it: -1 when it cannot be told. For load shedding before the full parse."""
    start, end = 0, len(data)
    for _ in range(MAX_RELAY_NESTING + 1):
        if end - start < 4:
            return -1
        msg_type = data[start]
        if msg_type != RELAY_FORW:
            return msg_type
        pos = start + _RELAY_HEAD_LEN
        while True:
            if pos + 4 > end:
                return -1
            code, size = _OPT_HEAD.unpack_from(data, pos)
            pos += 4
            if code == OPTION_RELAY_MSG:
                start, end = pos, min(pos + size, end)
                break
            pos += size
    return -1


def unwrap(msg: Packet6 | RelayMessage6) -> tuple[Packet6, list[RelayMessage6]]:
    """(innermost message, relays outermost first); a Packet6 gives (itself, [])."""
    relays: list[RelayMessage6] = []
    while isinstance(msg, RelayMessage6):
        relays.append(msg)
        msg = msg.inner
    return msg, relays


def _parse_client(buf: bytes, start: int, end: int) -> Packet6:
    # parse_options inlined, with the per-option checks in the same loop: this runs per query.
    head = _MSG_HEAD.unpack_from(buf, start)[0]
    opts: list[Option6] = []
    append = opts.append
    unpack = _OPT_HEAD.unpack_from
    checks = _CHECKS
    pos = start + 4
    last = end - 4
    while pos <= last:
        code, size = unpack(buf, pos)
        pos += 4
        stop = pos + size
        if stop > end:
            break  # a truncated tail is ignored, as by Kea
        payload = buf[pos:stop]
        if code in checks:
            checks[code](payload)
        append((code, payload))
        pos = stop
    return Packet6(head >> 24, head & 0xFFFFFF, opts)


def _parse_relay_options(buf: bytes, pos: int, end: int) -> tuple[list[Option6], int, int]:
    """A relay's options without the relay message option, and the span (start, end) of that
    option's payload; start is -1 when it is missing. As in Kea 2.2, a truncated tail is ignored
    and the first relay message option is the one used (a second one is dropped, observed)."""
    opts: list[Option6] = []
    inner_start = inner_end = -1
    unpack = _OPT_HEAD.unpack_from
    last = end - 4
    while pos <= last:
        code, size = unpack(buf, pos)
        pos += 4
        stop = pos + size
        if stop > end:
            break
        if code != OPTION_RELAY_MSG:
            opts.append((code, buf[pos:stop]))
        elif inner_start < 0:
            inner_start, inner_end = pos, stop
        pos = stop
    return opts, inner_start, inner_end


def parse_message(data: bytes | bytearray | memoryview) -> Packet6 | RelayMessage6:
    """See Packet6.parse."""
    buf = data if type(data) is bytes else bytes(data)
    start, end = 0, len(buf)
    if end < 4:
        raise MalformedPacket6(f"truncated header ({end} bytes)")
    msg_type = buf[0]
    if msg_type != RELAY_FORW and msg_type != RELAY_REPL:
        return _parse_client(buf, 0, end)
    # Relays, walked iteratively from the outside in; each relay message payload is read in place.
    heads: list[tuple[int, int, bytes, bytes, list[Option6]]] = []
    while True:
        if end - start < _RELAY_HEAD_LEN:
            raise MalformedPacket6(f"truncated relay header ({end - start} bytes)")
        if len(heads) == MAX_RELAY_NESTING:
            raise MalformedPacket6(f"relay messages nested deeper than {MAX_RELAY_NESTING}")
        msg_type, hops, link, peer = _RELAY_HEAD.unpack_from(buf, start)
        opts, inner_start, inner_end = _parse_relay_options(buf, start + _RELAY_HEAD_LEN, end)
        if inner_start < 0:
            raise MalformedPacket6("relay message without a relay message option")
        heads.append((msg_type, hops, link, peer, opts))
        start, end = inner_start, inner_end
        if end - start < 4:
            raise MalformedPacket6(f"truncated relayed message ({end - start} bytes)")
        if buf[start] != RELAY_FORW and buf[start] != RELAY_REPL:
            break
    msg: Packet6 | RelayMessage6 = _parse_client(buf, start, end)
    from_bytes = int.from_bytes
    for msg_type, hops, link, peer, opts in reversed(heads):
        msg = RelayMessage6(msg_type, hops, from_bytes(link, "big"), from_bytes(peer, "big"), opts, msg)
    return msg
