"""Building DHCPv6 replies and small options: Advertise/Reply skeletons, IA answers, Relay-repl.

Shapes follow what kea-dhcp6 2.2 sends (observed on loopback): the reply carries the query's
transaction id, its client id and the server id; options go out sorted by code, repeated codes
in insertion order (Kea keeps them in a multimap keyed by code: client-id, server-id, IA_NA...,
dns-servers, IA_PD...); an IA_NA answer holds IAADDRs with no Success status, a refused one
only a status code. A Relay-repl mirrors each Relay-forw's hop-count, link and peer addresses and
echoes its interface-id (18) and relay-source-port (135, RFC 8357) options, the relay message last.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Iterable, Sequence
from operator import itemgetter

from hakea.dhcp6.ia import IaPd, IaPrefix, status_option
from hakea.dhcp6.tlv import Option6
from hakea.dhcp6.wire import (
    OPTION_CLIENTID,
    OPTION_ELAPSED_TIME,
    OPTION_IA_NA,
    OPTION_IAADDR,
    OPTION_INTERFACE_ID,
    OPTION_ORO,
    OPTION_PREFERENCE,
    OPTION_RAPID_COMMIT,
    OPTION_RELAY_SOURCE_PORT,
    OPTION_SERVERID,
    OPTION_UNICAST,
    RELAY_REPL,
    Packet6,
    RelayMessage6,
    unwrap,
)

__all__ = [
    "RELAY_ECHOED",
    "elapsed_time_option",
    "ia_na_option",
    "ia_pd_option",
    "interface_id_option",
    "kea_order",
    "oro_option",
    "preference_option",
    "rapid_commit_option",
    "relay_reply",
    "reply_to",
    "unicast_option",
]

RELAY_ECHOED: frozenset[int] = frozenset({OPTION_INTERFACE_ID, OPTION_RELAY_SOURCE_PORT})
"""Relay options a server copies into its Relay-repl: interface-id (RFC 8415 section 19.3) and
relay-source-port (RFC 8357 section 5.2; Kea 2.2 echoes the received value)."""

_U8 = struct.Struct("!B")
_U16 = struct.Struct("!H")
_IA = struct.Struct("!III")
_IAADDR_OPT = struct.Struct("!HH16sII")
_OPT_HEAD = struct.Struct("!HH")


def reply_to(query: Packet6, msg_type: int, server_id: bytes) -> Packet6:
    """An Advertise/Reply skeleton (RFC 8415 sections 18.3.9, 18.3.10): the query's transaction
    id, its client id when it sent one, then the server id. The engine adds IAs and options."""
    options: list[Option6] = []
    client_id = query.get(OPTION_CLIENTID)
    if client_id is not None:
        options.append((OPTION_CLIENTID, client_id))
    options.append((OPTION_SERVERID, server_id))
    return Packet6(msg_type, query.transaction_id, options)


def ia_na_option(
    iaid: int,
    t1: int,
    t2: int,
    addresses: Iterable[tuple[int, int, int]] = (),
    status: tuple[int, str] | None = None,
) -> Option6:
    """An IA_NA answer: (address, preferred, valid) triples, and an optional status code
    (e.g. (Status.NO_ADDRS_AVAIL, "...") with no addresses)."""
    out = bytearray(_IA.pack(iaid, t1, t2))
    for address, preferred, valid in addresses:
        out += _IAADDR_OPT.pack(OPTION_IAADDR, 24, address.to_bytes(16, "big"), preferred, valid)
    if status is not None:
        code, payload = status_option(*status)
        out += _OPT_HEAD.pack(code, len(payload))
        out += payload
    return (OPTION_IA_NA, bytes(out))


def ia_pd_option(
    iaid: int,
    t1: int,
    t2: int,
    prefixes: Iterable[tuple[int, int, int, int]] = (),
    status: tuple[int, str] | None = None,
) -> Option6:
    """An IA_PD answer: (prefix, length, preferred, valid) tuples and an optional status code."""
    extra = [status_option(*status)] if status is not None else []
    return IaPd(iaid, t1, t2, [IaPrefix(p, n, pl, vl) for p, n, pl, vl in prefixes], extra).to_option()


def kea_order(options: list[Option6]) -> list[Option6]:
    """Sort in place by code, stable for repeated codes: the order Kea 2.2 puts options on the
    wire. Returns the same list."""
    options.sort(key=_code)
    return options


_code = itemgetter(0)


def relay_reply(
    forw: RelayMessage6 | Sequence[RelayMessage6],
    reply: Packet6,
    echoed: Collection[int] = RELAY_ECHOED,
) -> RelayMessage6:
    """`reply` wrapped in one Relay-repl per Relay-forw of the query's chain (`forw` is the
    received outermost relay, or the chain outermost first): same hop-count, link-address and
    peer-address at each level, and that level's `echoed` options in their received order."""
    relays = unwrap(forw)[1] if isinstance(forw, RelayMessage6) else forw
    if not relays:
        raise ValueError("relay_reply needs at least one relay")
    wrapped: Packet6 | RelayMessage6 = reply
    for relay in reversed(relays):
        kept = [opt for opt in relay.options if opt[0] in echoed] if relay.options else []
        wrapped = RelayMessage6(
            RELAY_REPL, relay.hop_count, relay.link_address, relay.peer_address, kept, wrapped
        )
    assert type(wrapped) is RelayMessage6
    return wrapped


def elapsed_time_option(hundredths: int) -> Option6:
    """Elapsed time (8) in 1/100 s, capped at 0xffff (RFC 8415 section 21.9)."""
    return (OPTION_ELAPSED_TIME, _U16.pack(min(max(hundredths, 0), 0xFFFF)))


def oro_option(codes: Iterable[int]) -> Option6:
    """Option request option (6)."""
    packed = b"".join(_U16.pack(code) for code in codes)
    return (OPTION_ORO, packed)


def preference_option(value: int) -> Option6:
    """Server preference (7), 0..255 (255: the client stops waiting for other Advertises)."""
    return (OPTION_PREFERENCE, _U8.pack(value))


def unicast_option(address: int) -> Option6:
    """Server unicast (12): the address clients may send to directly."""
    return (OPTION_UNICAST, address.to_bytes(16, "big"))


def rapid_commit_option() -> Option6:
    return (OPTION_RAPID_COMMIT, b"")


def interface_id_option(interface_id: bytes) -> Option6:
    return (OPTION_INTERFACE_ID, interface_id)
