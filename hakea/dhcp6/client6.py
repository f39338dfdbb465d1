"""One DHCPv6 query as the engine works on it: the client message, the relays it came through, the
client's identity (DUID, derived hardware address), its classes and the IAs it asked about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hakea.classify import PacketMeta
from hakea.config.model6 import Reservation6
from hakea.dhcp6.classes6 import Classes, PacketView6, RelayView6, options_by_code
from hakea.dhcp6.hwaddr6 import HwAddr6
from hakea.dhcp6.wire import Packet6, RelayMessage6
from hakea.leases.model6 import Lease6, LeaseType

Key = tuple[LeaseType, int]
"""A leasable resource: (type, address or prefix)."""


@dataclass(slots=True)
class IaRequest:
    """One IA_NA / IA_PD of the client's message: its IAID and the addresses or prefixes listed
    in it (hints in a Solicit/Request, bindings in a Renew/Rebind/Release/Decline/Confirm)."""

    kind: LeaseType
    iaid: int
    hints: list[tuple[int, int]] = field(default_factory=list)  # (address or prefix, length)
    preferred_hint: int = 0  # lifetimes the client suggested (0: none)
    valid_hint: int = 0


def parse_ias(q: Packet6) -> list[IaRequest]:
    """The IA_NA and IA_PD options of a message, in order (IA_TA is not supported, as in Kea
    2.2). The codec has validated them at parse time. Lifetime hints come from the first
    address or prefix that carries any. An IAID repeated within one type (RFC 8415 section 12:
    IAIDs are unique per client and type) is handled once, by its first IA."""
    out: list[IaRequest] = []
    for na in q.ia_na:
        ia = IaRequest(LeaseType.NA, na.iaid, [(a.address, 128) for a in na.addresses])
        hinted = next((a for a in na.addresses if a.preferred or a.valid), None)
        if hinted is not None:
            ia.preferred_hint, ia.valid_hint = hinted.preferred, hinted.valid
        out.append(ia)
    for pd in q.ia_pd:
        ia = IaRequest(LeaseType.PD, pd.iaid, [(p.prefix, p.length) for p in pd.prefixes])
        hinted_prefix = next((p for p in pd.prefixes if p.preferred or p.valid), None)
        if hinted_prefix is not None:
            ia.preferred_hint, ia.valid_hint = hinted_prefix.preferred, hinted_prefix.valid
        out.append(ia)
    seen: set[tuple[LeaseType, int]] = set()
    unique: list[IaRequest] = []
    for ia in out:
        if (ia.kind, ia.iaid) not in seen:
            seen.add((ia.kind, ia.iaid))
            unique.append(ia)
    return unique


def packet_view(q: Packet6, relays: Sequence[RelayMessage6]) -> PacketView6:
    """What class expressions read (relays outermost first, as relay6[0] is the outermost)."""
    return PacketView6(
        q.msg_type,
        q.transaction_id,
        options_by_code(q.options),
        [
            RelayView6(r.peer_address.to_bytes(16, "big"), r.link_address.to_bytes(16, "big"),
                       options_by_code(r.options))
            for r in relays
        ],
    )  # fmt: skip


def relay_option(relays: Sequence[RelayMessage6], code: int) -> bytes | None:
    """The option from the relay closest to the client that has it (Kea's RELAY_GET_FIRST)."""
    for relay in reversed(relays):
        payload = relay.get(code)
        if payload is not None:
            return payload
    return None


class Client6:
    """One query's client: identifiers, classes, reservations (per subnet) and leases."""

    __slots__ = ("classes", "duid", "hosts", "hw", "ias", "leases", "pmeta", "q", "relays", "taken", "view")

    def __init__(self, q: Packet6, relays: list[RelayMessage6], duid: bytes, hw: HwAddr6,
                 classes: Classes, view: PacketView6) -> None:  # fmt: skip
        self.q = q
        self.relays = relays
        self.duid = duid
        self.hw = hw
        self.classes = classes
        self.view = view
        self.pmeta: PacketMeta | None = None
        self.ias = parse_ias(q)
        self.leases: list[Lease6] | None = None  # the client's leases, read once per query
        self.taken: set[Key] = set()  # resources already given to another IA of this message
        self.hosts: dict[int, Reservation6 | None] = {}  # subnet id -> reservation (cache)
